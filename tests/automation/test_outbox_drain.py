"""The outbox's order and validity: alerts before bulk sends, stale messages dropped and counted."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.kit.time import utcnow
from aftersales.logistics import care
from aftersales.logistics.defaults import ensure_defaults
from aftersales.logistics.models import CareMessage, CareStatus
from aftersales.messaging import customer_channels
from aftersales.messaging.customer_channels import OutboundRecorder, use_recorder
from aftersales.messaging.jobs import deliver_outbox
from aftersales.messaging.models import OutboxMessage, OutboxStatus, Priority
from aftersales.messaging.service import queue_messages
from tests.builders import make_order, make_parcel


@pytest.fixture
def outbound(tmp_path: Path) -> Iterator[OutboundRecorder]:
    previous = customer_channels.recorder()
    yield use_recorder(tmp_path / "outbound")
    customer_channels._recorder = previous


def bulk(n: int, **overrides: object) -> list[dict[str, object]]:
    return [
        {
            "channel": "platform_im",
            "destination": f"tmall:shop:buyer{i}",
            "payload": {"text": f"通知 {i}"},
            "idempotency_key": f"bulk:{i}",
            "priority": Priority.BULK,
            **overrides,
        }
        for i in range(n)
    ]


def status_counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
    return dict(rows.all())


class TestPriorities:
    def test_an_sla_alert_queued_behind_3000_buyer_messages_leaves_in_the_first_batch(
        self, session: Session, outbound: OutboundRecorder
    ) -> None:
        queue_messages(session, bulk(3000))
        queue_messages(
            session,
            [
                {
                    "channel": "platform_im",
                    "destination": "tmall:shop:supervisor",
                    "payload": {"text": "工单超时告警"},
                    "idempotency_key": "sla:breach:1",
                    "priority": Priority.ALERT,
                }
            ],
        )
        session.commit()
        deliver_outbox(session, checkpoint=session.commit, batch=100, budget_seconds=0)
        sent = outbound.records("platform_im")
        assert (len(sent), sent[0]["text"]) == (100, "工单超时告警")

    def test_one_run_drains_the_backlog_batch_after_batch(
        self, session: Session, outbound: OutboundRecorder
    ) -> None:
        queue_messages(session, bulk(2500))
        session.commit()
        assert deliver_outbox(session, checkpoint=session.commit, batch=1000) == {
            "claimed": 2500,
            "sent": 2500,
            "expired": 0,
        }
        assert status_counts(session) == {OutboxStatus.SENT: 2500}


class TestValidity:
    def test_a_message_whose_window_passed_is_expired_and_counted_not_sent(
        self, session: Session, outbound: OutboundRecorder
    ) -> None:
        queue_messages(session, bulk(3, expires_at=utcnow() - timedelta(minutes=1)))
        queue_messages(
            session, [{**bulk(1)[0], "idempotency_key": "fresh", "expires_at": utcnow() + timedelta(days=1)}]
        )
        session.commit()
        assert deliver_outbox(session, checkpoint=session.commit) == {"claimed": 1, "sent": 1, "expired": 3}
        assert [r["idempotency_key"] for r in outbound.records("platform_im")] == ["fresh"]

    def test_care_steps_weeks_overdue_after_downtime_are_expired_not_queued(self, session: Session) -> None:
        ensure_defaults(session)
        delivered = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
        order = make_order(session)
        make_parcel(
            session,
            order=order,
            shipped_at=delivered - timedelta(days=2),
            timeline=[
                (delivered - timedelta(days=2), "【杭州】快件已揽收", "杭州"),
                (delivered, "已签收", "北京"),
            ],
        )
        care.schedule(session, now=delivered + timedelta(hours=1))
        back_up = delivered + timedelta(days=15)  # 10:00 Shanghai, two weeks later
        assert care.expire_stale(session, now=back_up) == 3
        assert care.send_due(session, now=back_up) == 0
        statuses = set(session.scalars(select(CareMessage.status).where(CareMessage.order_id == order.id)))
        assert statuses == {CareStatus.EXPIRED}
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0

    def test_a_care_message_carries_its_step_validity(self, session: Session) -> None:
        ensure_defaults(session)
        delivered = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
        order = make_order(session)
        make_parcel(
            session,
            order=order,
            shipped_at=delivered - timedelta(days=2),
            timeline=[
                (delivered - timedelta(days=2), "【杭州】快件已揽收", "杭州"),
                (delivered, "已签收", "北京"),
            ],
        )
        care.schedule(session, now=delivered + timedelta(hours=1))
        first = min(
            session.scalars(select(CareMessage).where(CareMessage.order_id == order.id)),
            key=lambda c: c.due_at,
        )
        care.send_due(session, now=first.due_at + timedelta(hours=1))
        [message] = session.scalars(select(OutboxMessage)).all()
        assert message.expires_at == first.due_at + care.CARE_VALIDITY
        assert message.reason is not None
        assert message.reason["rule"] == "签收关怀"
