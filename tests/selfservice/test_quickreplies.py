from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.selfservice import quickreplies
from aftersales.selfservice.models import QuickReplyUse
from tests.builders import make_order, make_quick_reply, make_shipment, make_user


class TestQuickReplies:
    def test_search_by_keyword_finds_the_snippet(
        self, session: Session, client: TestClient, auth_headers
    ) -> None:  # type: ignore[no-untyped-def]
        make_quick_reply(session, shortcut="wlcx", keywords=["物流", "快递"])
        make_quick_reply(
            session, shortcut="fp", scenario="invoice", title="发票", body="发票说明", keywords=["发票"]
        )
        response = client.get("/api/selfservice/quick-replies?q=快递", headers=auth_headers(Role.AGENT))
        assert [r["shortcut"] for r in response.json()["items"]] == ["wlcx"]

    def test_search_by_shortcut_prefix(self, session: Session, client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
        make_quick_reply(session, shortcut="wlcx")
        make_quick_reply(session, shortcut="fp", scenario="invoice", title="发票", body="发票说明")
        response = client.get("/api/selfservice/quick-replies?q=/wl", headers=auth_headers(Role.AGENT))
        assert [r["shortcut"] for r in response.json()["items"]] == ["wlcx"]

    def test_use_renders_order_variables_and_counts(self, session: Session) -> None:
        order = make_order(session)
        make_shipment(session, order=order, tracking_no="YT9900112233")
        user = make_user(session)
        reply = make_quick_reply(session, shortcut="wl1")
        _, text = quickreplies.use(
            session, reply_id=reply.id, user_id=user.id, order_id=order.id, ticket_id=None
        )
        used, _ = quickreplies.use(
            session, reply_id=reply.id, user_id=user.id, order_id=order.id, ticket_id=None
        )
        assert text == f"亲,订单 {order.source_id} 的运单号是 YT9900112233"
        assert used.usage_count == 2
        uses = session.scalars(select(QuickReplyUse).where(QuickReplyUse.quick_reply_id == reply.id)).all()
        assert len(uses) == 2

    def test_suggestions_follow_the_detected_intent(self, session: Session) -> None:
        make_quick_reply(session, shortcut="wl2")
        make_quick_reply(session, shortcut="fp2", scenario="invoice", title="发票", body="发票说明")
        suggested = quickreplies.suggest(session, text="发票怎么开")
        assert [r.shortcut for r in suggested] == ["fp2"]

    def test_unknown_template_variable_is_refused_on_save(
        self,
        client: TestClient,
        auth_headers,  # type: ignore[no-untyped-def]
    ) -> None:
        body = {"scenario": "general", "shortcut": "bad", "title": "坏", "body": "{{ no_such_var }}"}
        response = client.post(
            "/api/selfservice/quick-replies", json=body, headers=auth_headers(Role.SUPERVISOR)
        )
        assert response.status_code == 422

    def test_agent_cannot_create_snippets(self, client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
        body = {"scenario": "general", "shortcut": "hi2", "title": "欢迎", "body": "您好"}
        response = client.post("/api/selfservice/quick-replies", json=body, headers=auth_headers(Role.AGENT))
        assert response.status_code == 403

    def test_console_page_lists_snippets(self, session: Session, client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
        make_quick_reply(session, shortcut="wl3")
        response = client.get(
            "/console/selfservice/quick-replies?q=&order_id=", headers=auth_headers(Role.AGENT)
        )
        assert response.status_code == 200
        assert "/wl3" in response.text

    def test_default_library_seeds_once(self, session: Session) -> None:
        first = quickreplies.seed_defaults(session)
        assert first > 5
        assert quickreplies.seed_defaults(session) == 0
