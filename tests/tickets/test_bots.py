"""The generic signed webhook bot of a group signs with its own secret, kept out of the outbox."""

import hashlib
import hmac

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.config import get_settings
from aftersales.messaging.jobs import deliver_outbox
from aftersales.messaging.models import OutboxMessage
from aftersales.tickets.groups import notify_group
from tests.builders.tickets import make_bot
from tests.receiver import Received, receiving_server


def signed_with(got: Received, secret: str) -> bool:
    timestamp, signature = (
        part.split("=", 1)[1] for part in got.headers["X-Aftersales-Signature"].split(",")
    )
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + got.raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(signature, expected)


def deliver_to_webhook_bot(session: Session, secret: str | None) -> Received:
    with receiving_server() as receiver:
        make_bot(session, channel="webhook", url=f"{receiver.url}/hook", secret=secret)
        notify_group(session, group_code="aftersales", text="【测试】", idempotency_key="test:webhook")
        session.commit()
        deliver_outbox(session, checkpoint=session.commit)
    return receiver.received[0]


class TestSignedWebhookBot:
    def test_is_signed_with_the_bots_own_secret(self, session: Session) -> None:
        got = deliver_to_webhook_bot(session, "bot-secret-1")
        assert (got.path, signed_with(got, "bot-secret-1")) == ("/hook", True)

    def test_outbox_row_names_the_bot_not_its_secret(self, session: Session) -> None:
        make_bot(session, channel="webhook", secret="bot-secret-2")
        notify_group(session, group_code="aftersales", text="【测试】", idempotency_key="test:row")
        destination = session.scalars(select(OutboxMessage.destination)).one()
        assert "bot-secret-2" not in destination
        assert "signer=ticket_bot" in destination

    def test_without_a_secret_it_is_signed_with_the_global_secret(self, session: Session) -> None:
        got = deliver_to_webhook_bot(session, None)
        assert signed_with(got, get_settings().secret_key)
