"""What the ERP connectors (聚水潭, 旺店通) share, so each provider module holds only its protocol.

- The outbox's ``erp`` channel: ``returns.reshipments`` queues a connected ERP's push in the
  generic shape, addressed to the ERP by name (``returns.erp.CONNECTED``); the channel finds the
  reshipment by its ``RS<id>`` and hands it to the connector registered for that name, with the
  shop's account and the health record kept here once for all ERPs.
- The pull jobs' common ground: the reshipments pushed (the outbox delivered them) and not shipped
  yet, grouped by the account that serves their shop; and a shipped ERP order turned into the same
  ``erp_callback`` a webhook ERP sends, so the parcel is stored, tracked and the buyer told once.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from aftersales.connectors import service
from aftersales.connectors.errors import ProviderError
from aftersales.connectors.models import ConnectorAccount
from aftersales.kit.errors import AftersalesError
from aftersales.messaging.channels import DeliveryError, register_channel
from aftersales.messaging.models import OutboxMessage, OutboxStatus
from aftersales.orders.couriers import courier_code
from aftersales.returns import erp
from aftersales.returns.models import Reshipment, ReshipmentStatus
from aftersales.returns.reshipments import erp_callback
from aftersales.returns.schemas import ErpCallbackIn

# Sends one reshipment (the generic payload) with the account's credentials; raises ProviderError.
Push = Callable[[ConnectorAccount, dict[str, Any], Reshipment], None]


@dataclass(frozen=True)
class Connector:
    provider: str
    push: Push


_connectors: dict[str, Connector] = {}


def register_erp(erp_format: str, *, provider: str, push: Push) -> None:
    """``erp_format`` is the name ``returns.erp.CONNECTED`` addresses the push to."""
    _connectors[erp_format] = Connector(provider, push)


@dataclass(frozen=True)
class Shipped:
    """What an ERP says about a reshipment that left its warehouse."""

    out_order_no: str
    courier: str  # the ERP's name (or code) of the courier
    tracking_no: str
    shipped_at: datetime | None


class ErpChannel:
    """The outbox's ``erp`` channel: one for every connected ERP, dispatched by destination."""

    def send(self, message: OutboxMessage) -> None:
        session = object_session(message)
        reshipment_id = erp.parse_out_order_no(str(message.payload.get("out_order_no") or ""))
        reshipment = session.get(Reshipment, reshipment_id) if session is not None and reshipment_id else None
        if session is None or reshipment is None:
            raise DeliveryError(f"补发单不存在: {message.payload.get('out_order_no')}")
        connector = _connectors.get(message.destination)
        if connector is None:
            raise DeliveryError(f"没有 {message.destination} 的 ERP 连接器")
        deliver(session, connector, reshipment, message.payload)


def deliver(session: Session, connector: Connector, reshipment: Reshipment, payload: dict[str, Any]) -> None:
    """The push with the shop's account; its success or failure goes into the health record, and a
    failure fails the delivery so the outbox retries and the reshipment page shows the state."""
    label = service.provider_spec(connector.provider).label
    account = service.account_for(session, provider=connector.provider, shop_id=reshipment.shop_id)
    if account is None:
        raise DeliveryError(f"店铺没有{label}连接,请在 连接 页录入凭证")
    try:
        connector.push(account, payload, reshipment)
    except ProviderError as exc:
        service.record_failure(account, exc.message)
        raise DeliveryError(exc.message) from exc
    service.record_success(account)


channel = ErpChannel()
register_channel(erp.ERP_CHANNEL, channel)


@dataclass(frozen=True)
class Awaiting:
    """One shop's reshipments waiting for their waybill, and the account that serves the shop."""

    account: ConnectorAccount
    shop_id: int
    reshipments: list[Reshipment]


def awaiting(session: Session, *, erp_format: str, provider: str, limit: int) -> list[Awaiting]:
    """Pushed (the outbox delivered it) and not shipped yet, by shop; shops without an account are
    left out (nothing can be asked about them)."""
    query = (
        select(Reshipment)
        .join(OutboxMessage, OutboxMessage.idempotency_key == Reshipment.outbox_key)
        .where(
            Reshipment.erp_format == erp_format,
            Reshipment.status == ReshipmentStatus.PUSHING,
            OutboxMessage.status == OutboxStatus.SENT,
        )
        .order_by(Reshipment.id)
        .limit(limit)
    )
    by_shop: dict[int, list[Reshipment]] = {}
    for reshipment in session.scalars(query):
        by_shop.setdefault(reshipment.shop_id, []).append(reshipment)
    found = []
    for shop_id, rows in by_shop.items():
        account = service.account_for(session, provider=provider, shop_id=shop_id)
        if account is not None:
            found.append(Awaiting(account, shop_id, rows))
    return found


def record_shipped(session: Session, account: ConnectorAccount, shipped: Shipped) -> str | None:
    """The waybill into the reshipment (idempotent: a repeat changes nothing). Returns the reason
    when it cannot be stored (unknown courier, unknown reshipment), which the health record keeps."""
    try:
        data = ErpCallbackIn(
            out_order_no=shipped.out_order_no,
            courier=courier_code(shipped.courier),
            tracking_no=shipped.tracking_no,
            shipped_at=shipped.shipped_at,
        )
        with session.begin_nested():
            erp_callback(session, data=data)
    except (KeyError, ValueError, AftersalesError) as exc:
        reason = f"补发单 {shipped.out_order_no} 的发货信息无法读取: {str(exc)[:200]}"
        service.record_failure(account, reason)
        return reason
    return None
