"""SLA clocks: business hours (09:00-21:00 Asia/Shanghai), pauses while waiting for the customer,
and the queue's SLA state computed by the database."""

from datetime import datetime, timedelta

import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.kit.time import SHANGHAI, utcnow
from aftersales.messaging.models import OutboxMessage
from aftersales.tickets import repository, service
from aftersales.tickets.jobs import sla_scan
from aftersales.tickets.models import TicketStatus, TimelineEntry
from aftersales.tickets.repository import QueueFilter, SlaState
from aftersales.tickets.sla.hours import (
    Hours,
    add_business_seconds,
    business_seconds_between,
    end_of_business_day,
)
from tests.builders.auth import make_user
from tests.builders.tickets import make_bot, make_ticket

HOURS = Hours(9 * 60, 21 * 60)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


class TestBusinessHours:
    def test_time_inside_hours_is_added_directly(self) -> None:
        assert add_business_seconds(local(12, 10), 20 * 60, HOURS) == local(12, 10, 20)

    def test_time_past_closing_continues_next_morning(self) -> None:
        assert add_business_seconds(local(12, 20, 50), 20 * 60, HOURS) == local(13, 9, 10)

    def test_a_clock_started_before_opening_starts_at_opening(self) -> None:
        assert add_business_seconds(local(12, 7), 20 * 60, HOURS) == local(12, 9, 20)

    def test_business_seconds_skip_the_night(self) -> None:
        assert business_seconds_between(local(12, 20), local(13, 10), HOURS) == 2 * 3600

    def test_end_of_day_after_closing_is_tomorrows_closing(self) -> None:
        assert end_of_business_day(local(12, 22), HOURS) == local(13, 21)


class TestTicketDeadlines:
    def test_late_evening_ticket_gets_its_first_response_due_next_morning(self, session: Session) -> None:
        ticket = make_ticket(session, now=local(12, 20, 55))
        assert ticket.first_response_due_at == local(13, 9, 15)

    def test_consultation_is_due_the_same_business_day(self, session: Session) -> None:
        ticket = make_ticket(session, now=local(12, 10))
        assert ticket.resolution_due_at == local(12, 21)

    def test_return_application_is_due_within_24_calendar_hours(self, session: Session) -> None:
        ticket = make_ticket(session, type="return", now=local(12, 10))
        assert ticket.resolution_due_at == local(13, 10)

    def test_queue_deadline_is_the_first_response_until_an_agent_answers(self, session: Session) -> None:
        ticket = make_ticket(session, now=local(12, 10))
        first = ticket.sla_due_at
        with time_machine.travel(local(12, 10, 5), tick=False):
            service.add_comment(session, ticket_id=ticket.id, actor_id=None, text="您好,马上为您处理")  # type: ignore[arg-type]
        assert (first, ticket.sla_due_at) == (local(12, 10, 20), local(12, 21))


class TestPause:
    def test_waiting_for_the_customer_moves_the_deadline_by_the_time_waited(self, session: Session) -> None:
        ticket = make_ticket(session, type="return", now=local(12, 10))
        service.transition(
            session, ticket_id=ticket.id, to=TicketStatus.WAITING_CUSTOMER, actor_id=None, now=local(12, 11)
        )
        service.transition(
            session, ticket_id=ticket.id, to=TicketStatus.IN_PROGRESS, actor_id=None, now=local(12, 13)
        )
        assert (ticket.resolution_due_at, ticket.sla_paused_seconds) == (local(13, 12), 2 * 3600)

    def test_paused_ticket_has_no_running_deadline(self, session: Session) -> None:
        ticket = make_ticket(session, now=local(12, 10))
        service.transition(
            session, ticket_id=ticket.id, to=TicketStatus.WAITING_CUSTOMER, actor_id=None, now=local(12, 11)
        )
        assert ticket.sla_due_at is None

    def test_business_hours_pause_resumes_on_business_time(self, session: Session) -> None:
        """10 business hours left at 11:00; resumed at 20:00 it is due after 10 more business hours."""
        ticket = make_ticket(session, now=local(12, 10))
        service.transition(
            session, ticket_id=ticket.id, to=TicketStatus.WAITING_CUSTOMER, actor_id=None, now=local(12, 11)
        )
        service.transition(
            session, ticket_id=ticket.id, to=TicketStatus.IN_PROGRESS, actor_id=None, now=local(12, 20)
        )
        assert ticket.resolution_due_at == local(13, 18)


class TestQueueState:
    def _state(self, session: Session, ticket_id: int, now: datetime) -> str:
        rows = session.execute(repository.queue(QueueFilter(), now=now)).all()
        return next(state for t, state in rows if t.id == ticket_id)

    def test_states_follow_the_clock(self, session: Session) -> None:
        ticket = make_ticket(session, now=local(12, 10))  # first response due 10:20, warn at 10:15
        states = [self._state(session, ticket.id, local(12, 10, m)) for m in (0, 16, 21)]
        assert states == [SlaState.OK, SlaState.AT_RISK, SlaState.BREACHED]

    def test_waiting_customer_shows_as_paused(self, session: Session) -> None:
        ticket = make_ticket(session, now=local(12, 10))
        service.transition(
            session, ticket_id=ticket.id, to=TicketStatus.WAITING_CUSTOMER, actor_id=None, now=local(12, 10)
        )
        assert self._state(session, ticket.id, local(12, 23)) == SlaState.PAUSED

    def test_sla_filter_selects_only_breached_tickets(self, session: Session) -> None:
        late = make_ticket(session, now=local(12, 9))
        fresh = make_ticket(session, now=local(12, 10, 10))
        rows = session.execute(
            repository.queue(QueueFilter(sla=SlaState.BREACHED), now=local(12, 10, 15))
        ).all()
        ids = {t.id for t, _ in rows}
        assert late.id in ids
        assert fresh.id not in ids


class TestAlerts:
    def test_breach_is_alerted_once_on_the_timeline_and_to_the_groups_bot(self, session: Session) -> None:
        make_bot(session, group_code="aftersales")
        ticket = make_ticket(session, now=utcnow() - timedelta(days=2))
        first = sla_scan(session)
        second = sla_scan(session)
        notes = session.scalars(
            select(TimelineEntry.message).where(
                TimelineEntry.ticket_id == ticket.id, TimelineEntry.kind == "sla"
            )
        )
        texts = [m.payload["text"]["content"] for m in session.scalars(select(OutboxMessage))]
        assert first["breached"] >= 1
        assert second["breached"] == 0
        assert list(notes) == ["SLA 已超时"]
        assert any(f"#{ticket.id}" in t and "已超时" in t for t in texts)
        session.refresh(ticket)
        assert (ticket.sla_breached, ticket.sla_alert_level) == (True, 2)


class TestAlertsAcrossClocks:
    """Created 10:00: first response due 10:20 (warn 10:15), resolution due 21:00 (warn 18:15)."""

    def _alerted_then_answered(self, session: Session, scan: datetime, answer: datetime) -> int:
        """A ticket opened at 10:00, scanned at ``scan``, then answered by an agent at ``answer``."""
        ticket = make_ticket(session, now=local(12, 10))
        sla_scan(session, now=scan.isoformat())
        agent = make_user(session)
        service.add_comment(
            session, ticket_id=ticket.id, actor_id=agent.id, text="您好,马上为您处理", now=answer
        )
        return ticket.id

    def _alerts(self, session: Session, ticket_id: int) -> list[str]:
        query = select(TimelineEntry.message).where(
            TimelineEntry.ticket_id == ticket_id, TimelineEntry.kind == "sla"
        )
        return list(session.scalars(query.order_by(TimelineEntry.id)))

    def test_warned_on_first_response_is_warned_again_near_the_resolution_deadline(
        self, session: Session
    ) -> None:
        ticket_id = self._alerted_then_answered(session, local(12, 10, 16), local(12, 10, 18))
        sla_scan(session, now=local(12, 18, 20).isoformat())
        assert self._alerts(session, ticket_id) == ["SLA 即将超时", "SLA 即将超时"]

    def test_breached_first_response_is_alerted_again_when_the_resolution_is_breached(
        self, session: Session
    ) -> None:
        ticket_id = self._alerted_then_answered(session, local(12, 10, 25), local(12, 10, 30))
        sla_scan(session, now=local(12, 21, 5).isoformat())
        assert self._alerts(session, ticket_id) == ["SLA 已超时", "SLA 已超时"]

    def test_queue_shows_the_running_clock_while_the_breach_stays_on_record(self, session: Session) -> None:
        ticket_id = self._alerted_then_answered(session, local(12, 10, 25), local(12, 10, 30))
        rows = session.execute(repository.queue(QueueFilter(), now=local(12, 10, 35))).all()
        ticket, state = next((t, state) for t, state in rows if t.id == ticket_id)
        assert (state, ticket.sla_breached, ticket.sla_alert_level) == (SlaState.OK, True, 0)


class TestCounts:
    def test_header_counts_match_the_row_states(self, session: Session) -> None:
        from aftersales.tickets.models import Ticket

        make_ticket(session, now=local(12, 9))
        make_ticket(session, now=local(12, 10, 10))
        paused = make_ticket(session, now=local(12, 10))
        service.transition(
            session, ticket_id=paused.id, to=TicketStatus.WAITING_CUSTOMER, actor_id=None, now=local(12, 10)
        )
        now = local(12, 10, 27)
        rows = session.execute(repository.queue(QueueFilter(), now=now)).all()
        expected: dict[str, int] = {}
        for _, state in rows:
            expected[state] = expected.get(state, 0) + 1
        counts = {k: v for k, v in repository.sla_counts(session, now=now).items() if v}
        assert counts == expected
        assert session.query(Ticket).count() == 3
