"""Routing rules: matching on shop, platform, type, category, severity, SKU, amount; actions; VIP."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.messaging.models import OutboxMessage
from aftersales.orders.models import OrderItem
from aftersales.tickets.models import TicketGroup
from aftersales.tickets.routing import Facts, matches
from tests.builders import make_customer, make_order, make_shop, make_user
from tests.builders.tickets import make_bot, make_rule, make_ticket

FACTS = Facts(
    shop_id=1,
    platform="tmall",
    type="return",
    category="商品问题",
    subcategory="质量问题",
    severity="high",
    sku_codes=frozenset({"CUP-01"}),
    amount_fen=59900,
)


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        ({}, True),
        ({"shop_ids": [1]}, True),
        ({"shop_ids": [2]}, False),
        ({"platforms": ["jd", "tmall"]}, True),
        ({"platforms": ["pdd"]}, False),
        ({"types": ["return", "exchange"]}, True),
        ({"types": ["consultation"]}, False),
        ({"categories": ["商品问题"], "subcategories": ["质量问题"]}, True),
        ({"categories": ["物流问题"]}, False),
        ({"severities": ["high", "urgent"]}, True),
        ({"severities": ["low"]}, False),
        ({"sku_codes": ["CUP-01", "CUP-02"]}, True),
        ({"sku_codes": ["BAG-01"]}, False),
        ({"min_amount_fen": 50000}, True),
        ({"min_amount_fen": 60000}, False),
        ({"max_amount_fen": 59900}, True),
        ({"vip": True}, False),
        ({"vip": False}, True),
        ({"types": ["return"], "platforms": ["jd"]}, False),
    ],
    ids=str,
)
def test_condition_matching(conditions: dict[str, object], expected: bool) -> None:
    assert matches(conditions, FACTS) is expected


def group_code(session: Session, group_id: int | None) -> str:
    return session.scalars(select(TicketGroup.code).where(TicketGroup.id == group_id)).one()


class TestRoutingOnCreate:
    def test_matching_rule_sets_group_assignee_and_priority(self, session: Session) -> None:
        agent = make_user(session)
        make_rule(
            session,
            conditions={"types": ["complaint"]},
            set_group_code="supervisors",
            set_assignee_id=agent.id,
            set_priority=1,
        )
        ticket = make_ticket(session, type="complaint")
        assert (group_code(session, ticket.group_id), ticket.assignee_id, ticket.priority) == (
            "supervisors",
            agent.id,
            1,
        )

    def test_non_matching_rule_leaves_the_default_group(self, session: Session) -> None:
        make_rule(session, conditions={"types": ["complaint"]}, set_group_code="supervisors")
        ticket = make_ticket(session, type="consultation")
        assert group_code(session, ticket.group_id) == "aftersales"

    def test_stop_processing_keeps_later_rules_out(self, session: Session) -> None:
        make_rule(session, position=1, conditions={}, set_priority=2, stop_processing=True)
        make_rule(session, position=2, conditions={}, set_priority=1)
        assert make_ticket(session).priority == 2

    def test_rule_on_an_order_sku_matches_the_orders_items(self, session: Session) -> None:
        order = make_order(session)
        session.add(
            OrderItem(
                order_id=order.id, line_no=1, sku_code="MUG-9", title="马克杯", quantity=1, unit_price_fen=100
            )
        )
        session.flush()
        make_rule(session, conditions={"sku_codes": ["MUG-9"]}, set_group_code="product")
        ticket = make_ticket(session, order=order)
        assert group_code(session, ticket.group_id) == "product"

    def test_cc_queues_a_message_to_the_cc_groups_bot(self, session: Session) -> None:
        make_bot(session, group_code="warehouse", channel="feishu", url="http://127.0.0.1:9/feishu")
        make_rule(session, conditions={"subcategories": ["错发漏发"]}, cc_group_code="warehouse")
        ticket = make_ticket(session, subcategory="错发漏发")
        message = session.scalars(select(OutboxMessage)).one()
        assert message.channel == "feishu"
        assert f"#{ticket.id}" in message.payload["content"]["text"]
        assert message.idempotency_key.startswith(f"ticket:{ticket.id}:cc:warehouse")


class TestVip:
    def test_repeated_tickets_never_make_a_customer_vip(self, session: Session) -> None:
        shop = make_shop(session)
        customer = make_customer(session, shop=shop)
        order = make_order(session, shop=shop, customer=customer, paid_fen=1000)
        tickets = [make_ticket(session, order=order) for _ in range(3)]
        assert [t.is_vip for t in tickets] == [False, False, False]
        assert group_code(session, tickets[-1].group_id) != "vip"

    def test_high_value_customer_is_vip_from_the_first_ticket(self, session: Session) -> None:
        order = make_order(session, paid_fen=300_000, total_fen=300_000)
        ticket = make_ticket(session, order=order)
        assert (ticket.is_vip, group_code(session, ticket.group_id)) == (True, "vip")

    def test_vip_rule_is_configurable(self, session: Session) -> None:
        from aftersales.orders.customers import ValueRule, save_rule

        order = make_order(session, paid_fen=300_000, total_fen=300_000)
        shop = session.get(Shop, order.shop_id)
        assert shop is not None
        save_rule(session, shop_code=shop.code, rule=ValueRule(min_paid_fen=1_000_000))
        assert make_ticket(session, order=order).is_vip is False
