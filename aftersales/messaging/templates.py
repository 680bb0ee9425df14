"""Customer message templates: Chinese Jinja2 text with variables taken from the order.

Templates run in Jinja2's sandbox (a shop operator writes them, so they must not reach Python
internals). Every variable a template may use is listed in ``VARIABLES``; a template naming any
other variable is refused when it is saved (``validate_template``), so a typo never surfaces as a
failed send at 3 a.m. At send time every known variable is present (empty when the order has no
value for it); ``render_checked`` also says which of them a text printed empty, so a message that
would read "亲,因,快递暂时无法派送" is held instead of sent.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, UndefinedError, meta
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import Boolean, Index, Integer, String, Text, bindparam, select
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql.elements import BindParameter

from aftersales.catalog.models import Shop
from aftersales.db import Base
from aftersales.kit.errors import InvalidInputError, NotFoundError
from aftersales.kit.time import SHANGHAI, utcnow
from aftersales.kit.types import UTCDateTime
from aftersales.kit.upsert import insert_ignore
from aftersales.orders.couriers import courier_name
from aftersales.orders.models import Customer, Order, OrderItem, Shipment
from aftersales.orders.tracking import STATUS_LABELS

# name -> what it holds (shown to the operator next to the template editor).
ORDER_VARIABLES: dict[str, str] = {
    "order_no": "订单号",
    "shop_name": "店铺名称",
    "buyer_nick": "买家账号",
    "receiver_name": "收件人姓名",
    "order_amount": "实付金额(元)",
    "item_titles": "商品名称(顿号分隔)",
    "items": "商品列表,每项有 title、quantity",
    "courier_name": "快递公司(消息所指的包裹,否则首个包裹)",
    "tracking_no": "运单号(消息所指的包裹,否则首个包裹)",
    "parcel_status": "物流状态(消息所指的包裹,否则首个包裹)",
    "parcels": "包裹列表,每项有 courier_name、tracking_no、contents、status、eta_date",
    "parcel_count": "包裹数",
    "is_split": "是否拆单发货",
    "eta_date": "预计送达日期,如 11月15日(消息所指的包裹,否则整单)",
    "eta_days": "预计还需几天送达",
    "invoice_title": "发票抬头",
    "invoice_link": "电子发票查看链接(自助门户的发票页面)",
    "survey_link": "服务评价问卷链接(自助门户的问卷页面)",
    "gift_tracking_no": "赠品包裹运单号(只含赠品的包裹)",
    "reshipment_courier": "补发包裹快递公司",
    "reshipment_tracking_no": "补发包裹运单号",
    "region": "收货地区(省 市 区)",
}
# Values the caller passes in ``extra`` (the order alone does not know them).
EXTRA_VARIABLES: dict[str, str] = {
    "refund_amount": "退款金额(元)",
    "refund_completed_at": "退款完成时间",
    "protected_item": "保价退差价的商品名称",
    "restricted_reason": "停发原因",
    "restricted_until": "预计恢复发货日期",
    "delay_days": "预计延误天数",
    "new_eta_date": "新的预计送达日期",
}
VARIABLES: dict[str, str] = {**ORDER_VARIABLES, **EXTRA_VARIABLES}

CHANNELS = ("platform_im", "sms", "email", "webhook")
MAX_BODY_CHARS = 2000
LOAD_CHUNK = 500


class TemplateInvalidError(InvalidInputError):
    """A template that cannot be saved: bad syntax or a variable we cannot fill."""


class TemplateNotFoundError(NotFoundError):
    def __init__(self, code: str) -> None:
        super().__init__(f"消息模板不存在: {code}")


class MessageTemplate(Base):
    """A named, validated message text. ``code`` is what rules refer to (``eta_apology``)."""

    __tablename__ = "message_templates"
    __table_args__ = (Index("ix_message_templates_is_active", "is_active"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(32), default="platform_im")
    subject: Mapped[str | None] = mapped_column(String(200), comment="email subject, also a template")
    body: Mapped[str] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1, comment="raised on every save")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


def validate_template(body: str, *, field: str = "body") -> set[str]:
    """Parse ``body`` and return the variables it uses; refuse syntax errors and unknown names."""
    if not body or not body.strip():
        raise TemplateInvalidError(field, "模板内容不能为空")
    if len(body) > MAX_BODY_CHARS:
        raise TemplateInvalidError(field, f"模板过长(超过 {MAX_BODY_CHARS} 字)")
    try:
        ast = _env.parse(body)
    except TemplateSyntaxError as exc:
        raise TemplateInvalidError(field, f"模板语法错误(第 {exc.lineno} 行): {exc.message}") from None
    used = meta.find_undeclared_variables(ast)
    unknown = sorted(used - set(VARIABLES))
    if unknown:
        raise TemplateInvalidError(field, "未知变量: " + "、".join(unknown) + "(可用变量见模板说明)")
    return used


@lru_cache(maxsize=512)
def compiled(body: str) -> Any:
    return _env.from_string(body)


# The environment's globals (``range``, ``namespace``...) under every known variable left empty:
# what ``Template.render`` would merge for each message, merged once.
BASE_CONTEXT: dict[str, Any] = {**_env.globals, **dict.fromkeys(VARIABLES, "")}


def render(body: str, context: dict[str, Any]) -> str:
    """Render a validated template. Known variables missing from ``context`` render empty."""
    return _render(body, {**BASE_CONTEXT, **context})


class _Blank:
    """A variable with no value: prints as nothing and is false in ``{% if %}``, but remembers
    that it was printed (a text that prints it is incomplete)."""

    __slots__ = ("name", "printed")

    def __init__(self, name: str, printed: list[str]) -> None:
        self.name, self.printed = name, printed

    def __str__(self) -> str:
        self.printed.append(self.name)
        return ""

    def __bool__(self) -> bool:
        return False

    def __iter__(self) -> Any:
        return iter(())


def render_checked(body: str, context: dict[str, Any]) -> tuple[str, list[str]]:
    """Render and return the variables the text printed empty (or the unknown one it named), in
    order; an empty list means the text is complete. ``{% if eta_date %}…{% endif %}`` around an
    empty variable is fine: it is not printed."""
    printed: list[str] = []
    values = {name: _Blank(name, printed) for name in VARIABLES}
    values.update((k, v) for k, v in context.items() if v is not None and v != "")
    try:
        text = _render(body, {**_env.globals, **values})
    except UndefinedError as exc:
        return "", [str(exc.message or "未知变量")]
    return text, list(dict.fromkeys(printed))


def _render(body: str, context: dict[str, Any]) -> str:
    return render_shared(compiled(body), context)


def render_shared(template: Template, context: dict[str, Any]) -> str:
    """Speed trick over ``render_plain``, with the same text: the context (already holding the
    environment's globals) is handed to Jinja as one shared dict, through Jinja's internals
    (``new_context``, ``root_render_func``), so a bulk send does not pay for Jinja copying the
    globals and variables again for every message. ``tests/messaging/test_templates.py`` checks
    both give the same text."""
    jinja_context = template.new_context(context, shared=True)
    try:
        return str(_env.concat(template.root_render_func(jinja_context))).strip()
    except UndefinedError:
        raise
    except Exception:
        _env.handle_exception()


def render_plain(template: Template, context: dict[str, Any]) -> str:
    """The reference: Jinja's public ``Template.render``."""
    return template.render(context).strip()


def _local_date(value: datetime | None) -> str:
    if value is None:
        return ""
    local = value.astimezone(SHANGHAI)
    return f"{local.month}月{local.day}日"


def _status(shipment: Any) -> str:
    return STATUS_LABELS.get(shipment.status, "待揽收") if shipment.status else "待揽收"


def _parcel(order: Any, shipment: Any) -> dict[str, Any]:
    return {
        "courier": shipment.courier,
        "courier_name": courier_name(shipment.courier),
        "tracking_no": shipment.tracking_no,
        "contents": shipment.item_summary or "",
        "status": _status(shipment),
        "eta_date": _local_date(order.promised_delivery_at or shipment.estimated_delivery_at),
    }


def _eta(order: Any, shipments: list[Any], now: datetime) -> tuple[str, int | str]:
    """The platform's promise, else the latest courier estimate among undelivered ``shipments``."""
    pending = [
        s.estimated_delivery_at for s in shipments if s.delivered_at is None and s.estimated_delivery_at
    ]
    due = order.promised_delivery_at or (max(pending) if pending else None)
    if due is None:
        return "", ""
    days = max(0, (due.astimezone(SHANGHAI).date() - now.astimezone(SHANGHAI).date()).days)
    return _local_date(due), days


def gift_parcels(items: list[Any], shipments: list[Any]) -> list[Any]:
    """Parcels carrying only the order's gift lines (the item's gift flag, never a word in a
    description): the platform tells which item lines each parcel holds."""
    gift_lines = {i.line_no for i in items if i.is_gift}
    return [s for s in shipments if s.item_lines and gift_lines.issuperset(s.item_lines)]


def build_context(
    order: Any,
    *,
    items: list[Any],
    shipments: list[Any],
    now: datetime | None = None,
    parcel_id: int | None = None,
) -> dict[str, Any]:
    """The order variables from already-loaded rows (bulk senders load rows once for many orders).

    ``order`` carries the order's columns plus ``shop_name``, ``shop_code`` and ``buyer``.
    ``parcel_id``: the parcel the message is about (the late one, the held one): courier, number,
    status and ETA are that parcel's, not the order's first parcel's.
    """
    regular = [s for s in shipments if not s.is_reshipment]
    reshipped = [s for s in shipments if s.is_reshipment]
    gifts = gift_parcels(items, shipments)
    about = [s for s in shipments if s.id == parcel_id]
    first = about[0] if about else regular[0] if regular else None
    eta_date, eta_days = _eta(order, about or regular, now or utcnow())
    return {
        "order_no": order.source_id,
        "shop_name": order.shop_name,
        "buyer_nick": order.buyer,
        "receiver_name": order.receiver_name or "",
        "order_amount": f"{order.paid_fen / 100:.2f}",
        "item_titles": "、".join(i.title for i in items),
        "items": [{"title": i.title, "quantity": i.quantity} for i in items],
        "courier_name": courier_name(first.courier) if first else "",
        "tracking_no": first.tracking_no if first else "",
        "parcel_status": _status(first) if first else "",
        "parcels": [_parcel(order, s) for s in regular],
        "parcel_count": len(regular),
        "is_split": len(regular) > 1,
        "eta_date": eta_date,
        "eta_days": eta_days,
        "invoice_title": order.invoice_title or "",
        "invoice_link": "",  # links are built only for a template that prints them (render_customer_messages)
        "survey_link": "",
        "gift_tracking_no": gifts[0].tracking_no if gifts else "",
        "reshipment_courier": courier_name(reshipped[-1].courier) if reshipped else "",
        "reshipment_tracking_no": reshipped[-1].tracking_no if reshipped else "",
        "region": " ".join(p for p in (order.province, order.city, order.district) if p),
    }


ORDER_COLUMNS = (
    Order.id,
    Order.platform,
    Order.source_id,
    Order.receiver_name,
    Order.receiver_phone,
    Order.paid_fen,
    Order.province,
    Order.city,
    Order.district,
    Order.invoice_title,
    Order.promised_delivery_at,
    Shop.name.label("shop_name"),
    Shop.code.label("shop_code"),
    Customer.source_id.label("buyer"),
    Customer.phone.label("buyer_phone"),
)
ITEM_COLUMNS = (OrderItem.order_id, OrderItem.line_no, OrderItem.title, OrderItem.quantity, OrderItem.is_gift)
SHIPMENT_COLUMNS = (
    Shipment.id,
    Shipment.order_id,
    Shipment.courier,
    Shipment.tracking_no,
    Shipment.item_summary,
    Shipment.item_lines,
    Shipment.status,
    Shipment.is_reshipment,
    Shipment.delivered_at,
    Shipment.estimated_delivery_at,
)


@dataclass
class OrderRows:
    """Everything a message about one order needs, loaded up front as plain rows (no ORM
    identity map: a notice run over thousands of orders is mostly this load)."""

    order: Any
    items: list[Any] = field(default_factory=list)
    shipments: list[Any] = field(default_factory=list)

    def context(self, now: datetime | None = None, parcel_id: int | None = None) -> dict[str, Any]:
        return build_context(
            self.order, items=self.items, shipments=self.shipments, now=now, parcel_id=parcel_id
        )


# Built once with an expanding parameter: the ids are bound at execution instead of being coerced
# into a fresh ``IN (...)`` expression per chunk, and the compiled form is cached.
_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)
_ORDERS_QUERY = (
    select(*ORDER_COLUMNS)
    .join(Shop, Shop.id == Order.shop_id)
    .join(Customer, Customer.id == Order.customer_id)
    .where(Order.id.in_(_IDS))
)
_ITEMS_QUERY = select(*ITEM_COLUMNS).where(OrderItem.order_id.in_(_IDS)).order_by(OrderItem.line_no)
_PARCELS_QUERY = select(*SHIPMENT_COLUMNS).where(Shipment.order_id.in_(_IDS)).order_by(Shipment.id)


def load_order_rows(session: Session, order_ids: Sequence[int]) -> dict[int, OrderRows]:
    """Orders with shop, buyer, items and parcels in three queries per chunk, whatever the count.

    The queries select plain columns, so they run on the session's connection (Core rows, no ORM
    result processing); pending changes are flushed first, as ``session.execute`` would.
    """
    if session.autoflush:
        session.flush()
    connection = session.connection()
    result: dict[int, OrderRows] = {}
    for start in range(0, len(order_ids), LOAD_CHUNK):
        ids = {"ids": list(order_ids[start : start + LOAD_CHUNK])}
        for row in connection.execute(_ORDERS_QUERY, ids):
            result[row.id] = OrderRows(row)
        for item in connection.execute(_ITEMS_QUERY, ids):
            result[item.order_id].items.append(item)
        for parcel in connection.execute(_PARCELS_QUERY, ids):
            result[parcel.order_id].shipments.append(parcel)
    return result


def order_context(session: Session, order_id: int, *, now: datetime | None = None) -> dict[str, Any]:
    """Every order variable for one order."""
    rows = load_order_rows(session, [order_id]).get(order_id)
    if rows is None:
        raise NotFoundError(f"订单不存在: {order_id}")
    return rows.context(now)


def all_templates(session: Session) -> list[MessageTemplate]:
    return list(session.scalars(select(MessageTemplate).order_by(MessageTemplate.code)))


def template_names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(MessageTemplate.code, MessageTemplate.name)).all())


def get_template(session: Session, code: str) -> MessageTemplate:
    template = session.scalar(select(MessageTemplate).where(MessageTemplate.code == code))
    if template is None or not template.is_active:
        raise TemplateNotFoundError(code)
    return template


def add_missing(session: Session, templates: Sequence[tuple[str, str, str, str]]) -> None:
    """Default templates (code, name, channel, body) that a sender needs, added when their code is
    missing; a shop's edited text is never overwritten."""
    now = utcnow()
    rows = []
    for code, name, channel, body in templates:
        validate_template(body)
        rows.append(
            {
                "code": code,
                "name": name,
                "channel": channel,
                "subject": None,
                "body": body,
                "is_active": True,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
    insert_ignore(session, MessageTemplate, rows, conflict_columns=["code"])


def save_template(
    session: Session,
    *,
    code: str,
    name: str,
    body: str,
    channel: str = "platform_im",
    subject: str | None = None,
) -> MessageTemplate:
    """Create or replace a template by code, validating body and subject first."""
    validate_template(body)
    if subject:
        validate_template(subject, field="subject")
    if channel not in CHANNELS:
        raise TemplateInvalidError("channel", f"未知渠道 {channel}(可选: {'、'.join(CHANNELS)})")
    template = session.scalar(select(MessageTemplate).where(MessageTemplate.code == code))
    if template is None:
        template = MessageTemplate(code=code, version=0)
        session.add(template)
    template.version += 1
    template.name, template.body, template.channel, template.subject = name, body, channel, subject
    template.is_active = True
    session.flush()
    return template
