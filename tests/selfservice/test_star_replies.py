"""明星经验萃取 on crafted chats: STAR passes every checkpoint; SLOW fails 首响 and 结束语."""

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.conversations.models import ChatMessage, ChatSession, Sender
from aftersales.kit.errors import InvalidInputError
from aftersales.kit.time import utcnow
from aftersales.selfservice import quickreplies, star_replies
from tests.builders import make_chat, make_quick_reply

STAR_TEXT = "您好,您的包裹已到达杭州转运中心,预计明天送达,还有其他问题随时联系"
STAR = [("customer", 0, "我的快递到哪了"), ("agent", 5, STAR_TEXT)]
SLOW = [("customer", 0, "我的快递到哪了"), ("agent", 40, "包裹在路上了,请再耐心等等哦亲亲")]


def period() -> tuple[datetime, datetime]:
    return utcnow() - timedelta(days=1), utcnow() + timedelta(hours=1)


def reply_of(session: Session, chat: ChatSession) -> ChatMessage:
    query = select(ChatMessage).where(ChatMessage.session_id == chat.id, ChatMessage.sender == Sender.AGENT)
    message = session.scalar(query)
    assert message is not None
    return message


class TestProposals:
    def test_best_rated_reply_is_proposed_under_its_scene(self, session: Session) -> None:
        make_chat(session, STAR)
        since, until = period()
        found = star_replies.proposals(session, since=since, until=until)
        assert [(p.scene, p.text) for p in found] == [("where_is_parcel", STAR_TEXT)]

    def test_a_picture_placeholder_does_not_set_the_scene(self, session: Session) -> None:
        make_chat(session, [*STAR[:1], ("customer", 2, "[图片]"), STAR[1]])
        since, until = period()
        assert [p.question for p in star_replies.proposals(session, since=since, until=until)] == [
            "我的快递到哪了"
        ]

    def test_failed_sessions_are_not_read(self, session: Session) -> None:
        make_chat(session, SLOW)
        since, until = period()
        assert star_replies.proposals(session, since=since, until=until) == []

    def test_a_text_already_in_the_library_is_not_proposed_again(self, session: Session) -> None:
        make_chat(session, STAR)
        make_quick_reply(session, shortcut="star1", body=STAR_TEXT)
        since, until = period()
        assert star_replies.proposals(session, since=since, until=until) == []


class TestAccept:
    def test_accepted_reply_becomes_a_suggested_quick_reply(self, session: Session) -> None:
        message = reply_of(session, make_chat(session, STAR))
        star_replies.accept(session, message_id=message.id, scene="where_is_parcel", shortcut="star_wl")
        suggested = quickreplies.suggest(session, intent="where_is_parcel", limit=50)
        assert STAR_TEXT in {reply.body for reply in suggested}

    def test_a_customer_message_cannot_be_accepted(self, session: Session) -> None:
        chat = make_chat(session, STAR)
        question = session.scalar(select(ChatMessage).where(ChatMessage.session_id == chat.id))
        assert question is not None
        with pytest.raises(InvalidInputError):
            star_replies.accept(session, message_id=question.id, scene="where_is_parcel", shortcut="star_q")


class TestStarConsole:
    def test_supervisor_accepts_on_the_page(self, session: Session, client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
        message = reply_of(session, make_chat(session, STAR))
        headers = auth_headers(Role.SUPERVISOR)
        assert STAR_TEXT in client.get("/console/selfservice/star-replies", headers=headers).text
        response = client.post(
            "/console/selfservice/star-replies",
            data={"message_id": str(message.id), "scene": "where_is_parcel", "shortcut": "star_page"},
            headers=headers,
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert STAR_TEXT not in client.get("/console/selfservice/star-replies", headers=headers).text
