import itertools
from typing import Any

from sqlalchemy.orm import Session

from aftersales.auth.models import Role, User
from aftersales.auth.service import create_user

_seq = itertools.count(1)
PASSWORD = "correct-horse-1"


def make_user(session: Session, *, role: Role = Role.AGENT, **overrides: Any) -> User:
    n = next(_seq)
    fields: dict[str, Any] = {
        "username": f"user{n}",
        "display_name": f"客服{n}",
        "password": PASSWORD,
        **overrides,
    }
    return create_user(session, role=role, **fields)
