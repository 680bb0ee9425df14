"""隔日跟进: when a follow-up comes due the ticket rises to the top of its queue and the assignee
is told on the timeline, once; a reply puts it back in deadline order."""

from datetime import datetime

import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.kit.time import SHANGHAI, utcnow
from aftersales.tickets import repository, service
from aftersales.tickets.jobs import follow_up_due
from aftersales.tickets.models import Ticket, TimelineEntry
from aftersales.tickets.repository import QueueFilter
from tests.builders.auth import make_user
from tests.builders.tickets import make_ticket


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


def queue_ids(session: Session, tickets: list[Ticket]) -> list[int]:
    wanted = {t.id for t in tickets}
    rows = session.execute(repository.queue(QueueFilter(), now=utcnow())).all()
    return [t.id for t, _ in rows if t.id in wanted]


def scheduled(session: Session) -> tuple[Ticket, Ticket, int]:
    """An early ticket (earlier deadline) and a later one with a follow-up at 09:30 the next day."""
    agent = make_user(session)
    early = make_ticket(session, now=local(12, 10), assignee_id=agent.id)
    later = make_ticket(session, now=local(12, 11), assignee_id=agent.id)
    service.schedule_follow_up(
        session, ticket_id=later.id, actor_id=agent.id, at=local(13, 9, 30), note="回访"
    )
    return early, later, agent.id


def due_notes(session: Session, ticket_id: int) -> list[str]:
    query = select(TimelineEntry.message).where(
        TimelineEntry.ticket_id == ticket_id, TimelineEntry.kind == "follow_up_due"
    )
    return list(session.scalars(query))


class TestFollowUpDue:
    def test_before_it_is_due_the_ticket_keeps_its_deadline_order(self, session: Session) -> None:
        early, later, _ = scheduled(session)
        with time_machine.travel(local(13, 9), tick=False):
            follow_up_due(session)
            assert queue_ids(session, [early, later]) == [early.id, later.id]

    def test_when_due_the_ticket_rises_to_the_top_of_the_queue(self, session: Session) -> None:
        early, later, _ = scheduled(session)
        with time_machine.travel(local(13, 9, 31), tick=False):
            follow_up_due(session)
            assert queue_ids(session, [early, later]) == [later.id, early.id]

    def test_the_assignee_is_told_once_on_the_timeline(self, session: Session) -> None:
        _, later, _ = scheduled(session)
        for minute in (31, 32):
            with time_machine.travel(local(13, 9, minute), tick=False):
                follow_up_due(session)
        assert due_notes(session, later.id) == ["预约跟进已到期,请处理人跟进:回访"]

    def test_a_reply_puts_the_ticket_back_in_deadline_order(self, session: Session) -> None:
        early, later, agent_id = scheduled(session)
        with time_machine.travel(local(13, 9, 31), tick=False):
            follow_up_due(session)
            service.add_comment(session, ticket_id=later.id, actor_id=agent_id, text="您好,回访一下")
            assert queue_ids(session, [early, later]) == [early.id, later.id]
