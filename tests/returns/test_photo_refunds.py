"""Seed 004: quality damage reported with photos is refunded directly within the shop's rule
(once, under the order's lock, on the ledger with the photos as evidence); otherwise it goes to
the supervisors for approval with the reason."""

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.catalog.models import Shop
from aftersales.messaging.models import OutboxMessage
from aftersales.orders.models import Customer, Order
from aftersales.returns import photo_refunds
from aftersales.returns.models import Authority, Compensation, RefundState, RequestKind, ReturnRequest
from aftersales.tickets.models import TimelineEntry
from tests.builders import make_order, make_return_request, make_sku
from tests.builders.selfservice import make_item
from tests.builders.tickets import make_bot

Headers = Callable[..., dict[str, str]]


def rule(session: Session, order: Order, **values: object) -> None:
    photo_refunds.save_rule(session, shop_id=order.shop_id, values={"max_fen": 20_000, **values})


def damage(session: Session, order: Order, **fields: object) -> ReturnRequest:
    return make_return_request(
        session, order=order, kind=RequestKind.REFUND_ONLY, reason_code="damaged", **fields
    )


def payouts(session: Session, order: Order) -> list[Compensation]:
    return list(session.scalars(select(Compensation).where(Compensation.order_id == order.id)))


class TestDirectRefund:
    def test_damage_with_a_photo_within_the_rule_is_refunded_by_the_shop_rule(self, session: Session) -> None:
        order = make_order(session, paid_fen=9_900, total_fen=9_900)
        rule(session, order)
        request = damage(session, order)
        outcome = photo_refunds.refund_on_photos(session, request_id=request.id, photo_ids=[7])
        paid = payouts(session, order)
        assert outcome is not None
        assert outcome.refunded
        assert [(p.amount_fen, p.authority) for p in paid] == [(9_900, Authority.SHOP_RULE)]
        assert "凭证照片 1 张" in (paid[0].note or "")

    def test_a_second_call_refunds_nothing_more(self, session: Session) -> None:
        order = make_order(session, paid_fen=9_900, total_fen=9_900)
        rule(session, order)
        request = damage(session, order)
        for _ in range(2):
            photo_refunds.refund_on_photos(session, request_id=request.id, photo_ids=[7])
        assert len(payouts(session, order)) == 1

    def test_without_a_rule_nothing_happens(self, session: Session) -> None:
        order = make_order(session, paid_fen=9_900, total_fen=9_900)
        request = damage(session, order)
        assert photo_refunds.refund_on_photos(session, request_id=request.id, photo_ids=[7]) is None
        assert request.refund_state == RefundState.PENDING

    def test_a_reason_that_is_not_damage_is_not_the_rules_business(self, session: Session) -> None:
        order = make_order(session, paid_fen=9_900, total_fen=9_900)
        rule(session, order)
        request = make_return_request(
            session, order=order, kind=RequestKind.REFUND_ONLY, reason_code="changed_mind"
        )
        assert photo_refunds.refund_on_photos(session, request_id=request.id, photo_ids=[7]) is None


class TestRoutedToApproval:
    def test_above_the_rules_cap_goes_to_the_supervisors_with_the_reason(self, session: Session) -> None:
        make_bot(session, group_code="supervisors")
        order = make_order(session, paid_fen=29_900, total_fen=29_900)
        rule(session, order, max_fen=10_000)
        request = damage(session, order)
        outcome = photo_refunds.refund_on_photos(session, request_id=request.id, photo_ids=[7])
        assert outcome is not None
        assert (outcome.refunded, outcome.reason) == (False, "退款 ¥299.00 超过直接退款上限 ¥100.00")
        notice = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.idempotency_key.like(f"returns:request:{request.id}:photo%")
            )
        ).first()
        assert notice is not None
        assert payouts(session, order) == []

    def test_above_the_agents_cap_of_the_shop_policy_goes_to_approval(self, session: Session) -> None:
        order = make_order(session, paid_fen=80_000, total_fen=80_000)
        rule(session, order, max_fen=100_000)
        outcome = photo_refunds.refund_on_photos(session, request_id=damage(session, order).id, photo_ids=[7])
        assert outcome is not None
        assert outcome.reason == "退款 ¥800.00 超过直接退款上限 ¥500.00"

    def test_too_few_photos(self, session: Session) -> None:
        order = make_order(session, paid_fen=9_900, total_fen=9_900)
        rule(session, order, min_photos=2)
        outcome = photo_refunds.refund_on_photos(session, request_id=damage(session, order).id, photo_ids=[7])
        assert outcome is not None
        assert outcome.reason == "照片不足 2 张"

    def test_a_category_outside_the_rule(self, session: Session) -> None:
        order = make_order(session, paid_fen=9_900, total_fen=9_900)
        shop = session.get(Shop, order.shop_id)
        sku = make_sku(session, shop=shop, category="大家电")
        make_item(session, order=order, sku_code=sku.code)
        rule(session, order, sku_categories=["杯具"])
        outcome = photo_refunds.refund_on_photos(session, request_id=damage(session, order).id, photo_ids=[7])
        assert outcome is not None
        assert outcome.reason == "商品类目不在照片直接退款范围内"

    def test_a_serial_returner_is_checked_by_a_person(self, session: Session) -> None:
        first = make_order(session, paid_fen=9_900, total_fen=9_900)
        rule(session, first, serial_max_requests=1)
        make_return_request(session, order=first, kind=RequestKind.REFUND_ONLY, reason_code="not_fit")
        customer = session.get(Customer, first.customer_id)
        shop = session.get(Shop, first.shop_id)
        customer_order = make_order(session, shop=shop, customer=customer, paid_fen=9_900, total_fen=9_900)
        outcome = photo_refunds.refund_on_photos(
            session, request_id=damage(session, customer_order).id, photo_ids=[7]
        )
        assert outcome is not None
        assert outcome.reason.startswith("买家近 90 天已有 1 次售后")


class TestRuleApi:
    def test_an_admin_sets_the_shops_rule(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        order = make_order(session)
        body = {"max_fen": 15_000, "sku_categories": ["杯具"], "min_photos": 2}
        response = client.put(
            f"/api/returns/photo-refund-rules/{order.shop_id}", json=body, headers=auth_headers(Role.ADMIN)
        )
        assert (response.status_code, response.json()["max_fen"]) == (200, 15_000)

    def test_a_zero_cap_is_refused_naming_the_field(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        order = make_order(session)
        response = client.put(
            f"/api/returns/photo-refund-rules/{order.shop_id}",
            json={"max_fen": 0},
            headers=auth_headers(Role.ADMIN),
        )
        assert response.status_code == 422
        assert "max_fen" in response.text


def test_the_refund_is_on_the_ticket_timeline(session: Session) -> None:
    order = make_order(session, paid_fen=9_900, total_fen=9_900)
    rule(session, order)
    request = damage(session, order)
    photo_refunds.refund_on_photos(session, request_id=request.id, photo_ids=[7, 8])
    messages = session.scalars(
        select(TimelineEntry.message).where(TimelineEntry.ticket_id == request.ticket_id)
    )
    assert any("破损照片直接退款,免寄回(凭证照片 2 张" in m for m in messages)
