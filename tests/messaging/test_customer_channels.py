import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.config import get_settings
from aftersales.kit.time import utcnow
from aftersales.messaging import customer_channels
from aftersales.messaging.channels import DeliveryError, register_channel
from aftersales.messaging.customer_channels import (
    OutboundRecorder,
    RecordedSmsProvider,
    SmsChannel,
    use_recorder,
)
from aftersales.messaging.jobs import deliver_outbox
from aftersales.messaging.models import OutboxMessage, OutboxStatus
from aftersales.messaging.service import dead_letters, queue_message, retry_dead


@pytest.fixture
def recorded(tmp_path: Path) -> Iterator[OutboundRecorder]:
    previous = customer_channels.recorder()
    yield use_recorder(tmp_path / "outbound")
    customer_channels._recorder = previous


class DownGateway:
    """An SMS gateway that is down: every send is refused."""

    def send_sms(self, *, phone: str, text: str, key: str) -> None:
        raise DeliveryError("gateway returned 503")


@pytest.fixture
def sms_down() -> Iterator[None]:
    register_channel("sms", SmsChannel(DownGateway()))
    yield
    register_channel("sms", SmsChannel(RecordedSmsProvider()))


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd hook)
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    with socket.socket() as probe:  # a free loopback port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def queue(session: Session, channel: str, destination: str, key: str, **payload: Any) -> None:
    queue_message(
        session,
        channel=channel,
        destination=destination,
        payload={"text": "亲,您的包裹已到驿站", **payload},
        idempotency_key=key,
    )
    session.commit()


def stored(session: Session, key: str) -> OutboxMessage:
    session.expire_all()
    message = session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))
    assert message is not None
    return message


class TestRecordedChannels:
    def test_platform_im_records_the_message_for_the_buyer(
        self, session: Session, recorded: OutboundRecorder
    ) -> None:
        queue(session, "platform_im", "tmall:cup-tmall:小王", "im1")
        deliver_outbox(session, checkpoint=session.commit)
        [entry] = recorded.records("platform_im")
        assert (entry["destination"], entry["text"], entry["idempotency_key"]) == (
            "tmall:cup-tmall:小王",
            "亲,您的包裹已到驿站",
            "im1",
        )
        assert stored(session, "im1").status == OutboxStatus.SENT

    def test_sms_records_digits_only_numbers(self, session: Session, recorded: OutboundRecorder) -> None:
        queue(session, "sms", "138-1234-5678", "sms1")
        deliver_outbox(session, checkpoint=session.commit)
        assert [r["destination"] for r in recorded.records("sms")] == ["13812345678"]

    def test_a_redelivery_with_the_same_key_is_recorded_once(self, recorded: OutboundRecorder) -> None:
        for _ in range(2):
            recorded.record("sms", destination="13800000000", text="x", key="same")
        assert len(recorded.records("sms")) == 1

    def test_a_malformed_im_destination_is_a_delivery_error(
        self, session: Session, recorded: OutboundRecorder
    ) -> None:
        queue(session, "platform_im", "no-colons", "im2")
        deliver_outbox(session, checkpoint=session.commit)
        assert "bad platform IM destination" in (stored(session, "im2").last_error or "")


class TestEmail:
    def test_sends_the_text_over_smtp_with_the_idempotency_key(
        self, session: Session, smtp_server: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        inbox, port = smtp_server
        monkeypatch.setattr(get_settings(), "smtp_port", port)
        queue(session, "email", "buyer@example.com", "mail1", subject="订单已发货")
        deliver_outbox(session, checkpoint=session.commit)
        [mail] = inbox.messages
        assert (mail["To"], mail["Subject"], mail["Idempotency-Key"]) == (
            "buyer@example.com",
            "订单已发货",
            "mail1",
        )
        assert mail.get_content().strip() == "亲,您的包裹已到驿站"

    def test_an_unreachable_server_leaves_the_message_for_a_retry(
        self, session: Session, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(get_settings(), "smtp_port", 1)
        queue(session, "email", "buyer@example.com", "mail2")
        deliver_outbox(session, checkpoint=session.commit)
        message = stored(session, "mail2")
        assert (message.status, message.attempts) == (OutboxStatus.PENDING, 1)
        assert message.next_attempt_at > utcnow()


class TestFailingChannel:
    def test_retries_with_growing_backoff(self, session: Session, sms_down: None) -> None:
        queue(session, "sms", "13800000000", "down1")
        delays = []
        for _ in range(3):
            message = stored(session, "down1")
            message.next_attempt_at = utcnow()
            session.commit()
            started = utcnow()
            deliver_outbox(session, checkpoint=session.commit)
            delays.append((stored(session, "down1").next_attempt_at - started).total_seconds())
        assert delays[0] < delays[1] < delays[2]

    def test_a_message_that_runs_out_of_tries_becomes_a_dead_letter(
        self, session: Session, sms_down: None
    ) -> None:
        queue(session, "sms", "13800000000", "down2")
        stored(session, "down2").max_attempts = 2
        session.commit()
        for _ in range(2):
            stored(session, "down2").next_attempt_at = utcnow()
            session.commit()
            deliver_outbox(session, checkpoint=session.commit)
        assert [m.idempotency_key for m in dead_letters(session, channels=["sms"])] == ["down2"]
        assert stored(session, "down2").last_error == "gateway returned 503"

    def test_a_retried_dead_letter_is_delivered_once_the_channel_is_back(
        self, session: Session, recorded: OutboundRecorder
    ) -> None:
        queue(session, "sms", "13800000000", "down3")
        message = stored(session, "down3")
        message.status = OutboxStatus.DEAD
        session.commit()
        retry_dead(session, message_id=message.id)
        session.commit()
        deliver_outbox(session, checkpoint=session.commit)
        assert stored(session, "down3").status == OutboxStatus.SENT
        assert [r["idempotency_key"] for r in recorded.records("sms")] == ["down3"]
