"""Tickets (工单): groups and their bots, taxonomy, SLA policies, shifts, routing rules,
tickets with their append-only timeline, handoffs and department feedback.

SLA state is kept as due-at timestamps maintained on every transition (``sla_due_at`` is the
next deadline that matters, ``sla_warn_at`` the near-breach mark), so a queue of any size gets
its SLA state from plain indexed comparisons in SQL.
"""

import enum
import itertools
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.orm import Session as OrmSession

from aftersales.catalog.models import Shop
from aftersales.db import Base
from aftersales.kit.time import utcnow
from aftersales.kit.types import JSONType, UTCDateTime


def _str_enum(cls: type[enum.StrEnum], length: int = 24) -> Enum:
    return Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class TicketType(enum.StrEnum):
    CONSULTATION = "consultation"
    RETURN = "return"
    EXCHANGE = "exchange"
    REPAIR = "repair"
    REFUND = "refund"
    RESHIPMENT = "reshipment"
    COMPLAINT = "complaint"
    SUGGESTION = "suggestion"

    @property
    def label(self) -> str:
        return TYPE_LABELS[self]


TYPE_LABELS = {
    TicketType.CONSULTATION: "咨询",
    TicketType.RETURN: "退货",
    TicketType.EXCHANGE: "换货",
    TicketType.REPAIR: "维修",
    TicketType.REFUND: "退款",
    TicketType.RESHIPMENT: "补发",
    TicketType.COMPLAINT: "投诉",
    TicketType.SUGGESTION: "建议",
}


class TicketStatus(enum.StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    WAITING_CUSTOMER = "waiting_customer"
    WAITING_INTERNAL = "waiting_internal"
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    TicketStatus.NEW: "新建",
    TicketStatus.IN_PROGRESS: "处理中",
    TicketStatus.WAITING_CUSTOMER: "等待客户",
    TicketStatus.WAITING_INTERNAL: "等待内部",
    TicketStatus.RESOLVED: "已解决",
    TicketStatus.CLOSED: "已关闭",
}

OPEN_STATUSES = (
    TicketStatus.NEW,
    TicketStatus.IN_PROGRESS,
    TicketStatus.WAITING_CUSTOMER,
    TicketStatus.WAITING_INTERNAL,
)


# Sort key of paused and clock-less tickets: after every real deadline, on both databases.
QUEUE_END = datetime(9999, 1, 1, tzinfo=UTC)

# ``queue_rank``: tickets whose follow-up came due sort before every other ticket of the queue.
RANK_FOLLOW_UP_DUE = 0
RANK_NORMAL = 1


class Severity(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    URGENT = "urgent"

    @property
    def label(self) -> str:
        return SEVERITY_LABELS[self]


SEVERITY_LABELS = {Severity.LOW: "低", Severity.MEDIUM: "中", Severity.HIGH: "高", Severity.URGENT: "紧急"}


class GroupKind(enum.StrEnum):
    TEAM = "team"
    DEPARTMENT = "department"


class FeedbackStatus(enum.StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    ANSWERED = "answered"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return FEEDBACK_LABELS[self]


FEEDBACK_LABELS = {
    FeedbackStatus.OPEN: "待处理",
    FeedbackStatus.ACKNOWLEDGED: "已受理",
    FeedbackStatus.ANSWERED: "已答复",
    FeedbackStatus.CLOSED: "已关闭",
}


class TicketGroup(Base):
    """A team that works tickets (售后组, VIP组) or a department that answers feedback."""

    __tablename__ = "ticket_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[GroupKind] = mapped_column(_str_enum(GroupKind, 16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class GroupBot(Base):
    """A group chat robot (WeCom / DingTalk / Feishu) or a signed webhook that CCs reach."""

    __tablename__ = "ticket_group_bots"
    __table_args__ = (Index("ix_ticket_group_bots_group_id", "group_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("ticket_groups.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16), comment="wecom, dingtalk, feishu or webhook")
    name: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(String(400))
    secret: Mapped[str | None] = mapped_column(String(200), comment="DingTalk/Feishu signing secret")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TaxonomyNode(Base):
    """One node of the problem taxonomy: level 1 category, level 2 subcategory, level 3 detail."""

    __tablename__ = "ticket_taxonomy"
    __table_args__ = (UniqueConstraint("path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_taxonomy.id", ondelete="CASCADE"))
    level: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(200), comment="商品问题/质量问题/破损")
    position: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class SlaPolicy(Base):
    """Targets per shop (NULL = every shop) and ticket type (NULL = every type).

    Business hours are local wall-clock minutes (Asia/Shanghai); ``resolution_same_day`` makes the
    resolution due at the end of the business day (next business day when opened after hours);
    ``resolution_calendar`` counts the resolution target in calendar time (24 h for returns).
    """

    __tablename__ = "ticket_sla_policies"
    __table_args__ = (UniqueConstraint("shop_id", "ticket_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    ticket_type: Mapped[TicketType | None] = mapped_column(_str_enum(TicketType))
    business_start_minute: Mapped[int] = mapped_column(Integer, default=9 * 60)
    business_end_minute: Mapped[int] = mapped_column(Integer, default=21 * 60)
    first_response_minutes: Mapped[int] = mapped_column(Integer, default=20)
    resolution_minutes: Mapped[int | None] = mapped_column(Integer)
    resolution_same_day: Mapped[bool] = mapped_column(Boolean, default=False)
    resolution_calendar: Mapped[bool] = mapped_column(Boolean, default=False)
    warn_percent: Mapped[int] = mapped_column(Integer, default=75, comment="near-breach at this share")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Shift(Base):
    """A shift in local wall-clock minutes; ``end_minute`` 1440 means midnight."""

    __tablename__ = "ticket_shifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(32))
    start_minute: Mapped[int] = mapped_column(Integer)
    end_minute: Mapped[int] = mapped_column(Integer)


class RosterEntry(Base):
    """Which shift an agent works (the standing roster)."""

    __tablename__ = "ticket_roster"
    __table_args__ = (UniqueConstraint("user_id"), Index("ix_ticket_roster_shift_id", "shift_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    shift_id: Mapped[int] = mapped_column(ForeignKey("ticket_shifts.id", ondelete="CASCADE"))


class RoutingRule(Base):
    """Conditions (all must hold; an empty list means any) and the actions applied on a match."""

    __tablename__ = "ticket_routing_rules"
    __table_args__ = (Index("ix_ticket_routing_rules_position", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=100)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    conditions: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    set_group_code: Mapped[str | None] = mapped_column(String(32))
    set_assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    set_priority: Mapped[int | None] = mapped_column(Integer)
    cc_group_code: Mapped[str | None] = mapped_column(String(32))
    stop_processing: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("source", "source_key"),
        Index("ix_tickets_status_sla_due_at", "status", "sla_due_at"),
        # The queue: open tickets in deadline order, alone or per group / assignee / shift / status.
        Index("ix_tickets_is_open_queue_at", "is_open", "queue_at", "id"),
        Index("ix_tickets_is_open_queue_rank_queue_at", "is_open", "queue_rank", "queue_at", "id"),
        Index("ix_tickets_group_id_is_open_queue_at", "group_id", "is_open", "queue_at"),
        Index("ix_tickets_assignee_id_is_open_queue_at", "assignee_id", "is_open", "queue_at"),
        Index("ix_tickets_shift_id_is_open_queue_at", "shift_id", "is_open", "queue_at"),
        Index("ix_tickets_status_queue_at", "status", "queue_at"),
        # "At risk" (warned, not yet due) reads the warn mark: the queue_at order cannot bound it.
        Index("ix_tickets_is_open_sla_warn_at", "is_open", "sla_warn_at", "queue_at"),
        Index("ix_tickets_group_id_is_open_sla_warn_at", "group_id", "is_open", "sla_warn_at", "queue_at"),
        Index(
            "ix_tickets_assignee_id_is_open_sla_warn_at", "assignee_id", "is_open", "sla_warn_at", "queue_at"
        ),
        Index("ix_tickets_shift_id_is_open_sla_warn_at", "shift_id", "is_open", "sla_warn_at", "queue_at"),
        Index("ix_tickets_order_id", "order_id"),
        Index("ix_tickets_customer_id_created_at", "customer_id", "created_at"),
        Index("ix_tickets_follow_up_at", "follow_up_at"),
        Index("ix_tickets_created_at", "created_at"),
        # Covering index of the analytics scorecard (migration 0702), agent first: GROUP BY agent
        # over a range reads the index alone, in order.
        Index(
            "ix_tickets_scorecard_agent",
            "assignee_id",
            "created_at",
            "first_responded_at",
            "resolved_at",
            "reopened_count",
            "sla_breached",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    type: Mapped[TicketType] = mapped_column(_str_enum(TicketType))
    category: Mapped[str] = mapped_column(String(64))
    subcategory: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(String(64), comment="third taxonomy level, e.g. 破损")
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[Severity] = mapped_column(_str_enum(Severity, 16))
    priority: Mapped[int] = mapped_column(Integer, default=3, comment="1 (highest) to 4")
    status: Mapped[TicketStatus] = mapped_column(_str_enum(TicketStatus))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_groups.id", ondelete="SET NULL"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_shifts.id", ondelete="SET NULL"))
    is_vip: Mapped[bool] = mapped_column(Boolean, default=False)
    sku_code: Mapped[str | None] = mapped_column(String(64))
    amount_fen: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(32), default="manual")
    source_key: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    queue_at: Mapped[datetime] = mapped_column(UTCDateTime, default=QUEUE_END, comment="deadline order")
    queue_rank: Mapped[int] = mapped_column(
        Integer, default=RANK_NORMAL, server_default=str(RANK_NORMAL), comment="0 follow-up due, 1 normal"
    )
    sla_policy_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticket_sla_policies.id", ondelete="SET NULL")
    )
    first_response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sla_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, comment="next deadline; NULL paused")
    sla_warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sla_paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sla_remaining_seconds: Mapped[int | None] = mapped_column(Integer, comment="left when paused")
    sla_warn_remaining_seconds: Mapped[int | None] = mapped_column(Integer)
    sla_paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    sla_breached: Mapped[bool] = mapped_column(Boolean, default=False)
    sla_alert_level: Mapped[int] = mapped_column(Integer, default=0, comment="1 warned, 2 breached")
    first_responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopened_count: Mapped[int] = mapped_column(Integer, default=0)
    follow_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    follow_up_note: Mapped[str | None] = mapped_column(String(200))
    rating_stars: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class TimelineEntry(Base):
    """Append-only: who, when, what changed (old/new in ``data``), comments and internal notes."""

    __tablename__ = "ticket_timeline"
    __table_args__ = (Index("ix_ticket_timeline_ticket_id_id", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(24))
    message: Mapped[str] = mapped_column(Text)
    is_internal: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Handoff(Base):
    """交接登记: an unresolved ticket passed from one shift to the next at the shift's end."""

    __tablename__ = "ticket_handoffs"
    __table_args__ = (
        UniqueConstraint("ticket_id", "shift_day", "from_shift_id"),
        Index("ix_ticket_handoffs_to_user_id_acknowledged_at", "to_user_id", "acknowledged_at"),
        Index("ix_ticket_handoffs_to_shift_id_acknowledged_at", "to_shift_id", "acknowledged_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    shift_day: Mapped[str] = mapped_column(String(10), comment="local date the shift started")
    from_shift_id: Mapped[int] = mapped_column(ForeignKey("ticket_shifts.id", ondelete="CASCADE"))
    to_shift_id: Mapped[int] = mapped_column(ForeignKey("ticket_shifts.id", ondelete="CASCADE"))
    from_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    to_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    last_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FeedbackItem(Base):
    """闭环: a problem raised from a ticket to a department, answered back onto the ticket."""

    __tablename__ = "ticket_feedback"
    __table_args__ = (
        Index("ix_ticket_feedback_department_status", "department", "status"),
        Index("ix_ticket_feedback_ticket_id", "ticket_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    department: Mapped[str] = mapped_column(String(32))
    sku_code: Mapped[str | None] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(64))
    subcategory: Mapped[str | None] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    status: Mapped[FeedbackStatus] = mapped_column(_str_enum(FeedbackStatus, 16))
    answer: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TicketConfigVersion(Base):
    """One row whose random token changes with every flush that touches the configuration
    ticket creation reads (``CONFIG_MODELS``); each process keeps that configuration in memory
    and re-reads it only when the token differs (``tickets/config/snapshot.py``)."""

    __tablename__ = "ticket_config_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), comment="uuid4 hex, new on every change")


CONFIG_SESSION_KEY = "tickets.config"
CONFIG_MODELS = (Shop, TaxonomyNode, TicketGroup, SlaPolicy, Shift, RosterEntry, RoutingRule)


def bump_config_version(connection: Connection) -> None:
    """In the writer's transaction: readers see the new token exactly when they see the change."""
    version = update(TicketConfigVersion).where(TicketConfigVersion.id == 1)
    connection.execute(version.values(token=uuid.uuid4().hex))


@event.listens_for(OrmSession, "before_flush")
def _bump_on_config_change(session: OrmSession, _context: Any, _instances: Any) -> None:
    added_or_removed = itertools.chain(session.new, session.deleted)
    modified = (i for i in session.dirty if isinstance(i, CONFIG_MODELS) and session.is_modified(i))
    if any(isinstance(i, CONFIG_MODELS) for i in added_or_removed) or any(modified):
        bump_config_version(session.connection())
        session.info.pop(CONFIG_SESSION_KEY, None)


import aftersales.tickets.collab_models  # noqa: E402,F401  (their tables join this domain's metadata)
