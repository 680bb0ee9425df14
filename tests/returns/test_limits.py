"""Abuse limits (seed 004 四: 避免滥用): per-customer caps on gifts and compensation over 30/90 days,
approval above them, the serial-returner flag, the 300 % tier only for faults or score risk."""

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.catalog.models import Shop
from aftersales.messaging.models import OutboxMessage
from aftersales.orders.models import Customer, Order
from aftersales.returns import payouts
from aftersales.returns.models import GiftStatus, Reshipment, ReturnRequest, SopUpgrade
from tests.builders import make_bot, make_order, make_return_policy, make_return_request, make_user

Headers = Callable[..., dict[str, str]]
ERP = "http://erp.example/push"


def requests_of_one_customer(session: Session, count: int, **policy: object) -> list[ReturnRequest]:
    first = make_order(session)
    shop, customer = session.get(Shop, first.shop_id), session.get(Customer, first.customer_id)
    assert shop is not None
    make_return_policy(session, shop=shop, **{"erp_url": ERP, **policy})
    made = [make_return_request(session, order=first, reason_code="not_expected")]
    for _ in range(count - 1):
        order = make_order(session, shop=shop, customer=customer)
        made.append(make_return_request(session, order=order, reason_code="not_expected"))
    return made


def gift_of(session: Session, request: ReturnRequest) -> SopUpgrade:
    gift = session.scalar(select(SopUpgrade).where(SopUpgrade.request_id == request.id))
    assert gift is not None
    return gift


class TestGiftCaps:
    def test_the_first_gift_in_30_days_goes_out_at_once(self, session: Session) -> None:
        second = requests_of_one_customer(session, 2)[1]
        assert gift_of(session, second).status == GiftStatus.AUTO
        assert gift_of(session, second).reshipment_id is not None

    def test_a_second_gift_within_30_days_waits_for_a_supervisor(self, session: Session) -> None:
        third = requests_of_one_customer(session, 3)[2]
        assert gift_of(session, third).status == GiftStatus.PENDING
        assert session.scalar(select(Reshipment).where(Reshipment.request_id == third.id)) is None

    def test_supervisors_are_asked_to_approve_the_held_gift(self, session: Session) -> None:
        bot = make_bot(session, group_code="supervisors")
        third = requests_of_one_customer(session, 3)[2]
        upgrade = gift_of(session, third)
        texts = session.scalars(select(OutboxMessage.payload).where(OutboxMessage.destination == bot.url))
        assert any(f"赠品 #{upgrade.id}" in str(p) and "达到每客户30天上限 1 次" in str(p) for p in texts)

    def test_an_approved_gift_is_pushed_to_the_erp(self, session: Session) -> None:
        third = requests_of_one_customer(session, 3)[2]
        upgrade = payouts_gift_decision(session, gift_of(session, third).id, approve=True)
        assert upgrade.status == GiftStatus.APPROVED
        assert upgrade.reshipment_id is not None

    def test_a_supervisor_approves_a_held_gift_from_the_approval_inbox(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        third = requests_of_one_customer(session, 3)[2]
        upgrade = gift_of(session, third)
        headers = auth_headers(Role.SUPERVISOR)
        inbox = client.get("/console/returns/approvals", headers=headers).text
        assert f"/console/returns/gifts/{upgrade.id}" in inbox
        client.post(f"/console/returns/gifts/{upgrade.id}", data={"decision": "approve"}, headers=headers)
        session.refresh(upgrade)
        assert upgrade.status == GiftStatus.APPROVED
        assert upgrade.reshipment_id is not None

    def test_a_serial_returner_gets_no_automatic_gift_even_with_generous_caps(self, session: Session) -> None:
        last = requests_of_one_customer(session, 6, gift_cap_30d=10, gift_cap_90d=10)[5]
        assert gift_of(session, last).status == GiftStatus.PENDING


def payouts_gift_decision(session: Session, upgrade_id: int, *, approve: bool) -> SopUpgrade:
    from aftersales.returns.reshipments import decide_gift

    return decide_gift(
        session, upgrade_id=upgrade_id, approve=approve, actor=make_user(session, role=Role.SUPERVISOR)
    )


class TestCompensationCaps:
    def test_an_agent_payout_past_the_customers_30_day_cap_is_a_409_offering_approval(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        first = make_order(session, paid_fen=100_000)
        customer = session.get(Customer, first.customer_id)
        shop = session.get(Shop, first.shop_id)
        agent = make_user(session)
        payouts.pay_compensation(
            session, order_id=first.id, amount_fen=25_000, reason_code="not_fit", actor=agent
        )
        second = make_order(session, shop=shop, customer=customer, paid_fen=100_000)
        body = {"order_id": second.id, "amount_fen": 5_001, "reason_code": "not_fit"}
        response = client.post("/api/returns/compensations", json=body, headers=auth_headers(Role.AGENT))
        assert response.status_code == 409
        assert response.json()["approval_available"] is True
        assert response.json()["detail"] == (
            "客户近30天已获补偿 ¥250.00,再补偿 ¥50.01 将超过每客户30天上限 ¥300.00,请提交主管审批"
        )

    def test_a_payout_up_to_the_cap_is_paid(self, session: Session) -> None:
        order = make_order(session, paid_fen=100_000)
        payout = payouts.pay_compensation(
            session, order_id=order.id, amount_fen=30_000, reason_code="not_fit", actor=make_user(session)
        )
        assert payout.amount_fen == 30_000


class TestThreeHundredPercent:
    def test_300_percent_for_changed_mind_is_a_422_even_for_a_supervisor(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        order = make_order(session, paid_fen=10_000)
        body = {"order_id": order.id, "amount_fen": 30_000, "reason_code": "changed_mind"}
        response = client.post("/api/returns/compensations", json=body, headers=auth_headers(Role.SUPERVISOR))
        assert response.status_code == 422
        assert "仅用于产品质量问题或店铺评分风险" in response.json()["detail"]

    def test_300_percent_for_a_score_risk_is_paid_by_a_supervisor(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        order = make_order(session, paid_fen=10_000)
        body = {"order_id": order.id, "amount_fen": 30_000, "reason_code": "changed_mind", "score_risk": True}
        response = client.post("/api/returns/compensations", json=body, headers=auth_headers(Role.SUPERVISOR))
        assert response.status_code == 201

    def test_300_percent_for_a_defect_is_paid_by_a_supervisor(self, session: Session) -> None:
        order: Order = make_order(session, paid_fen=10_000)
        supervisor = make_user(session, role=Role.SUPERVISOR)
        payout = payouts.pay_compensation(
            session, order_id=order.id, amount_fen=30_000, reason_code="defective", actor=supervisor
        )
        assert payout.amount_fen == 30_000


class TestSerialReturnerFlag:
    def test_the_order_page_card_flags_a_serial_returner(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        last = requests_of_one_customer(session, 5)[4]
        url = f"/console/returns/panels/order/{last.order_id}/customer"
        page = client.get(url, headers=auth_headers(Role.AGENT))
        assert page.status_code == 200
        assert "频繁退换客户" in page.text
        assert "近30天 5 次售后申请" in page.text

    def test_a_customer_without_history_has_no_card(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        order = make_order(session)
        page = client.get(f"/console/returns/panels/order/{order.id}/customer", headers=auth_headers())
        assert page.text == ""
