import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.returns import payouts
from aftersales.returns.models import ApprovalStatus, Compensation, CompensationApproval
from tests.builders import make_order, make_return_request, make_user

Headers = Callable[..., dict[str, str]]


class TestQueueAndDetail:
    def test_queue_lists_open_requests(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        request = make_return_request(session)
        page = client.get("/console/returns", headers=auth_headers(Role.AGENT))
        assert page.status_code == 200
        assert f"/console/returns/{request.id}" in page.text

    def test_detail_shows_the_retention_proposals(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        request = make_return_request(session, reason_code="usage_trouble")
        page = client.get(f"/console/returns/{request.id}", headers=auth_headers(Role.AGENT))
        assert "一对一远程/视频使用指导" in page.text
        assert "换货(来回运费由店铺承担)" in page.text

    def test_detail_masks_the_receivers_phone_for_agents(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        request = make_return_request(session)
        page = client.get(f"/console/returns/{request.id}", headers=auth_headers(Role.AGENT))
        assert "138****5678" in page.text
        assert "13812345678" not in page.text


class TestCompensationForm:
    def test_beyond_authority_renders_the_reason_and_offers_an_approval(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        request = make_return_request(session, order=make_order(session, paid_fen=10_000))
        page = client.post(
            f"/console/returns/{request.id}/compensate",
            data={"amount": "50.01", "note": "客户不满"},
            headers=auth_headers(Role.AGENT),
            follow_redirects=False,
        )
        assert page.status_code == 403
        assert 'data-testid="approval-offer"' in page.text
        assert "超出客服补偿权限" in page.text

    def test_within_authority_pays_and_returns_to_the_request(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        request = make_return_request(session, order=make_order(session, paid_fen=10_000))
        response = client.post(
            f"/console/returns/{request.id}/compensate",
            data={"amount": "50.00"},
            headers=auth_headers(Role.AGENT),
            follow_redirects=False,
        )
        assert response.status_code == 303
        paid = session.scalars(
            select(Compensation.amount_fen).where(Compensation.order_id == request.order_id)
        )
        assert list(paid) == [5000]

    def test_the_same_form_sent_twice_pays_once(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        request = make_return_request(session, order=make_order(session, paid_fen=10_000))
        page = client.get(f"/console/returns/{request.id}", headers=auth_headers(Role.AGENT))
        key = re.search(r'name="form_key" value="([0-9a-f]+)"', page.text)
        assert key is not None
        headers = auth_headers(Role.AGENT)
        for _ in range(2):
            client.post(
                f"/console/returns/{request.id}/compensate",
                data={"amount": "20.00", "form_key": key.group(1)},
                headers=headers,
                follow_redirects=False,
            )
        paid = session.scalars(
            select(Compensation.amount_fen).where(Compensation.order_id == request.order_id)
        )
        assert list(paid) == [2000]


class TestApprovalInbox:
    def test_inbox_is_for_supervisors_only(self, client: TestClient, auth_headers: Headers) -> None:
        assert client.get("/console/returns/approvals", headers=auth_headers(Role.AGENT)).status_code == 403

    def test_supervisor_approves_from_the_inbox(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        order = make_order(session, paid_fen=10_000)
        approval = payouts.request_approval(
            session,
            order_id=order.id,
            amount_fen=25_000,
            reason_code="defective",
            note="主机多次故障",
            actor=make_user(session),
        )
        headers = auth_headers(Role.SUPERVISOR)
        assert "主机多次故障" in client.get("/console/returns/approvals", headers=headers).text
        client.post(
            f"/console/returns/approvals/{approval.id}", data={"decision": "approve"}, headers=headers
        )
        session.refresh(approval)
        assert approval.status == ApprovalStatus.APPROVED
        assert (
            session.scalar(select(Compensation.amount_fen).where(Compensation.approval_id == approval.id))
            == 25_000
        )
        assert (
            session.scalar(select(CompensationApproval).where(CompensationApproval.status == "pending"))
            is None
        )


class TestReports:
    def test_ledger_page_shows_the_grand_total(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        order = make_order(session, paid_fen=10_000)
        payouts.pay_compensation(
            session, order_id=order.id, amount_fen=1234, reason_code="flaw", actor=make_user(session)
        )
        page = client.get("/console/returns/ledger?by=reason", headers=auth_headers(Role.AGENT))
        assert page.status_code == 200
        assert "¥12.34" in page.text

    def test_reshipment_list_renders(self, client: TestClient, auth_headers: Headers) -> None:
        assert client.get("/console/returns/reshipments", headers=auth_headers(Role.AGENT)).status_code == 200


class TestCreateFromConsole:
    def test_agent_registers_a_request_and_lands_on_it(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        from aftersales.catalog.models import Shop
        from aftersales.returns.models import ReturnRequest

        order = make_order(session)
        shop = session.get(Shop, order.shop_id)
        assert shop is not None
        form = {
            "shop_code": shop.code,
            "order_no": order.source_id,
            "kind": "return",
            "reason_code": "not_fit",
        }
        response = client.post(
            "/console/returns", data=form, headers=auth_headers(Role.AGENT), follow_redirects=False
        )
        assert response.status_code == 303
        request = session.scalar(select(ReturnRequest).where(ReturnRequest.order_id == order.id))
        assert request is not None
        assert request.channel == "console"
        assert response.headers["location"] == f"/console/returns/{request.id}"


class TestReshipFromTicket:
    def test_reshipment_from_a_ticket_sends_the_chosen_lines(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        from aftersales.catalog.models import Shop
        from aftersales.orders.models import OrderItem
        from aftersales.returns.models import Reshipment
        from tests.builders import make_return_policy, make_ticket

        order = make_order(session)
        session.add(
            OrderItem(
                order_id=order.id, line_no=0, sku_code="A-1", title="乳胶枕", quantity=2, unit_price_fen=9900
            )
        )
        shop = session.get(Shop, order.shop_id)
        assert shop is not None
        make_return_policy(session, shop=shop, erp_url="http://erp.example/push")
        ticket = make_ticket(session, order=order, type="reshipment")
        headers = auth_headers(Role.AGENT)
        assert (
            "乳胶枕"
            in client.get(f"/console/returns/reshipments/new?ticket_id={ticket.id}", headers=headers).text
        )
        client.post(
            "/console/returns/reshipments",
            data={"ticket_id": ticket.id, "line": [0], "reason": "漏发一只"},
            headers=headers,
            follow_redirects=False,
        )
        reshipment = session.scalar(select(Reshipment).where(Reshipment.ticket_id == ticket.id))
        assert reshipment is not None
        assert reshipment.items == [{"sku_code": "A-1", "title": "乳胶枕", "quantity": 2}]


class TestPolicies:
    def _form(self, **overrides: str) -> dict[str, str]:
        return {
            "agent_percent": "40.00",
            "agent_cap": "300",
            "supervisor_percent": "200",
            "early_refund_max": "100",
            "retention_percent": "5",
            "first": "partial_compensation",
            "second": "exchange_free_shipping",
            "third": "",
            "release_refund_on": "returned",
            "high_value": "800",
            "repeat_window_days": "14",
            "max_extension_days": "7",
            "erp_format": "wangdiantong",
            "erp_url": "http://erp.example/push",
            **overrides,
        }

    def test_admin_saves_a_shops_policy_in_exact_units(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        from aftersales.returns.service import get_policy
        from tests.builders import make_shop

        shop = make_shop(session)
        response = client.post(
            f"/console/returns/policies/{shop.id}",
            data=self._form(),
            headers=auth_headers(Role.ADMIN),
            follow_redirects=False,
        )
        assert response.status_code == 303
        policy = get_policy(session, shop.id)
        assert (policy.agent_ratio_bp, policy.agent_cap_fen, policy.supervisor_ratio_bp) == (
            4000,
            30_000,
            20_000,
        )
        assert policy.retention_order == ("partial_compensation", "exchange_free_shipping")

    def test_supervisor_cannot_change_the_rules(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        from tests.builders import make_shop

        shop = make_shop(session)
        response = client.post(
            f"/console/returns/policies/{shop.id}",
            data=self._form(),
            headers=auth_headers(Role.SUPERVISOR),
            follow_redirects=False,
        )
        assert response.status_code == 403

    def test_policies_page_lists_every_shop(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        from tests.builders import make_shop

        shop = make_shop(session)
        assert (
            f'data-testid="policy-{shop.code}"'
            in client.get("/console/returns/policies", headers=auth_headers(Role.ADMIN)).text
        )

    def test_policies_page_preselects_the_default_retention_order(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        from tests.builders import make_shop

        make_shop(session)
        page = client.get("/console/returns/policies", headers=auth_headers(Role.ADMIN)).text
        assert 'value="exchange_free_shipping" selected' in page
        assert "默认规则" in page
