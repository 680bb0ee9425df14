"""Rows of other domains with exact timestamps, for hand-computed analytics expectations.

Analytics reads tables and never calls other domains' services, so these builders write rows
directly (through the models) with the fields an analysis reads and nothing else.
"""

import itertools
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.conversations.models import ChatSession
from aftersales.kit.time import utcnow
from aftersales.logistics.models import Anomaly, Intercept
from aftersales.orders.models import Order, OrderItem, Shipment
from aftersales.qc.checkpoints import BY_CODE as CHECKPOINTS
from aftersales.qc.models import AlertStatus, QcAlert, QcFinding, QcSessionResult
from aftersales.reviews.models import RatingInvitation
from aftersales.tickets.models import Ticket
from tests.builders.catalog import make_shop
from tests.builders.orders import make_shipment

_seq = itertools.count(1)


def make_chat_row(
    session: Session, *, shop: Shop | None = None, started_at: datetime, **overrides: Any
) -> ChatSession:
    shop = shop or make_shop(session)
    fields: dict[str, Any] = {
        "session_key": f"an-chat-{next(_seq)}",
        "ended_at": started_at + timedelta(minutes=10),
        **overrides,
    }
    row = ChatSession(shop_id=shop.id, platform=shop.platform, started_at=started_at, **fields)
    session.add(row)
    session.flush()
    return row


def make_ticket_row(
    session: Session, *, shop: Shop | None = None, created_at: datetime, **overrides: Any
) -> Ticket:
    shop = shop or make_shop(session)
    fields: dict[str, Any] = {
        "type": "consultation",
        "category": "商品问题",
        "title": f"分析测试工单{next(_seq)}",
        "severity": "medium",
        "status": "new",
        **overrides,
    }
    row = Ticket(shop_id=shop.id, created_at=created_at, **fields)
    session.add(row)
    session.flush()
    return row


def make_order_item(
    session: Session, *, order: Order, sku_code: str, line_no: int = 1, **overrides: Any
) -> OrderItem:
    fields = {"title": sku_code, "quantity": 1, "unit_price_fen": 9900, **overrides}
    row = OrderItem(order_id=order.id, line_no=line_no, sku_code=sku_code, **fields)
    session.add(row)
    session.flush()
    return row


def make_invitation_row(
    session: Session, *, shop: Shop | None = None, eligible_at: datetime, **overrides: Any
) -> RatingInvitation:
    shop = shop or make_shop(session)
    fields: dict[str, Any] = {"kind": "chat", "subject_key": f"chat:an-{next(_seq)}", **overrides}
    row = RatingInvitation(shop_id=shop.id, eligible_at=eligible_at, **fields)
    session.add(row)
    session.flush()
    return row


def make_qc_row(session: Session, *, chat: ChatSession, score: int, **overrides: Any) -> QcSessionResult:
    fields: dict[str, Any] = {
        "passed": score >= 60,
        "emotion_polarity": "neutral",
        "emotion_label": "平静",
        "agent_id": chat.agent_id,
        **overrides,
    }
    row = QcSessionResult(
        session_id=chat.id,
        shop_id=chat.shop_id,
        platform=chat.platform,
        started_at=chat.started_at,
        score=score,
        **fields,
    )
    session.add(row)
    session.flush()
    return row


def make_anomaly_row(
    session: Session, *, first_seen_at: datetime, shipment: Shipment | None = None, **overrides: Any
) -> Anomaly:
    shipment = shipment or make_shipment(session)
    fields: dict[str, Any] = {"kind": "no_update", "courier": shipment.courier, **overrides}
    row = Anomaly(
        shipment_id=shipment.id,
        order_id=shipment.order_id,
        first_seen_at=first_seen_at,
        last_seen_at=first_seen_at,
        **fields,
    )
    session.add(row)
    session.flush()
    return row


def make_intercept_row(
    session: Session, *, created_at: datetime, shipment: Shipment | None = None, **overrides: Any
) -> Intercept:
    shipment = shipment or make_shipment(session)
    fields: dict[str, Any] = {"refund_request_id": next(_seq), "status": "requested", **overrides}
    row = Intercept(
        shipment_id=shipment.id,
        order_id=shipment.order_id,
        courier=shipment.courier,
        refund_requested_at=created_at,
        created_at=created_at,
        **fields,
    )
    session.add(row)
    session.flush()
    return row


def make_finding_row(
    session: Session, *, result: QcSessionResult, code: str, passed: bool = False, **overrides: Any
) -> QcFinding:
    """One checkpoint's result on a QC'd chat (failed by default: what the 复盘 counts)."""
    checkpoint = CHECKPOINTS[code]
    fields: dict[str, Any] = {"auto_passed": passed, "final_passed": passed, **overrides}
    row = QcFinding(
        session_id=result.session_id, code=code, area=checkpoint.area, weight=checkpoint.weight, **fields
    )
    session.add(row)
    session.flush()
    return row


def make_alert_row(
    session: Session,
    *,
    chat: ChatSession,
    level: str = "high",
    kinds: list[str] | None = None,
    **overrides: Any,
) -> QcAlert:
    """A QC alert raised now (when QC read the chat), whatever the chat's own time."""
    fields: dict[str, Any] = {
        "status": AlertStatus.OPEN,
        "raised_at": utcnow(),
        "phrase": "我要投诉",
        **overrides,
    }
    row = QcAlert(
        session_id=chat.id,
        shop_id=chat.shop_id,
        level=level,
        kinds=kinds or ["platform_complaint"],
        notified=0,
        **fields,
    )
    session.add(row)
    session.flush()
    return row
