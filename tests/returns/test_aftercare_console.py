"""Console of 保价退差价 (the order page's card) and 申诉 (list with deadlines, detail flow)."""

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.kit.time import utcnow
from aftersales.returns import price_protection
from tests.builders import make_order, make_order_item, make_ticket, make_user
from tests.builders.returns import make_appeal, make_price_rule
from tests.builders.tickets import make_photo

Headers = Callable[..., dict[str, str]]


class TestPricePanel:
    def test_the_order_card_pays_the_computed_difference(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        order = make_order(session, paid_fen=19_900, total_fen=19_900)
        make_order_item(session, order=order, sku_code="PILLOW", unit_price_fen=19_900)
        make_price_rule(session, shop_id=order.shop_id)
        headers = auth_headers(Role.AGENT)
        card = client.get(f"/console/returns/panels/order/{order.id}/price-protection", headers=headers)
        assert "付款后 15 天内降价退差价" in card.text
        form = {"sku_code": "PILLOW", "new_price": "169.00", "form_key": "k1"}
        client.post(f"/console/returns/orders/{order.id}/price-protection", data=form, headers=headers)
        assert price_protection.protected_fen(session, order.id) == 3_000

    def test_a_shop_without_a_rule_shows_no_card(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        order = make_order(session)
        card = client.get(
            f"/console/returns/panels/order/{order.id}/price-protection", headers=auth_headers()
        )
        assert card.text == ""


class TestAppealPages:
    def test_an_overdue_draft_is_highlighted_in_the_list(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        appeal = make_appeal(session, order=make_order(session), actor=make_user(session))
        appeal.deadline_at = utcnow() - timedelta(hours=2)
        page = client.get("/console/returns/appeals", headers=auth_headers())
        assert 'data-overdue="1"' in page.text
        assert "已逾期" in page.text

    def test_choose_evidence_submit_and_record_the_outcome(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        order = make_order(session)
        ticket = make_ticket(session, order=order)
        photo = make_photo(session, ticket=ticket, original_name="出厂报告.png")
        headers = auth_headers(Role.AGENT)
        created = client.post(
            "/console/returns/appeals",
            data={
                "order_id": order.id,
                "ticket_id": ticket.id,
                "ruling": "判定卖家责任",
                "deadline_at": "2099-01-01T10:00",
            },
            headers=headers,
            follow_redirects=False,
        )
        url = created.headers["location"]
        chosen = {
            "picked": [f"photo:{photo.id}"],
            "chat": "买家:我只想要出厂报告",
            "statement": "已提供出厂报告",
        }
        client.post(f"{url}/evidence", data=chosen, headers=headers)
        client.post(f"{url}/submit", headers=headers)
        outcome = {"result": "won", "note": "平台撤销判责", "topup": "50", "good_review": "true"}
        page = client.post(f"{url}/outcome", data=outcome, headers=headers)
        assert "申诉成功 · 平台撤销判责 · 买家补款 ¥50.00 · 买家已好评" in page.text
        assert "出厂报告.png" in page.text
