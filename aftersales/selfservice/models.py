"""Tables of the self-service domain.

Cross-domain ids (``ticket_id``, ``return_request_id``) are plain integers without a foreign key:
tickets and returns live on their own migration branches and may be absent in a deployment.
"""

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Enum, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aftersales.db import Base
from aftersales.kit.time import utcnow
from aftersales.kit.types import JSONType, UTCDateTime


def _str_enum(cls: type[enum.StrEnum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=24, values_callable=lambda e: [m.value for m in e])


class RequestKind(enum.StrEnum):
    RETURN = "return"
    EXCHANGE = "exchange"
    REFUND = "refund"
    ADDRESS_CHANGE = "address_change"
    INVOICE = "invoice"
    INSTALLATION = "installation"
    DELAY_SHIPPING = "delay_shipping"
    MISSING_ITEM = "missing_item"

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


KIND_LABELS = {
    RequestKind.RETURN: "退货退款",
    RequestKind.EXCHANGE: "换货",
    RequestKind.REFUND: "仅退款",
    RequestKind.ADDRESS_CHANGE: "修改收货地址",
    RequestKind.INVOICE: "发票登记",
    RequestKind.INSTALLATION: "预约安装",
    RequestKind.DELAY_SHIPPING: "延迟发货",
    RequestKind.MISSING_ITEM: "少件/漏发",
}


class RequestStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    PROCESSING = "processing"
    COMPLETED = "completed"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    RequestStatus.SUBMITTED: "已提交",
    RequestStatus.PROCESSING: "处理中",
    RequestStatus.COMPLETED: "已完成",
    RequestStatus.REJECTED: "未通过",
}


class ReturnMethod(enum.StrEnum):
    PICKUP = "pickup"
    SELF_SEND = "self_send"
    RUNNER = "runner"

    @property
    def label(self) -> str:
        return METHOD_LABELS[self]


METHOD_LABELS = {
    ReturnMethod.PICKUP: "快递上门取件",
    ReturnMethod.SELF_SEND: "自行寄回",
    ReturnMethod.RUNNER: "同城跑腿",
}


class PortalCode(Base):
    """A one-time code sent to the order's phone; only an HMAC of the code is stored."""

    __tablename__ = "portal_codes"
    __table_args__ = (Index("ix_portal_codes_order_id_sent_at", "order_id", "sent_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PortalLockout(Base):
    """Failed log-in attempts per order number and client address; too many lock that client out
    of that order for a while (never the order's customer, who comes from elsewhere)."""

    __tablename__ = "portal_lockouts"

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    client: Mapped[str] = mapped_column(String(64), primary_key=True, default="")
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PortalRequest(Base):
    """One customer request made in the portal; becomes a ticket (and a return request where relevant)."""

    __tablename__ = "portal_requests"
    __table_args__ = (
        Index("ix_portal_requests_order_id_created_at", "order_id", "created_at"),
        Index("ix_portal_requests_ticket_id", "ticket_id"),
        Index("ix_portal_requests_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    kind: Mapped[RequestKind] = mapped_column(_str_enum(RequestKind, "portal_request_kind"))
    status: Mapped[RequestStatus] = mapped_column(
        _str_enum(RequestStatus, "portal_request_status"), default=RequestStatus.SUBMITTED
    )
    reason: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    return_method: Mapped[ReturnMethod | None] = mapped_column(
        _str_enum(ReturnMethod, "portal_return_method")
    )
    ticket_id: Mapped[int | None] = mapped_column(Integer)
    return_request_id: Mapped[int | None] = mapped_column(Integer)
    expected_by: Mapped[datetime | None] = mapped_column(UTCDateTime, comment="from the ticket's SLA")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    steps: Mapped[list["PortalRequestStep"]] = relationship(
        lazy="raise", order_by="PortalRequestStep.occurred_at, PortalRequestStep.id"
    )


class PortalRequestStep(Base):
    """One step of a request's progress, as the customer sees it on the progress page."""

    __tablename__ = "portal_request_steps"
    __table_args__ = (Index("ix_portal_request_steps_request_id_occurred_at", "request_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("portal_requests.id", ondelete="CASCADE"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[RequestStatus] = mapped_column(_str_enum(RequestStatus, "portal_step_status"))
    message: Mapped[str] = mapped_column(String(500))


class PortalUpload(Base):
    """A photo the customer attached; the file lives under the configured upload directory."""

    __tablename__ = "portal_uploads"
    __table_args__ = (Index("ix_portal_uploads_request_id", "request_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("portal_requests.id", ondelete="CASCADE"))
    stored_name: Mapped[str] = mapped_column(String(128), unique=True)
    original_name: Mapped[str | None] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(32))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReturnTask(Base):
    """The work a return method creates: a courier pickup booking, the return address, a runner.

    ``status``: open, booked (the courier accepted a pickup), reminded, done or cancelled.
    """

    __tablename__ = "portal_return_tasks"
    __table_args__ = (Index("ix_portal_return_tasks_status_due_at", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("portal_requests.id", ondelete="CASCADE"), unique=True)
    method: Mapped[ReturnMethod] = mapped_column(_str_enum(ReturnMethod, "portal_task_method"))
    status: Mapped[str] = mapped_column(String(16), default="open")
    due_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, comment="pickup slot start, or when to chase"
    )
    address: Mapped[str | None] = mapped_column(String(255), comment="where to collect, or where to send to")
    note: Mapped[str | None] = mapped_column(String(500))
    courier: Mapped[str | None] = mapped_column(String(16), comment="courier booked for a pickup")
    pickup_code: Mapped[str | None] = mapped_column(String(16), comment="the courier's pickup code")
    tracking_no: Mapped[str | None] = mapped_column(String(64), comment="return waybill of a booked pickup")
    booked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BotExchange(Base):
    """One question the bot received and what it did: answered (with intent, confidence) or handed over."""

    __tablename__ = "bot_exchanges"
    __table_args__ = (
        Index("ix_bot_exchanges_shop_id_asked_at", "shop_id", "asked_at"),
        Index("ix_bot_exchanges_session_key", "session_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    session_key: Mapped[str] = mapped_column(String(128))
    question: Mapped[str] = mapped_column(Text)
    intent: Mapped[str | None] = mapped_column(String(32))
    confidence: Mapped[float] = mapped_column(Float)
    answer: Mapped[str] = mapped_column(Text)
    handed_over: Mapped[bool] = mapped_column(Boolean, default=False)
    handover_reason: Mapped[str | None] = mapped_column(String(32))
    ticket_id: Mapped[int | None] = mapped_column(Integer)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BotFaqEntry(Base):
    """The answer a shop gives to one FAQ intent; ``shop_id`` NULL is the default every shop falls
    back to (seeded from the packaged ``data/bot_faq.yaml``)."""

    __tablename__ = "bot_faq_entries"
    __table_args__ = (UniqueConstraint("shop_id", "intent"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    intent: Mapped[str] = mapped_column(String(32), comment="a bot intent code")
    answer: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class QuickReply(Base):
    """A reply snippet for agents (快捷话术): per scenario (bot intent), with order variables."""

    __tablename__ = "quick_replies"
    __table_args__ = (
        UniqueConstraint("shortcut"),
        Index("ix_quick_replies_scenario", "scenario"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    scenario: Mapped[str] = mapped_column(String(32), comment="a bot intent code, or 'general'")
    shortcut: Mapped[str] = mapped_column(String(32), comment="typed as /shortcut in the chat box")
    title: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    keywords: Mapped[str] = mapped_column(String(500), default="", comment="space-separated search words")
    usage_count: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class QuickReplyUse(Base):
    """Each time an agent used a snippet: the counter's audit trail, for per-agent statistics."""

    __tablename__ = "quick_reply_uses"
    __table_args__ = (Index("ix_quick_reply_uses_quick_reply_id_used_at", "quick_reply_id", "used_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quick_reply_id: Mapped[int] = mapped_column(ForeignKey("quick_replies.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    ticket_id: Mapped[int | None] = mapped_column(Integer)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# The knowledge base's, the invoices' and the survey's tables live in their own modules; importing
# them registers them with the models.
from aftersales.selfservice.invoice_models import Invoice  # noqa: E402, F401
from aftersales.selfservice.knowledge_models import KnowledgeArticle, KnowledgeVersion  # noqa: E402, F401
from aftersales.selfservice.survey_models import (  # noqa: E402, F401
    SurveyAnswer,
    SurveyInvitation,
    SurveyQuestion,
)
