"""VIP from the customer's value (paid amount, orders, membership) by the shop's rule."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.kit.time import utcnow
from aftersales.orders.customers import ValueRule, customer_value, is_vip, save_rule
from aftersales.orders.models import OrderStatus
from tests.builders import make_customer, make_order, make_shop


class TestCustomerValue:
    def test_a_new_buyer_with_one_small_order_is_not_vip(self, session: Session) -> None:
        order = make_order(session, paid_fen=9_900)
        assert is_vip(session, order.customer_id) is False

    def test_paid_amount_in_12_months_makes_vip(self, session: Session) -> None:
        order = make_order(session, paid_fen=200_000)
        value = customer_value(session, order.customer_id)
        assert (value.is_vip, value.reason) == (True, "近365天实付满2000元")

    def test_orders_older_than_the_window_do_not_count(self, session: Session) -> None:
        order = make_order(session, paid_fen=500_000, ordered_at=utcnow() - timedelta(days=400))
        assert is_vip(session, order.customer_id) is False

    def test_closed_orders_do_not_count(self, session: Session) -> None:
        order = make_order(session, paid_fen=500_000, status=OrderStatus.CLOSED)
        assert is_vip(session, order.customer_id) is False

    def test_platform_membership_makes_vip_unless_the_shop_says_otherwise(self, session: Session) -> None:
        shop = make_shop(session)
        customer = make_customer(session, shop=shop, is_vip=True)
        make_order(session, shop=shop, customer=customer, paid_fen=100)
        assert is_vip(session, customer.id) is True
        save_rule(session, shop_code=shop.code, rule=ValueRule(membership_counts=False))
        assert is_vip(session, customer.id) is False

    def test_a_shops_rule_counts_orders(self, session: Session) -> None:
        shop = make_shop(session)
        customer = make_customer(session, shop=shop)
        for _ in range(2):
            make_order(session, shop=shop, customer=customer, paid_fen=100)
        save_rule(session, shop_code=shop.code, rule=ValueRule(min_orders=2))
        assert customer_value(session, customer.id).reason == "近365天下单满2笔"


class TestVipRuleApi:
    def test_a_supervisor_sets_the_rule(
        self, client: TestClient, session: Session, auth_headers: object
    ) -> None:
        shop = make_shop(session)
        body = {"window_days": 180, "min_paid_fen": 50_000, "min_orders": 3, "membership_counts": False}
        headers = auth_headers(Role.SUPERVISOR)  # type: ignore[operator]
        response = client.put(f"/api/shops/{shop.code}/vip-rule", json=body, headers=headers)
        assert response.status_code == 200
        customer = make_customer(session, shop=shop)
        make_order(session, shop=shop, customer=customer, paid_fen=50_000)
        assert customer_value(session, customer.id).reason == "近180天实付满500元"

    def test_a_window_of_zero_days_is_a_422(
        self, client: TestClient, session: Session, auth_headers: object
    ) -> None:
        shop = make_shop(session)
        body = {"window_days": 0, "min_paid_fen": 1, "min_orders": 1, "membership_counts": True}
        headers = auth_headers(Role.SUPERVISOR)  # type: ignore[operator]
        response = client.put(f"/api/shops/{shop.code}/vip-rule", json=body, headers=headers)
        assert response.status_code == 422
        assert response.json()["fields"][0]["field"] == "window_days"
