"""保价/退差价: the difference is computed on the server against the paid unit price, paid once per
order line within the shop's window and per-order cap, on the ledger, under the order's lock."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.catalog.models import Shop
from aftersales.kit.errors import InvalidInputError
from aftersales.kit.time import utcnow
from aftersales.logistics.defaults import seed_templates
from aftersales.messaging.models import OutboxMessage
from aftersales.orders.models import Order
from aftersales.returns import price_protection
from aftersales.returns.errors import BeyondAuthorityError, RefundExceedsPaidError
from aftersales.returns.models import Authority, Compensation, PayoutKind, RefundState
from aftersales.returns.service import refundable_fen
from tests.builders import make_order, make_order_item, make_return_request, make_shop, make_sku, make_user
from tests.builders.returns import make_price_rule

Headers = Callable[..., dict[str, str]]


def bought(session: Session, *, paid_days_ago: int = 3, shop: Shop | None = None, **line: object) -> Order:
    """An order of two 乳胶枕 at ¥199 each, paid ``paid_days_ago`` days ago."""
    paid_at = utcnow() - timedelta(days=paid_days_ago)
    order = make_order(session, shop=shop, paid_fen=39_800, total_fen=39_800, paid_at=paid_at)
    make_order_item(session, order=order, sku_code="PILLOW", quantity=2, unit_price_fen=19_900, **line)
    return order


def protect(session: Session, order: Order, new_unit_fen: int = 16_900, **extra: object) -> int:
    agent = extra.pop("actor", None) or make_user(session, role=Role.AGENT)
    row = price_protection.protect(
        session, order_id=order.id, sku_code="PILLOW", new_unit_fen=new_unit_fen, actor=agent, **extra
    )
    return row.amount_fen


class TestQuote:
    def test_difference_is_paid_unit_minus_new_unit_times_quantity(self, session: Session) -> None:
        order = bought(session)
        make_price_rule(session, shop_id=order.shop_id)
        found = price_protection.quote(session, order=order, sku_code="PILLOW", new_unit_fen=16_900)
        assert (found.difference_fen, found.amount_fen, found.eligible) == (6_000, 6_000, True)

    def test_past_the_window_is_refused_naming_the_window(self, session: Session) -> None:
        order = bought(session, paid_days_ago=16)
        make_price_rule(session, shop_id=order.shop_id, window_days=15)
        found = price_protection.quote(session, order=order, sku_code="PILLOW", new_unit_fen=16_900)
        assert found.refusal == "已超过保价期:付款后 15 天内降价可退差价"

    def test_a_sku_outside_the_rule_is_refused(self, session: Session) -> None:
        order = bought(session)
        make_price_rule(session, shop_id=order.shop_id, sku_codes=["DUVET"])
        found = price_protection.quote(session, order=order, sku_code="PILLOW", new_unit_fen=16_900)
        assert (found.refusal, found.field) == ("该商品不参加保价", "sku_code")

    def test_no_rule_means_no_price_protection(self, session: Session) -> None:
        order = bought(session)
        found = price_protection.quote(session, order=order, sku_code="PILLOW", new_unit_fen=16_900)
        assert found.refusal == "本店未开通保价服务"

    def test_a_price_that_did_not_drop_has_nothing_to_refund(self, session: Session) -> None:
        order = bought(session)
        make_price_rule(session, shop_id=order.shop_id)
        found = price_protection.quote(session, order=order, sku_code="PILLOW", new_unit_fen=19_900)
        assert (found.amount_fen, found.field) == (0, "new_unit_fen")


class TestProtect:
    def test_pays_the_difference_once_on_the_ledger(self, session: Session) -> None:
        order = bought(session)
        make_price_rule(session, shop_id=order.shop_id)
        protect(session, order)
        payouts = list(session.scalars(select(Compensation).where(Compensation.order_id == order.id)))
        assert [(p.kind, p.amount_fen, p.authority) for p in payouts] == [
            (PayoutKind.PRICE_PROTECTION, 6_000, Authority.AGENT)
        ]

    def test_a_second_request_for_the_same_line_is_refused(self, session: Session) -> None:
        order = bought(session)
        make_price_rule(session, shop_id=order.shop_id)
        protect(session, order)
        with pytest.raises(InvalidInputError, match="已经保价"):
            protect(session, order, new_unit_fen=15_900)

    def test_the_same_idempotency_key_returns_the_first_refund(self, session: Session) -> None:
        order = bought(session)
        make_price_rule(session, shop_id=order.shop_id)
        agent = make_user(session, role=Role.AGENT)
        for _ in range(2):
            protect(session, order, actor=agent, idempotency_key="pp-1")
        assert price_protection.protected_fen(session, order.id) == 6_000

    def test_the_per_order_cap_limits_the_cumulative_refund(self, session: Session) -> None:
        order = bought(session)
        make_order_item(session, order=order, sku_code="DUVET", line_no=2, unit_price_fen=29_900)
        make_price_rule(session, shop_id=order.shop_id, max_per_order_fen=10_000)
        protect(session, order)  # 6,000 of 10,000
        agent = make_user(session, role=Role.AGENT)
        second = price_protection.protect(
            session, order_id=order.id, sku_code="DUVET", new_unit_fen=19_900, actor=agent
        )
        assert (second.amount_fen, price_protection.protected_fen(session, order.id)) == (4_000, 10_000)

    def test_a_refunded_line_is_not_protected(self, session: Session) -> None:
        shop = make_shop(session)
        sku = make_sku(session, shop=shop, code="PILLOW")
        order = bought(session, shop=shop, sku_id=sku.id)
        make_price_rule(session, shop_id=order.shop_id)
        request = make_return_request(session, order=order, sku_code="PILLOW")
        request.refund_state = RefundState.RELEASED
        with pytest.raises(InvalidInputError, match="已退款"):
            protect(session, order)

    def test_a_difference_paid_leaves_that_much_less_to_refund(self, session: Session) -> None:
        order = bought(session)
        make_price_rule(session, shop_id=order.shop_id)
        protect(session, order)
        assert refundable_fen(session, order) == 39_800 - 6_000

    def test_a_difference_beyond_what_is_left_to_refund_is_refused(self, session: Session) -> None:
        order = bought(session)
        make_price_rule(session, shop_id=order.shop_id)
        make_return_request(session, order=order, refund_fen=39_000)
        with pytest.raises(RefundExceedsPaidError):
            protect(session, order)

    def test_beyond_the_agents_authority_a_supervisor_must_do_it(self, session: Session) -> None:
        order = make_order(session, paid_fen=100_000, total_fen=100_000, paid_at=utcnow())
        make_order_item(session, order=order, sku_code="PILLOW", quantity=1, unit_price_fen=100_000)
        make_price_rule(session, shop_id=order.shop_id, max_per_order_fen=90_000)
        with pytest.raises(BeyondAuthorityError, match="请由主管办理保价"):
            protect(session, order, new_unit_fen=30_000)
        supervisor = make_user(session, role=Role.SUPERVISOR)
        assert protect(session, order, new_unit_fen=30_000, actor=supervisor) == 70_000


def notices(session: Session, order: Order) -> list[str]:
    rows = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.subject_id == order.id, OutboxMessage.idempotency_key.like("returns:price%"))
        .order_by(OutboxMessage.id)
    )
    return [row.payload["text"] for row in rows]


class TestNotice:
    def test_the_buyer_is_told_the_difference_in_yuan_with_the_shops_template(self, session: Session) -> None:
        seed_templates(session)
        order = bought(session, title="乳胶枕")
        make_price_rule(session, shop_id=order.shop_id)
        protect(session, order)
        assert notices(session, order) == [
            f"亲,订单 {order.source_id} 中「乳胶枕」降价了,按保价规则已为您退回差价 60.00 元,请注意查收~"
        ]

    def test_a_repeated_request_tells_the_buyer_once(self, session: Session) -> None:
        order = bought(session)
        make_price_rule(session, shop_id=order.shop_id)
        agent = make_user(session, role=Role.AGENT)
        for _ in range(2):
            protect(session, order, actor=agent, idempotency_key="pp-notice")
        assert len(notices(session, order)) == 1

    def test_a_refused_request_tells_the_buyer_nothing(self, session: Session) -> None:
        order = bought(session, paid_days_ago=40)
        make_price_rule(session, shop_id=order.shop_id)
        with pytest.raises(InvalidInputError):
            protect(session, order)
        assert notices(session, order) == []


class TestApi:
    def test_refusal_is_a_422_naming_the_field(
        self, session: Session, client: TestClient, auth_headers: Headers
    ) -> None:
        order = bought(session, paid_days_ago=20)
        make_price_rule(session, shop_id=order.shop_id)
        body = {"order_id": order.id, "sku_code": "PILLOW", "new_unit_fen": 16_900}
        response = client.post("/api/returns/price-protection", json=body, headers=auth_headers())
        assert response.status_code == 422
        assert "order_id" in response.text
        assert "已超过保价期" in response.text

    def test_pays_with_an_idempotency_key(
        self, session: Session, client: TestClient, auth_headers: Headers
    ) -> None:
        order = bought(session)
        make_price_rule(session, shop_id=order.shop_id)
        body = {"order_id": order.id, "sku_code": "PILLOW", "new_unit_fen": 16_900}
        headers = {**auth_headers(), "Idempotency-Key": "pp-api"}
        first = client.post("/api/returns/price-protection", json=body, headers=headers)
        again = client.post("/api/returns/price-protection", json=body, headers=headers)
        assert (first.status_code, first.json()["amount_fen"]) == (201, 6_000)
        assert again.json()["id"] == first.json()["id"]
