import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from aftersales.catalog.models import Platform, platform_enum
from aftersales.db import Base
from aftersales.kit.time import utcnow
from aftersales.kit.types import UTCDateTime


class Sender(enum.StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    BOT = "bot"

    @property
    def label(self) -> str:
        return {"customer": "顾客", "agent": "客服", "bot": "机器人"}[self.value]


class Handling(enum.StrEnum):
    """Who answered: only the bot (纯机接待), the bot then a person (转人工), only people, nobody."""

    BOT_ONLY = "bot_only"
    TRANSFERRED = "transferred"
    HUMAN = "human"
    UNANSWERED = "unanswered"

    @property
    def label(self) -> str:
        return {"bot_only": "纯机器人", "transferred": "转人工", "human": "人工", "unanswered": "未回复"}[
            self.value
        ]


def _enum(cls: type[enum.StrEnum], length: int = 16) -> Enum:
    return Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class ChatSession(Base):
    """One conversation on a platform's IM, keyed by the platform's session id within a shop."""

    __tablename__ = "chat_sessions"
    __table_args__ = (
        UniqueConstraint("shop_id", "session_key"),
        Index("ix_chat_sessions_shop_id_started_at", "shop_id", "started_at"),
        Index("ix_chat_sessions_started_at", "started_at"),
        Index("ix_chat_sessions_order_id", "order_id"),
        Index("ix_chat_sessions_agent_id_started_at", "agent_id", "started_at"),
        Index("ix_chat_sessions_ticket_id", "ticket_id"),
        # Covering index of the analytics scorecard (migration 0701): per-agent averages over a range.
        Index(
            "ix_chat_sessions_scorecard",
            "started_at",
            "agent_id",
            "first_response_seconds",
            "avg_response_seconds",
        ),
        # Agent first (migration 0702): the scorecard's GROUP BY agent reads it in order, no sort.
        Index(
            "ix_chat_sessions_scorecard_agent",
            "agent_id",
            "started_at",
            "first_response_seconds",
            "avg_response_seconds",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    platform: Mapped[Platform] = mapped_column(platform_enum())
    session_key: Mapped[str] = mapped_column(String(128), comment="the platform's session id")
    customer_account: Mapped[str | None] = mapped_column(String(128), comment="buyer nick on the platform")
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    ticket_id: Mapped[int | None] = mapped_column(Integer, comment="linked ticket (tickets.id)")
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), comment="first human agent")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_customer_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_seconds: Mapped[int | None] = mapped_column(Integer)
    avg_response_seconds: Mapped[int | None] = mapped_column(Integer)
    max_response_seconds: Mapped[int | None] = mapped_column(Integer)
    responses: Mapped[int] = mapped_column(Integer, default=0, comment="agent replies that answered a wait")
    customer_messages: Mapped[int] = mapped_column(Integer, default=0)
    agent_messages: Mapped[int] = mapped_column(Integer, default=0)
    bot_messages: Mapped[int] = mapped_column(Integer, default=0)
    handling: Mapped[Handling] = mapped_column(_enum(Handling), default=Handling.UNANSWERED)
    transferred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handed_over_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, comment="when the bot handed the customer to a person (transfer marker)"
    )
    times_known: Mapped[bool] = mapped_column(
        Boolean,
        default=True,
        server_default=true(),
        comment="false when an export gave only the order of messages: times are placeholders, "
        "response times cannot be computed",
    )
    repeat_contact: Mapped[bool] = mapped_column(
        Boolean, default=False, comment="the customer came back about the same order within 24 h"
    )
    repeat_of_session_id: Mapped[int | None] = mapped_column(
        Integer, comment="earlier session this one repeats"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ChatMessage(Base):
    __tablename__ = "chat_messages"
    __table_args__ = (
        UniqueConstraint("session_id", "source_id"),
        Index("ix_chat_messages_session_id_sent_at", "session_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("chat_sessions.id", ondelete="CASCADE"))
    source_id: Mapped[str] = mapped_column(
        String(64), comment="platform message id, or a hash of time+sender+text"
    )
    sender: Mapped[Sender] = mapped_column(_enum(Sender, 12))
    text: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    agent_account: Mapped[str | None] = mapped_column(String(64), comment="agent sub-account as exported")
    response_seconds: Mapped[int | None] = mapped_column(
        Integer, comment="for agent replies: the wait answered"
    )


class RecommendationSource(enum.StrEnum):
    """How a recommendation was recorded: found in an agent's message at ingest, or by the agent's
    own 推荐商品 action on the chat."""

    DETECTED = "detected"
    MANUAL = "manual"

    @property
    def label(self) -> str:
        return {"detected": "聊天识别", "manual": "客服登记"}[self.value]


class ProductRecommendation(Base):
    """An agent recommended a catalogue SKU to the buyer of a chat (商品推荐). One per chat and
    SKU: naming the same product three times in one chat is one recommendation."""

    __tablename__ = "product_recommendations"
    __table_args__ = (
        UniqueConstraint("session_id", "sku_id"),
        Index("ix_product_recommendations_recommended_at", "recommended_at"),
        Index("ix_product_recommendations_customer_id", "customer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("chat_sessions.id", ondelete="CASCADE"))
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("chat_messages.id", ondelete="SET NULL"), comment="the agent message that named it"
    )
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), comment="the buyer")
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    sku_code: Mapped[str] = mapped_column(String(64))
    recommended_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[RecommendationSource] = mapped_column(_enum(RecommendationSource))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FollowUpMode(enum.StrEnum):
    """催付 through the outbox with the template, or a follow-up the agent made by hand (phone, IM
    outside the platform) and only records."""

    MESSAGE = "message"
    MANUAL = "manual"

    @property
    def label(self) -> str:
        return {"message": "催付消息", "manual": "人工跟单"}[self.value]


class OrderFollowUp(Base):
    """跟单 of an unpaid order: at most one per order, so a second click or a retried request
    sends nothing twice."""

    __tablename__ = "order_follow_ups"
    __table_args__ = (Index("ix_order_follow_ups_followed_at", "followed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    mode: Mapped[FollowUpMode] = mapped_column(_enum(FollowUpMode))
    template_code: Mapped[str | None] = mapped_column(String(64), comment="the 催付 template sent")
    note: Mapped[str | None] = mapped_column(String(200))
    followed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ConversionSettings(Base):
    """One shop's conversion windows; a shop without a row uses ``conversion.DEFAULTS``."""

    __tablename__ = "conversion_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), unique=True)
    recommendation_days: Mapped[int] = mapped_column(
        Integer, comment="a recommended SKU bought within this many days converts"
    )
    unpaid_after_minutes: Mapped[int] = mapped_column(
        Integer, comment="an unpaid order joins the 跟单 list after this many minutes"
    )
    follow_up_hours: Mapped[int] = mapped_column(
        Integer, comment="a followed-up order paid within this many hours converts"
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
