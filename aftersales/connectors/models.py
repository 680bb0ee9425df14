"""Connector accounts (credentials encrypted, health), 快递100 subscriptions and SMS sends."""

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aftersales.db import Base
from aftersales.kit.time import utcnow
from aftersales.kit.types import JSONType, UTCDateTime


class Provider(enum.StrEnum):
    KUAIDI100 = "kuaidi100"
    ALIYUN_SMS = "aliyun_sms"
    TAOBAO = "taobao"
    DOUYIN = "douyin"
    PDD = "pdd"
    JUSHUITAN = "jushuitan"
    SF_EXPRESS = "sf_express"
    WANGDIANTONG = "wangdiantong"
    ZTO = "zto"


GLOBAL_SCOPE = "all"


class ConnectorAccount(Base):
    """One provider account, for one shop or for all shops (``scope`` = shop id or ``all``).

    ``secret_blob`` is the Fernet token of the credentials (``connectors.secrets``); only
    ``secret_hint`` (masked) is ever shown. The health fields are what the 连接 page and
    ``aftersales connect list`` show: last success, last error, counts.
    """

    __tablename__ = "connector_accounts"
    __table_args__ = (UniqueConstraint("provider", "scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(16))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    sandbox: Mapped[bool] = mapped_column(Boolean, default=False)
    secret_blob: Mapped[str] = mapped_column(Text)
    secret_hint: Mapped[str] = mapped_column(String(255), default="")
    settings: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    success_count: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Platform sync: where each stream (trades, refunds) has been read up to, and the back-off.
    cursor: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sync_failures: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SubscriptionStatus(enum.StrEnum):
    SUBSCRIBED = "subscribed"  # 快递100 accepted; pushes follow
    FAILED = "failed"  # refused for good (wrong courier code, …): the real-time query covers it
    RETRY = "retry"  # not accepted yet (throttled, server error, 3天查询无记录): subscribe again later
    FINISHED = "finished"  # 快递100 pushed status=shutdown (signed for): nothing more comes


class TrackingSubscription(Base):
    """One parcel's 快递100 subscription: its state and when to try again."""

    __tablename__ = "tracking_subscriptions"
    __table_args__ = (Index("ix_tracking_subscriptions_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("connector_accounts.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_code: Mapped[str | None] = mapped_column(String(16))
    last_message: Mapped[str | None] = mapped_column(String(255))
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    subscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_push_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_query_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SmsSend(Base):
    """One SMS accepted by the gateway, keyed by the outbox idempotency key (sent as ``OutId``);
    the delivery receipt fills ``delivered``/``report_*``. Also the per-phone rate limit's record."""

    __tablename__ = "sms_sends"
    __table_args__ = (
        Index("ix_sms_sends_phone_sent_at", "phone", "sent_at"),
        Index("ix_sms_sends_biz_id", "biz_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("connector_accounts.id", ondelete="CASCADE"))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    phone: Mapped[str] = mapped_column(String(32))
    template_code: Mapped[str] = mapped_column(String(64))
    biz_id: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered: Mapped[bool | None] = mapped_column(Boolean)
    report_code: Mapped[str | None] = mapped_column(String(64))
    report_message: Mapped[str | None] = mapped_column(String(255))
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
