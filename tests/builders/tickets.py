import itertools
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.orders.models import Order
from aftersales.tickets import collab, service
from aftersales.tickets.collab_models import GroupBotApp, TicketPhoto
from aftersales.tickets.models import GroupBot, RoutingRule, Ticket
from tests.builders.catalog import make_shop

_seq = itertools.count(1)


def make_ticket(
    session: Session,
    *,
    shop: Shop | None = None,
    order: Order | None = None,
    now: datetime | None = None,
    **overrides: Any,
) -> Ticket:
    """A ticket created through the service (routing, SLA and shift apply as in production)."""
    n = next(_seq)
    if order is None and shop is None:
        shop = make_shop(session)
    fields: dict[str, Any] = {
        "type": "consultation",
        "category": "商品问题",
        "subcategory": "质量问题",
        "title": f"测试工单{n}",
        "description": "客户反映商品有问题",
        **overrides,
    }
    return service.create_ticket(
        session,
        shop_id=shop.id if shop else None,
        order_id=order.id if order else None,
        now=now,
        **fields,
    )


def make_bot(session: Session, *, group_code: str = "aftersales", **overrides: Any) -> GroupBot:
    fields: dict[str, Any] = {
        "channel": "wecom",
        "name": "售后群机器人",
        "url": "http://127.0.0.1:9/hook",
        **overrides,
    }
    bot = GroupBot(group_id=service.group_by_code(session, group_code).id, **fields)
    session.add(bot)
    session.flush()
    return bot


def make_rule(session: Session, **overrides: Any) -> RoutingRule:
    n = next(_seq)
    fields: dict[str, Any] = {"name": f"规则{n}", "position": n, "conditions": {}, **overrides}
    rule = RoutingRule(**fields)
    session.add(rule)
    session.flush()
    return rule


def make_bot_app(session: Session, *, bot: GroupBot, role: str = "courier", **overrides: Any) -> GroupBotApp:
    """The platform app behind a group robot (callback keys, Feishu app credentials)."""
    app = GroupBotApp(bot_id=bot.id, role=role, **overrides)
    session.add(app)
    session.flush()
    return app


# The smallest valid PNG (1x1, one white pixel), for photo evidence.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8ffff3f0005fe02fea7d6a4a60000000049454e44ae426082"
)


def make_photo(session: Session, *, ticket: Ticket, content: bytes = PNG, **overrides: Any) -> TicketPhoto:
    fields: dict[str, Any] = {"source": "buyer", **overrides}
    return collab.attach_photo(session, ticket_id=ticket.id, content=content, **fields)
