import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.kit.errors import NotFoundError
from aftersales.selfservice import bot, faq
from aftersales.selfservice.intents import get_intents
from aftersales.selfservice.models import BotFaqEntry
from tests.builders import make_order, make_shop

OWN_ANSWER = "本店发票由财务每周一统一开具,开具后短信通知您。"


class TestShopFaq:
    def test_default_answers_are_seeded_from_the_packaged_dataset(self, session: Session) -> None:
        defaults = session.scalars(select(BotFaqEntry).where(BotFaqEntry.shop_id.is_(None))).all()
        assert {row.intent for row in defaults} == set(get_intents())
        assert {row.answer for row in defaults} == {intent.answer for intent in get_intents().values()}

    def test_seeding_adds_only_intents_without_a_default(self, session: Session) -> None:
        session.execute(delete(BotFaqEntry).where(BotFaqEntry.intent == "invoice"))
        assert faq.seed_defaults(session) == 1
        assert faq.seed_defaults(session) == 0

    def test_bot_answers_from_the_asking_shops_own_faq(self, session: Session) -> None:
        shop = make_shop(session)
        faq.save_answer(session, shop_id=shop.id, intent="invoice", answer=OWN_ANSWER, user_id=None)
        reply = bot.ask(session, text="可以开发票吗", session_key="faq-1", shop_id=shop.id)
        assert reply.intent == "invoice"
        assert reply.answer == OWN_ANSWER

    def test_another_shop_still_gets_the_default_answer(self, session: Session) -> None:
        faq.save_answer(
            session, shop_id=make_shop(session).id, intent="invoice", answer=OWN_ANSWER, user_id=None
        )
        reply = bot.ask(session, text="可以开发票吗", session_key="faq-2", shop_id=make_shop(session).id)
        assert reply.answer == get_intents()["invoice"].answer

    def test_edited_default_answer_reaches_every_shop_without_its_own(self, session: Session) -> None:
        faq.save_answer(session, shop_id=None, intent="invoice", answer="默认:确认收货后开票。", user_id=None)
        reply = bot.ask(session, text="可以开发票吗", session_key="faq-3", shop_id=make_shop(session).id)
        assert reply.answer == "默认:确认收货后开票。"

    def test_shop_answer_is_used_with_an_order_when_no_live_data_applies(self, session: Session) -> None:
        order = make_order(session)
        faq.save_answer(session, shop_id=order.shop_id, intent="invoice", answer=OWN_ANSWER, user_id=None)
        reply = bot.ask(session, text="可以开发票吗", session_key="faq-4", order_id=order.id)
        assert reply.answer == OWN_ANSWER

    def test_reset_brings_back_the_default_answer(self, session: Session) -> None:
        shop = make_shop(session)
        faq.save_answer(session, shop_id=shop.id, intent="invoice", answer=OWN_ANSWER, user_id=None)
        faq.reset_answer(session, shop_id=shop.id, intent="invoice")
        answer = faq.answer_of(session, shop_id=shop.id, intent="invoice")
        assert answer.source == "default"

    def test_unknown_intent_is_refused(self, session: Session) -> None:
        with pytest.raises(NotFoundError):
            faq.save_answer(session, shop_id=None, intent="weather", answer="晴", user_id=None)


class TestFaqApi:
    def test_supervisor_sets_a_shop_answer(self, session: Session, client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
        shop = make_shop(session)
        response = client.put(
            "/api/selfservice/faq/invoice",
            json={"answer": OWN_ANSWER, "shop_id": shop.id},
            headers=auth_headers(Role.SUPERVISOR),
        )
        assert response.status_code == 200
        assert response.json()["source"] == "shop"

    def test_agent_cannot_edit_the_faq(self, client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
        response = client.put(
            "/api/selfservice/faq/invoice", json={"answer": OWN_ANSWER}, headers=auth_headers(Role.AGENT)
        )
        assert response.status_code == 403

    def test_listing_shows_where_each_answer_comes_from(
        self, session: Session, client: TestClient, auth_headers
    ) -> None:  # type: ignore[no-untyped-def]
        shop = make_shop(session)
        faq.save_answer(session, shop_id=shop.id, intent="invoice", answer=OWN_ANSWER, user_id=None)
        response = client.get(f"/api/selfservice/faq?shop_id={shop.id}", headers=auth_headers(Role.AGENT))
        sources = {row["intent"]: row["source"] for row in response.json()}
        assert sources["invoice"] == "shop"
        assert sources["where_is_parcel"] == "default"


class TestFaqConsole:
    def test_supervisor_edits_a_shop_answer_on_the_console_page(
        self, session: Session, client: TestClient, auth_headers
    ) -> None:  # type: ignore[no-untyped-def]
        shop = make_shop(session)
        headers = auth_headers(Role.SUPERVISOR)
        response = client.post(
            "/console/selfservice/faq/invoice",
            data={"answer": OWN_ANSWER, "shop_id": str(shop.id)},
            headers=headers,
            follow_redirects=False,
        )
        assert response.status_code == 303
        page = client.get(f"/console/selfservice/faq?shop_id={shop.id}", headers=headers)
        assert OWN_ANSWER in page.text
        assert "恢复默认" in page.text

    def test_agent_cannot_open_the_faq_page(self, client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
        response = client.get("/console/selfservice/faq", headers=auth_headers(Role.AGENT))
        assert response.status_code == 403
