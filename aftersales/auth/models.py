import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from aftersales.config import get_settings
from aftersales.db import Base
from aftersales.kit.time import utcnow
from aftersales.kit.types import UTCDateTime


class Role(enum.StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def at_least(self, other: "Role") -> bool:
        return self.rank >= other.rank

    @property
    def label(self) -> str:
        return _LABEL[self]


_RANK = {Role.AGENT: 1, Role.SUPERVISOR: 2, Role.ADMIN: 3}
_LABEL = {Role.AGENT: "客服", Role.SUPERVISOR: "主管", Role.ADMIN: "管理员"}


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=16))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def may_see_pii(self) -> bool:
        """Whether pages and API reads show this user whole phone numbers and addresses: only for
        the roles a shop lists in ``AFTERSALES_PII_UNMASKED_ROLES`` (none by default). Everyone
        else reveals one order at a time with a reason (``orders.service.reveal_pii``, audited)."""
        return self.role.value in get_settings().pii_unmasked_roles

    @property
    def may_export_pii(self) -> bool:
        """Exports with whole numbers are an admin's audited decision (``audit.authorize_order_export``)."""
        return self.role.at_least(Role.ADMIN)


class ApiToken(Base):
    """Opaque bearer tokens; only their SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(64), default="login")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginFailure(Base):
    """One wrong password for a user name from one client address. Kept in the database so every
    worker process sees the same count; recent ones throttle further attempts (``auth.service``)."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_username_client_failed_at", "username", "client", "failed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    client: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
