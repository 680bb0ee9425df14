import hashlib
import hmac
import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.config import get_settings
from aftersales.messaging.jobs import deliver_outbox
from aftersales.messaging.models import OutboxMessage, OutboxStatus
from aftersales.messaging.service import queue_message
from tests.receiver import receiving_server


def message(session: Session) -> OutboxMessage:
    session.expire_all()
    found = session.scalar(select(OutboxMessage))
    assert found is not None
    return found


def make_due(session: Session) -> None:
    from aftersales.kit.time import utcnow

    message(session).next_attempt_at = utcnow()
    session.commit()


class TestOutbox:
    def test_same_idempotency_key_queues_one_message(self, session: Session) -> None:
        for _ in range(2):
            queue_message(
                session,
                channel="webhook",
                destination="http://x",
                payload={},
                idempotency_key="ticket:1:created",
            )
        assert len(list(session.scalars(select(OutboxMessage)))) == 1

    def test_webhook_is_delivered_signed_with_its_idempotency_key(self, session: Session) -> None:
        with receiving_server() as receiver:
            queue_message(
                session,
                channel="webhook",
                destination=receiver.url + "/hook",
                payload={"工单": 1},
                idempotency_key="k1",
            )
            session.commit()
            deliver_outbox(session, checkpoint=session.commit)
        got = receiver.received[0]
        timestamp, signature = (
            part.split("=", 1)[1] for part in got.headers["X-Aftersales-Signature"].split(",")
        )
        body = json.dumps({"工单": 1}, ensure_ascii=False, separators=(",", ":")).encode()
        expected = hmac.new(
            get_settings().secret_key.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
        )
        assert (got.body, got.headers["Idempotency-Key"], signature) == (
            {"工单": 1},
            "k1",
            expected.hexdigest(),
        )
        assert message(session).status == OutboxStatus.SENT

    def test_failed_delivery_is_retried_and_delivered_exactly_once(self, session: Session) -> None:
        with receiving_server() as receiver:
            receiver.fail_next = 1
            queue_message(
                session, channel="webhook", destination=receiver.url, payload={"n": 1}, idempotency_key="k2"
            )
            session.commit()
            deliver_outbox(session, checkpoint=session.commit)
            assert (message(session).status, message(session).attempts) == (OutboxStatus.PENDING, 1)
            make_due(session)
            deliver_outbox(session, checkpoint=session.commit)
            deliver_outbox(session, checkpoint=session.commit)
        assert [r.body for r in receiver.received] == [{"n": 1}]
        assert message(session).status == OutboxStatus.SENT

    def test_message_goes_dead_after_its_last_attempt(self, session: Session) -> None:
        with receiving_server() as receiver:
            receiver.fail_next = 100
            queue_message(
                session, channel="webhook", destination=receiver.url, payload={}, idempotency_key="k3"
            )
            message(session).max_attempts = 2
            session.commit()
            deliver_outbox(session, checkpoint=session.commit)
            make_due(session)
            deliver_outbox(session, checkpoint=session.commit)
        assert message(session).status == OutboxStatus.DEAD
