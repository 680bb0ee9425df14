from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.conversations.models import ChatMessage, ChatSession, Handling
from aftersales.kit.time import utcnow
from aftersales.orders.models import TrackingStatus
from aftersales.selfservice import bot, intents
from aftersales.selfservice.models import BotExchange
from aftersales.tickets.models import Ticket
from tests.builders import make_order, make_shipment


class TestIntentClassifier:
    def test_held_out_accuracy_is_at_least_eighty_percent(self) -> None:
        evaluation = intents.evaluate()
        assert evaluation.test_size >= 50
        assert evaluation.accuracy >= 0.8

    def test_held_out_split_never_overlaps_the_training_split(self) -> None:
        train, test = intents.split(intents.labelled(intents.load_dataset()))
        assert not {text for text, _ in train} & {text for text, _ in test}

    def test_unseen_wording_of_a_known_question_is_recognised(self) -> None:
        assert intents.get_model().predict("包裹怎么还没送到呀").intent == "where_is_parcel"


class TestAnswers:
    def test_split_shipment_is_answered_per_parcel_with_eta(self, session: Session) -> None:
        order = make_order(session)
        make_shipment(
            session,
            order=order,
            tracking_no="ZT1000000001",
            item_summary="主机",
            status=TrackingStatus.DELIVERED,
            delivered_at=utcnow() - timedelta(hours=5),
        )
        make_shipment(
            session,
            order=order,
            tracking_no="ZT1000000002",
            item_summary="配件",
            status=TrackingStatus.IN_TRANSIT,
            last_location="杭州转运中心",
            estimated_delivery_at=utcnow() + timedelta(days=1),
        )
        reply = bot.ask(session, text="我的快递到哪了", session_key="s1", order_id=order.id)
        assert not reply.handed_over
        assert "分 2 个包裹" in reply.answer
        assert "ZT1000000001" in reply.answer
        assert "已于" in reply.answer
        assert "杭州转运中心" in reply.answer
        assert "预计" in reply.answer

    def test_every_answer_is_recorded_as_a_customer_and_a_bot_message(self, session: Session) -> None:
        order = make_order(session)
        bot.ask(session, text="怎么开发票", session_key="s2", order_id=order.id)
        exchange = session.scalars(select(BotExchange).where(BotExchange.session_key == "s2")).one()
        keys = [f"bot-q:{exchange.id}", f"bot-a:{exchange.id}"]
        senders = session.scalars(select(ChatMessage.sender).where(ChatMessage.source_id.in_(keys))).all()
        assert sorted(senders) == ["bot", "customer"]


class TestHandOver:
    def test_question_outside_the_faq_goes_to_a_human(self, session: Session) -> None:
        order = make_order(session)
        reply = bot.ask(session, text="你们老板叫什么名字", session_key="s3", order_id=order.id)
        assert reply.handed_over
        assert reply.handover_reason == "low_confidence"

    def test_angry_customer_goes_to_a_human_even_when_the_intent_is_clear(self, session: Session) -> None:
        order = make_order(session)
        reply = bot.ask(session, text="垃圾店铺,我的快递到底到哪了", session_key="s4", order_id=order.id)
        assert reply.intent == "where_is_parcel"
        assert reply.handed_over
        assert reply.handover_reason == "emotion"

    def test_hand_over_opens_a_ticket_with_the_conversation_and_intent(self, session: Session) -> None:
        order = make_order(session)
        bot.ask(session, text="退款什么时候到账", session_key="s5", order_id=order.id)
        reply = bot.ask(session, text="再不退款我就去12315投诉", session_key="s5", order_id=order.id)
        assert reply.handover_reason == "risk"
        ticket = session.get(Ticket, reply.ticket_id)
        assert ticket is not None
        assert "退款什么时候到账" in ticket.description
        assert "识别意图: 退款进度" in ticket.description
        assert ticket.severity == "high"

    def test_hand_over_is_recorded_for_bot_versus_human_counts(self, session: Session) -> None:
        order = make_order(session)
        bot.ask(session, text="气死我了什么破东西", session_key="s6", order_id=order.id)
        exchange = session.scalars(select(BotExchange).where(BotExchange.session_key == "s6")).one()
        assert exchange.handed_over


class TestApi:
    def test_agent_can_ask_the_bot_through_the_api(
        self, session: Session, client: TestClient, auth_headers
    ) -> None:  # type: ignore[no-untyped-def]
        order = make_order(session)
        response = client.post(
            "/api/selfservice/bot/ask",
            json={"text": "可以开发票吗", "session_key": "api-1", "order_id": order.id},
            headers=auth_headers(Role.AGENT),
        )
        assert response.status_code == 200
        assert response.json()["intent"] == "invoice"

    def test_portal_chat_answers_the_customer(self, session: Session, client: TestClient) -> None:
        from aftersales.selfservice import access

        order = make_order(session)
        client.cookies.set(access.SESSION_COOKIE, access.issue_session(order.id), path="/portal")
        response = client.post("/portal/bot", data={"question": "怎么退货"})
        assert response.status_code == 200
        assert "bot-answer" in response.text


class TestRefundAnswer:
    def test_refund_question_reports_the_return_requests_refund_state(self, session: Session) -> None:
        from aftersales.selfservice import service
        from aftersales.selfservice.schemas import ReturnApply

        order = make_order(session)
        make_shipment(session, order=order)
        service.submit_return(session, order_id=order.id, data=ReturnApply(kind="refund", reason="damaged"))
        reply = bot.ask(session, text="退款什么时候到账", session_key="s7", order_id=order.id)
        assert "仅退款申请" in reply.answer
        assert "退款 ¥" in reply.answer


class TestHandOverSuggestions:
    def test_hand_over_ticket_suggests_quick_replies_for_the_intent(self, session: Session) -> None:
        from tests.builders import make_quick_reply

        make_quick_reply(session, shortcut="wl9", title="物流安抚")
        order = make_order(session)
        reply = bot.ask(session, text="垃圾快递,我的包裹到底到哪了", session_key="s8", order_id=order.id)
        ticket = session.get(Ticket, reply.ticket_id)
        assert ticket is not None
        assert "/wl9 物流安抚" in ticket.description


class TestEmotionHandOver:
    def test_complaint_about_the_service_goes_to_a_human_by_qc_emotion(self, session: Session) -> None:
        reply = bot.ask(
            session,
            text="客服怎么这么不耐烦,我问个快递都不理人",
            session_key="e1",
            order_id=make_order(session).id,
        )
        assert reply.handed_over
        assert reply.handover_reason == "emotion"

    def test_plain_parcel_question_stays_with_the_bot(self, session: Session) -> None:
        reply = bot.ask(session, text="我的快递到哪了", session_key="e2", order_id=make_order(session).id)
        assert not reply.handed_over

    def test_reporting_a_missing_item_is_answered_not_read_as_anger(self, session: Session) -> None:
        reply = bot.ask(session, text="少发了一件", session_key="e3", order_id=make_order(session).id)
        assert reply.intent == "missing_item"
        assert not reply.handed_over

    def test_quality_report_is_answered_not_read_as_anger(self) -> None:
        assert bot.judge("拉链坏了").handover_reason is None

    def test_risk_phrase_from_qc_hands_over_as_risk(self) -> None:
        assert bot.judge("不给我退款我就找平台介入").handover_reason == "risk"


class TestTransferCount:
    def test_angry_question_counts_the_conversation_as_transferred(self, session: Session) -> None:
        order = make_order(session)
        bot.ask(session, text="客服态度太差了,我的快递到底到哪了", session_key="t1", order_id=order.id)
        chat = session.scalars(select(ChatSession).where(ChatSession.session_key == "t1")).one()
        assert chat.handling == Handling.TRANSFERRED
        assert chat.handed_over_at is not None

    def test_answered_question_stays_a_bot_only_reception(self, session: Session) -> None:
        bot.ask(session, text="怎么开发票", session_key="t2", order_id=make_order(session).id)
        chat = session.scalars(select(ChatSession).where(ChatSession.session_key == "t2")).one()
        assert chat.handling == Handling.BOT_ONLY
