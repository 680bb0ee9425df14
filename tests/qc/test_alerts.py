from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.conversations.models import ChatSession
from aftersales.conversations.schemas import MessageIn
from aftersales.conversations.service import ingest_messages
from aftersales.messaging.models import OutboxMessage
from aftersales.qc import alerts
from aftersales.qc.errors import AlertTransitionError
from aftersales.qc.models import AlertStatus, QcAlert
from tests.builders import make_bot, make_chat, make_shop, make_user


def alerts_of(session: Session, session_id: int) -> list[QcAlert]:
    return list(session.scalars(select(QcAlert).where(QcAlert.session_id == session_id)))


def outbox_count(session: Session) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.subject_type == "qc_alert")
        )
        or 0
    )


class TestRaise:
    def test_a_risk_phrase_raises_an_alert_with_its_level_and_evidence(self, session: Session) -> None:
        chat = make_chat(session, [("customer", 0, "不解决就给你们差评")])
        [alert] = alerts_of(session, chat.id)
        assert (alert.level, alert.phrase, alert.status) == ("medium", "给你们差评", AlertStatus.OPEN)

    def test_repeated_threats_in_one_session_keep_one_alert(self, session: Session) -> None:
        chat = make_chat(session, [("customer", 0, "给你差评"), ("customer", 5, "一定给你差评")])
        assert len(alerts_of(session, chat.id)) == 1

    def test_a_higher_threat_later_escalates_the_sessions_alert(self, session: Session) -> None:
        chat = make_chat(session, [("customer", 0, "给你差评"), ("customer", 5, "我要打12315")])
        [alert] = alerts_of(session, chat.id)
        assert (alert.level, alert.phrase) == ("high", "12315")
        assert alert.escalated_at is not None

    def test_no_alert_without_risk(self, session: Session) -> None:
        chat = make_chat(session, [("customer", 0, "快递到哪了")])
        assert alerts_of(session, chat.id) == []


class TestRouting:
    def test_the_alert_is_queued_to_the_shops_group_bot(self, session: Session) -> None:
        make_bot(session, group_code="aftersales")
        before = outbox_count(session)
        make_chat(session, [("customer", 0, "给你差评")])
        assert outbox_count(session) == before + 1

    def test_a_high_alert_also_reaches_the_supervisors(self, session: Session) -> None:
        make_bot(session, group_code="aftersales")
        make_bot(session, group_code="supervisors", url="http://127.0.0.1:9/sup")
        before = outbox_count(session)
        make_chat(session, [("customer", 0, "我要去消协投诉")])
        assert outbox_count(session) == before + 2

    def test_a_repeat_of_the_same_level_is_not_sent_again(self, session: Session) -> None:
        make_bot(session, group_code="aftersales")
        before = outbox_count(session)
        make_chat(session, [("customer", 0, "给你差评"), ("customer", 5, "差评！")])
        assert outbox_count(session) == before + 1

    def test_a_batch_of_risky_chats_notifies_each_alert_to_every_bot_of_its_groups(
        self, session: Session
    ) -> None:
        bots = [make_bot(session), make_bot(session, url="http://127.0.0.1:9/two")]
        supervisors = make_bot(session, group_code="supervisors", url="http://127.0.0.1:9/sup")
        shops = [make_shop(session), make_shop(session)]
        said = {"a": "给你差评", "b": "我要去消协投诉", "c": "快递到哪了", "d": "不解决就举报你们"}
        ingest_messages(
            session,
            [
                MessageIn(
                    shop_id=shop.id,
                    platform=shop.platform,
                    session_key=f"batch-{key}",
                    sender="customer",
                    text=text,
                    sent_at=datetime(2026, 11, 11, 2, tzinfo=UTC),
                )
                for shop, (key, text) in zip([*shops, *shops], said.items(), strict=True)
            ],
        )
        raised = session.scalars(
            select(QcAlert).join(ChatSession).where(ChatSession.session_key.like("batch-%"))
        )
        expected = {
            f"qc-alert:{alert.id}:{alert.level}:{group}:bot{bot.id}"
            for alert in raised
            for group, bot in [*(("aftersales", bot) for bot in bots), ("supervisors", supervisors)]
            if group == "aftersales" or alert.level == "high"
        }
        keys = session.scalars(
            select(OutboxMessage.idempotency_key).where(OutboxMessage.subject_type == "qc_alert")
        )
        assert set(keys) >= expected
        assert len(expected) == 2 + 3 + 3
        notified = session.scalars(
            select(QcAlert.notified).join(ChatSession).where(ChatSession.session_key.like("batch-%"))
        )
        assert sorted(notified) == [2, 3, 3]

    def test_the_message_names_the_shop_and_quotes_the_customer(self, session: Session) -> None:
        make_bot(session, group_code="aftersales")
        shop = make_shop(session, name="小米旗舰店")
        chat = make_chat(session, [("customer", 0, "给你差评")], shop=shop)
        message = session.scalar(
            select(OutboxMessage)
            .where(OutboxMessage.subject_type == "qc_alert")
            .order_by(OutboxMessage.id.desc())
        )
        assert message is not None
        text = str(message.payload)
        assert "小米旗舰店" in text
        assert "给你差评" in text
        assert f"/console/qc/sessions/{chat.id}" in text


class TestWorkflow:
    def test_acknowledge_then_handle_then_close(self, session: Session) -> None:
        user = make_user(session, role=Role.SUPERVISOR)
        chat = make_chat(session, [("customer", 0, "给你差评")])
        [alert] = alerts_of(session, chat.id)
        alerts.acknowledge(session, alert_id=alert.id, user=user)
        alerts.start_handling(session, alert_id=alert.id, user=user)
        alerts.close(session, alert_id=alert.id, user=user, note="已致电安抚并补偿")
        assert (alert.status, alert.closed_by_id, alert.note) == (
            AlertStatus.CLOSED,
            user.id,
            "已致电安抚并补偿",
        )

    def test_a_closed_alert_cannot_be_acknowledged(self, session: Session) -> None:
        user = make_user(session)
        chat = make_chat(session, [("customer", 0, "给你差评")])
        [alert] = alerts_of(session, chat.id)
        alerts.close(session, alert_id=alert.id, user=user, note="已处理")
        with pytest.raises(AlertTransitionError):
            alerts.acknowledge(session, alert_id=alert.id, user=user)

    def test_closing_needs_a_note(self, session: Session) -> None:
        from aftersales.kit.errors import InvalidInputError

        user = make_user(session)
        chat = make_chat(session, [("customer", 0, "给你差评")])
        [alert] = alerts_of(session, chat.id)
        with pytest.raises(InvalidInputError):
            alerts.close(session, alert_id=alert.id, user=user, note=" ")
