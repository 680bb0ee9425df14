from typing import Annotated

from fastapi import APIRouter, Form, Request

from aftersales.auth import repository, service
from aftersales.auth.deps import CurrentUser, RequireAdmin, SessionDep
from aftersales.auth.errors import InvalidCredentialsError
from aftersales.auth.models import User
from aftersales.auth.schemas import TokenRead, UserCreate, UserRead

router = APIRouter(prefix="/api", tags=["auth"])


@router.post("/auth/token", response_model=TokenRead, summary="Log in and get a bearer token")
def login(
    request: Request, session: SessionDep, username: Annotated[str, Form()], password: Annotated[str, Form()]
) -> TokenRead:
    """429 after repeated wrong passwords for this user name from this address (see auth.service)."""
    client = request.client.host if request.client else ""
    try:
        user = service.authenticate(session, username=username, password=password, client=client)
    except InvalidCredentialsError:
        session.commit()  # the failure counts although this request fails
        raise
    token = service.issue_token(session, user=user)
    return TokenRead(access_token=token, user=UserRead.model_validate(user))


@router.get("/me", response_model=UserRead)
def me(user: CurrentUser) -> User:
    return user


@router.get("/users", response_model=list[UserRead])
def list_users(session: SessionDep, _: RequireAdmin) -> list[User]:
    return repository.all_users(session)


@router.post("/users", response_model=UserRead, status_code=201)
def create_user(session: SessionDep, _: RequireAdmin, body: UserCreate) -> User:
    return service.create_user(session, **body.model_dump())
