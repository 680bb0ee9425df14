"""The satisfaction survey: questionnaires per shop (defaults, versions), one invitation per
resolved ticket, ended chat or order, answers validated per question, low answers followed up."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.kit.errors import InvalidInputError
from aftersales.kit.events import publish
from aftersales.logistics.defaults import ensure_defaults
from aftersales.messaging.models import OutboxMessage
from aftersales.messaging.service import send_customer_message
from aftersales.orders.models import Order
from aftersales.selfservice import access, survey_questions, surveys
from aftersales.selfservice.errors import SurveyAnswersInvalidError
from aftersales.selfservice.schemas import QuestionIn
from aftersales.selfservice.survey_models import SurveyAnswer, SurveyInvitation, SurveyQuestion
from aftersales.tickets.events import TicketResolved
from aftersales.tickets.models import Ticket
from tests.builders import make_chat, make_order, make_shop, make_ticket, make_user

Headers = Callable[..., dict[str, str]]
GOOD = {"overall": "5", "resolved": "yes", "attitude": "5", "speed": "4"}


def fields(session: Session, shop_id: int | None, **answers: str) -> dict[str, str]:
    """Form fields for the shop's questionnaire from answers keyed overall/resolved/attitude/speed/note."""
    names = ["overall", "resolved", "attitude", "speed", "note"]
    questions = survey_questions.questionnaire(session, shop_id)
    return {f"q{q.id}": answers[name] for q, name in zip(questions, names, strict=False) if name in answers}


def resolved_ticket(session: Session, order: Order | None = None) -> Ticket:
    ticket = make_ticket(session, order=order or make_order(session))
    publish(session, TicketResolved(ticket_id=ticket.id))
    return ticket


def survey_messages(session: Session) -> list[OutboxMessage]:
    statement = select(OutboxMessage).where(OutboxMessage.subject_type == "survey_invitation")
    return list(session.scalars(statement))


def link_path(message: OutboxMessage) -> str:
    return str(message.payload["text"]).rsplit(": ", 1)[1].removeprefix("http://127.0.0.1:8000")


def invitation_of(session: Session, key: str) -> SurveyInvitation:
    return session.scalars(select(SurveyInvitation).where(SurveyInvitation.subject_key == key)).one()


class TestQuestionnaire:
    def test_the_default_asks_the_five_seed_questions(self, session: Session) -> None:
        questions = survey_questions.questionnaire(session, make_shop(session).id)
        assert [(q.kind, q.text, q.required) for q in questions] == [
            ("overall", "您对本次服务的整体满意度", True),
            ("yes_no", "您的问题是否已经解决", True),
            ("stars", "客服的服务态度", True),
            ("stars", "处理速度", True),
            ("text", "还有什么想对我们说的", False),
        ]

    def test_saving_writes_a_new_version_and_retires_the_old(self, session: Session) -> None:
        shop = make_shop(session)
        first = survey_questions.save_questionnaire(
            session, shop_id=shop.id, questions=[QuestionIn(kind="overall", text="满意吗")], actor_id=None
        )
        second = survey_questions.save_questionnaire(
            session, shop_id=shop.id, questions=[QuestionIn(kind="overall", text="还满意吗")], actor_id=None
        )
        assert (first[0].version, second[0].version) == (1, 2)
        assert first[0].retired_at is not None
        assert survey_questions.questionnaire(session, shop.id) == second

    def test_a_questionnaire_needs_exactly_one_overall_question(self, session: Session) -> None:
        with pytest.raises(InvalidInputError, match="有且只有一个「整体满意度」"):
            survey_questions.save_questionnaire(
                session,
                shop_id=make_shop(session).id,
                questions=[QuestionIn(kind="stars", text="态度")],
                actor_id=None,
            )

    def test_a_repeated_question_is_named(self, session: Session) -> None:
        questions = [QuestionIn(kind="overall", text="满意吗"), QuestionIn(kind="stars", text="满意吗")]
        with pytest.raises(InvalidInputError, match="问题「满意吗」重复了"):
            survey_questions.save_questionnaire(
                session, shop_id=make_shop(session).id, questions=questions, actor_id=None
            )

    def test_restoring_the_defaults(self, session: Session) -> None:
        shop = make_shop(session)
        survey_questions.save_questionnaire(
            session, shop_id=shop.id, questions=[QuestionIn(kind="overall", text="满意吗")], actor_id=None
        )
        survey_questions.restore_defaults(session, shop_id=shop.id)
        assert survey_questions.is_default(survey_questions.questionnaire(session, shop.id))


class TestInvitations:
    def test_a_resolved_ticket_sends_one_survey_link(self, session: Session) -> None:
        ticket = resolved_ticket(session)
        surveys.invite_for_ticket(session, ticket_id=ticket.id)
        [message] = survey_messages(session)
        assert "满意度问卷" in message.payload["text"]
        assert link_path(message).startswith("/portal/s/")
        assert session.scalar(select(func.count()).select_from(SurveyInvitation)) == 1

    def test_a_buyer_gets_one_survey_a_day(self, session: Session) -> None:
        order = make_order(session)
        resolved_ticket(session, order)
        second = resolved_ticket(session, order)
        assert len(survey_messages(session)) == 1
        assert invitation_of(session, f"ticket:{second.id}").skip_reason == "24小时内已发过问卷"

    def test_a_ticket_without_a_buyer_is_recorded_not_sent(self, session: Session) -> None:
        ticket = make_ticket(session)
        publish(session, TicketResolved(ticket_id=ticket.id))
        assert invitation_of(session, f"ticket:{ticket.id}").skip_reason == "无买家账号"
        assert survey_messages(session) == []

    def test_quiet_chats_are_surveyed_once(self, session: Session) -> None:
        agent = make_user(session, role=Role.AGENT)
        chat = make_chat(
            session,
            [("customer", 0, "在吗"), ("agent", 5, "在的")],
            agent_id=agent.id,
            customer_account="tb_buyer",
        )
        later = chat.ended_at + timedelta(hours=1)
        assert surveys.invite_finished_chats(session, now=later) == 1
        assert surveys.invite_finished_chats(session, now=later) == 0
        invitation = invitation_of(session, f"chat:{chat.id}")
        assert (invitation.agent_id, invitation.invited_at is not None) == (agent.id, True)
        assert survey_messages(session)[0].destination.endswith(":tb_buyer")

    def test_a_chat_still_going_is_not_surveyed(self, session: Session) -> None:
        agent = make_user(session, role=Role.AGENT)
        chat = make_chat(session, [("customer", 0, "在吗"), ("agent", 5, "在的")], agent_id=agent.id)
        assert surveys.invite_finished_chats(session, now=chat.ended_at + timedelta(minutes=5)) == 0


class TestAnswers:
    def test_a_missing_required_answer_names_the_question(self, session: Session) -> None:
        ticket = resolved_ticket(session)
        invitation = invitation_of(session, f"ticket:{ticket.id}")
        raw = fields(session, ticket.shop_id, overall="5", resolved="yes", attitude="5")
        with pytest.raises(SurveyAnswersInvalidError) as caught:
            surveys.record(session, invitation_id=invitation.id, raw=raw)
        assert list(caught.value.errors.values()) == ["请回答「处理速度」"]

    def test_six_stars_is_refused_naming_the_question(self, session: Session) -> None:
        ticket = resolved_ticket(session)
        invitation = invitation_of(session, f"ticket:{ticket.id}")
        raw = fields(session, ticket.shop_id, **{**GOOD, "attitude": "6"})
        with pytest.raises(SurveyAnswersInvalidError, match="「客服的服务态度」请选择 1-5 星"):
            surveys.record(session, invitation_id=invitation.id, raw=raw)

    def test_answers_keep_the_question_text_after_an_edit(self, session: Session) -> None:
        ticket = resolved_ticket(session)
        invitation = invitation_of(session, f"ticket:{ticket.id}")
        surveys.record(session, invitation_id=invitation.id, raw=fields(session, ticket.shop_id, **GOOD))
        survey_questions.save_questionnaire(
            session,
            shop_id=ticket.shop_id,
            questions=[QuestionIn(kind="overall", text="打个分吧")],
            actor_id=None,
        )
        texts = [
            a.question_text for a in session.scalars(select(SurveyAnswer).order_by(SurveyAnswer.position))
        ]
        assert texts == ["您对本次服务的整体满意度", "您的问题是否已经解决", "客服的服务态度", "处理速度"]
        assert [q.text for q in surveys.questions_for(session, invitation)][0] == "您对本次服务的整体满意度"

    def test_a_second_answer_replaces_the_first(self, session: Session) -> None:
        ticket = resolved_ticket(session)
        invitation = invitation_of(session, f"ticket:{ticket.id}")
        surveys.record(
            session,
            invitation_id=invitation.id,
            raw=fields(session, ticket.shop_id, **{**GOOD, "overall": "3"}),
        )
        surveys.record(session, invitation_id=invitation.id, raw=fields(session, ticket.shop_id, **GOOD))
        assert invitation.overall_stars == 5
        assert session.scalar(select(func.count()).select_from(SurveyAnswer)) == 4

    def test_a_low_answer_opens_one_ticket_and_a_second_updates_it(self, session: Session) -> None:
        ticket = resolved_ticket(session)
        invitation = invitation_of(session, f"ticket:{ticket.id}")
        low = {**GOOD, "resolved": "no"}
        surveys.record(session, invitation_id=invitation.id, raw=fields(session, ticket.shop_id, **low))
        surveys.record(
            session,
            invitation_id=invitation.id,
            raw=fields(session, ticket.shop_id, **{**low, "note": "还没退款"}),
        )
        [follow_up] = session.scalars(
            select(Ticket).where(Ticket.source_key == f"survey:ticket:{ticket.id}")
        ).all()
        assert follow_up.title == f"[回访]问卷低分(5星): 工单 #{ticket.id}"
        assert follow_up.description == "您的问题是否已经解决: 否\n留言: 还没退款"

    def test_good_answers_open_no_ticket(self, session: Session) -> None:
        ticket = resolved_ticket(session)
        invitation = invitation_of(session, f"ticket:{ticket.id}")
        surveys.record(session, invitation_id=invitation.id, raw=fields(session, ticket.shop_id, **GOOD))
        assert session.scalar(select(Ticket).where(Ticket.source == "selfservice")) is None


def care_link(session: Session, order_id: int) -> str:
    ensure_defaults(session)
    send_customer_message(session, order_id=order_id, template_code="care_feedback", idempotency_key="care")
    message = session.scalars(select(OutboxMessage).where(OutboxMessage.idempotency_key == "care")).one()
    return link_path(message)


class TestPortal:
    def test_the_care_message_opens_the_orders_questionnaire(
        self, session: Session, client: TestClient
    ) -> None:
        order = make_order(session)
        page = client.get(care_link(session, order.id))
        assert f"满意度问卷 · 订单 {order.source_id}" in page.text
        assert "客服的服务态度" in page.text

    def test_an_order_answer_is_the_ticketless_case(self, session: Session, client: TestClient) -> None:
        order = make_order(session)
        client.get(care_link(session, order.id))
        thanks = client.post("/portal/survey", data=fields(session, order.shop_id, **GOOD))
        assert "感谢您的评价" in thanks.text
        invitation = invitation_of(session, f"order:{order.id}")
        assert (invitation.ticket_id, invitation.overall_stars) == (None, 5)

    def test_one_star_on_an_order_opens_a_ticket_with_the_comment(
        self, session: Session, client: TestClient
    ) -> None:
        order = make_order(session)
        client.get(care_link(session, order.id))
        answers = fields(session, order.shop_id, **{**GOOD, "overall": "1", "note": "客服态度太差"})
        thanks = client.post("/portal/survey", data=answers)
        assert "我们已安排客服跟进" in thanks.text
        ticket = session.scalars(select(Ticket).where(Ticket.order_id == order.id)).one()
        assert ticket.source_key == f"portal-survey:{order.id}"
        assert ticket.description == "您对本次服务的整体满意度: 1 星\n留言: 客服态度太差"

    def test_the_ticket_link_answers_without_an_order_session(
        self, session: Session, client: TestClient
    ) -> None:
        ticket = resolved_ticket(session)
        path = link_path(survey_messages(session)[0])
        assert "满意度问卷 · 售后工单" in client.get(path).text
        assert "感谢您的评价" in client.post(path, data=fields(session, ticket.shop_id, **GOOD)).text
        assert invitation_of(session, f"ticket:{ticket.id}").answered_at is not None

    def test_a_missing_answer_is_a_422_naming_the_question(
        self, session: Session, client: TestClient
    ) -> None:
        ticket = resolved_ticket(session)
        path = link_path(survey_messages(session)[0])
        answers = fields(session, ticket.shop_id, overall="4", resolved="yes", attitude="4")
        response = client.post(path, data=answers)
        speed = survey_questions.questionnaire(session, ticket.shop_id)[3]
        assert response.status_code == 422
        assert f'id="q{speed.id}-error"' in response.text
        assert "请回答「处理速度」" in response.text
        assert 'value="4" checked' in response.text

    def test_a_forged_link_is_refused(self, client: TestClient) -> None:
        response = client.get(f"/portal/s/{access.sign_survey(1)}x")
        assert response.status_code == 401


class TestApi:
    def test_agents_read_the_questionnaire(
        self, session: Session, client: TestClient, auth_headers: Headers
    ) -> None:
        shop = make_shop(session)
        body = client.get(f"/api/selfservice/surveys/questionnaires/{shop.id}", headers=auth_headers()).json()
        assert body["is_default"] is True
        assert len(body["questions"]) == 5

    def test_a_supervisor_saves_a_version(
        self, session: Session, client: TestClient, auth_headers: Headers
    ) -> None:
        shop = make_shop(session)
        questions = [{"kind": "overall", "text": "整体满意度"}, {"kind": "yes_no", "text": "是否会再来购买"}]
        response = client.put(
            f"/api/selfservice/surveys/questionnaires/{shop.id}",
            json={"questions": questions},
            headers=auth_headers(Role.SUPERVISOR),
        )
        assert [q["text"] for q in response.json()["questions"]] == ["整体满意度", "是否会再来购买"]

    def test_agents_may_not_edit(self, session: Session, client: TestClient, auth_headers: Headers) -> None:
        shop = make_shop(session)
        body = {"questions": [{"kind": "overall", "text": "满意吗"}]}
        response = client.put(
            f"/api/selfservice/surveys/questionnaires/{shop.id}", json=body, headers=auth_headers()
        )
        assert response.status_code == 403

    def test_no_overall_question_is_a_chinese_422(
        self, session: Session, client: TestClient, auth_headers: Headers
    ) -> None:
        shop = make_shop(session)
        body = {"questions": [{"kind": "text", "text": "留言"}]}
        response = client.put(
            f"/api/selfservice/surveys/questionnaires/{shop.id}",
            json=body,
            headers=auth_headers(Role.SUPERVISOR),
        )
        assert response.status_code == 422
        assert "整体满意度" in response.json()["detail"]

    def test_an_invitations_answers(
        self, session: Session, client: TestClient, auth_headers: Headers
    ) -> None:
        ticket = resolved_ticket(session)
        invitation = invitation_of(session, f"ticket:{ticket.id}")
        surveys.record(session, invitation_id=invitation.id, raw=fields(session, ticket.shop_id, **GOOD))
        body = client.get(
            f"/api/selfservice/surveys/invitations/{invitation.id}", headers=auth_headers()
        ).json()
        assert body["overall_stars"] == 5
        assert [a["question_text"] for a in body["answers"]][1] == "您的问题是否已经解决"


class TestConsole:
    def test_a_supervisor_saves_the_questionnaire_from_the_page(
        self, session: Session, client: TestClient, auth_headers: Headers
    ) -> None:
        shop = make_shop(session)
        headers = auth_headers(Role.SUPERVISOR)
        client.post(
            f"/console/selfservice/surveys/{shop.id}",
            data={"kind": ["overall", "stars"], "text": ["整体满意度", ""], "required": ["yes", "yes"]},
            headers=headers,
        )
        page = client.get(f"/console/selfservice/surveys?shop_id={shop.id}", headers=headers)
        assert "第 1 版" in page.text
        assert [q.text for q in survey_questions.questionnaire(session, shop.id)] == ["整体满意度"]

    def test_a_refused_questionnaire_shows_the_reason(
        self, session: Session, client: TestClient, auth_headers: Headers
    ) -> None:
        shop = make_shop(session)
        page = client.post(
            f"/console/selfservice/surveys/{shop.id}",
            data={"kind": ["stars"], "text": ["态度"], "required": ["yes"]},
            headers=auth_headers(Role.SUPERVISOR),
        )
        assert page.status_code == 422
        assert "问卷须有且只有一个「整体满意度」问题" in page.text
        assert session.scalar(select(SurveyQuestion).where(SurveyQuestion.shop_id == shop.id)) is None

    def test_agents_may_not_open_it(self, client: TestClient, auth_headers: Headers) -> None:
        assert client.get("/console/selfservice/surveys", headers=auth_headers()).status_code == 403
