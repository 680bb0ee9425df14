"""The demo's log-ins, printed by ``aftersales demo``: one per role, and a morning/evening shift."""

from sqlalchemy import select

from aftersales.auth.models import Role, User
from aftersales.auth.service import create_user
from aftersales.db import unit_of_work

DEMO_USERS: dict[str, tuple[str, Role, str]] = {
    "admin": ("admin-demo-2026", Role.ADMIN, "店长"),
    "lead": ("lead-demo-2026", Role.SUPERVISOR, "售后主管 周敏"),
    "agent1": ("agent-demo-2026", Role.AGENT, "早班 小王"),
    "agent2": ("agent-demo-2026", Role.AGENT, "中班 小李"),
    "agent3": ("agent-demo-2026", Role.AGENT, "晚班 小陈"),
}


def ensure_demo_users() -> None:
    with unit_of_work() as session:
        existing = set(session.scalars(select(User.username)))
        for username, (password, role, name) in DEMO_USERS.items():
            if username not in existing:
                create_user(session, username=username, display_name=name, role=role, password=password)
