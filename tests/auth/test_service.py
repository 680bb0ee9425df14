from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from aftersales.auth.errors import InvalidTokenError, UsernameTakenError
from aftersales.auth.models import Role
from aftersales.auth.service import issue_token, resolve_token, revoke_token
from tests.builders import make_user


def test_tokens_resolve_to_their_user(session: Session) -> None:
    user = make_user(session)
    assert resolve_token(session, issue_token(session, user=user)).id == user.id


def test_expired_token_is_rejected(session: Session) -> None:
    token = issue_token(session, user=make_user(session), ttl=timedelta(seconds=-1))
    with pytest.raises(InvalidTokenError):
        resolve_token(session, token)


def test_revoked_token_is_rejected(session: Session) -> None:
    token = issue_token(session, user=make_user(session))
    revoke_token(session, token)
    session.flush()
    with pytest.raises(InvalidTokenError):
        resolve_token(session, token)


def test_token_of_a_deactivated_user_is_rejected(session: Session) -> None:
    user = make_user(session)
    token = issue_token(session, user=user)
    user.is_active = False
    with pytest.raises(InvalidTokenError):
        resolve_token(session, token)


def test_usernames_are_unique(session: Session) -> None:
    make_user(session, username="xiaowang")
    with pytest.raises(UsernameTakenError):
        make_user(session, username="xiaowang")


def test_no_role_sees_whole_numbers_by_default(session: Session) -> None:
    roles = {role: make_user(session, role=role).may_see_pii for role in Role}
    assert roles == {Role.AGENT: False, Role.SUPERVISOR: False, Role.ADMIN: False}


@pytest.mark.usefixtures("unmasked_admins")
def test_a_shop_may_unmask_a_role(session: Session) -> None:
    roles = {role: make_user(session, role=role).may_see_pii for role in Role}
    assert roles == {Role.AGENT: False, Role.SUPERVISOR: False, Role.ADMIN: True}


def test_only_admins_may_export_whole_numbers(session: Session) -> None:
    roles = {role: make_user(session, role=role).may_export_pii for role in Role}
    assert roles == {Role.AGENT: False, Role.SUPERVISOR: False, Role.ADMIN: True}
