"""Handoff at shift end: unresolved tickets of the shift go to the next shift with the last note."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.kit.time import SHANGHAI
from aftersales.tickets import repository, service
from aftersales.tickets.jobs import shift_handoff
from aftersales.tickets.models import Handoff, Shift, Ticket, TicketStatus
from aftersales.tickets.repository import QueueFilter
from aftersales.tickets.shifts import handoff as handoffs
from aftersales.tickets.shifts import repository as shift_repository
from aftersales.tickets.shifts import service as shifts
from tests.builders import make_user
from tests.builders.tickets import make_ticket


def local(hour: int, minute: int = 0, day: int = 12) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


def shift(session: Session, code: str) -> Shift:
    return session.scalars(select(Shift).where(Shift.code == code)).one()


def rostered(session: Session, code: str, name: str):  # type: ignore[no-untyped-def]
    user = make_user(session, display_name=name)
    shifts.set_roster(session, user_id=user.id, shift_id=shift(session, code).id)
    return user


class TestNextShift:
    def test_default_shifts_hand_over_in_order(self, session: Session) -> None:
        all_shifts = shift_repository.all_shifts(session)
        pairs = {s.code: shifts.next_shift(all_shifts, s).code for s in all_shifts}  # type: ignore[union-attr]
        assert pairs == {"morning": "evening", "middle": "evening", "evening": "morning"}


class TestHandoffAtShiftEnd:
    def test_unresolved_ticket_goes_to_the_next_shifts_agent_with_the_last_note(
        self, session: Session
    ) -> None:
        early, late = rostered(session, "morning", "早班"), rostered(session, "evening", "晚班")
        ticket = make_ticket(session, assignee_id=early.id, now=local(10))
        service.add_comment(
            session, ticket_id=ticket.id, actor_id=early.id, text="已联系仓库核实,等回复", internal=True
        )
        shift_handoff(session, now=local(16, 2).isoformat())
        handoff = session.scalars(select(Handoff).where(Handoff.ticket_id == ticket.id)).one()
        session.refresh(ticket)
        assert (handoff.from_user_id, handoff.to_user_id, handoff.last_note) == (
            early.id,
            late.id,
            "已联系仓库核实,等回复",
        )
        assert (ticket.assignee_id, ticket.shift_id) == (late.id, shift(session, "evening").id)

    def test_second_handoff_without_a_new_note_keeps_the_agents_note(self, session: Session) -> None:
        early = rostered(session, "morning", "早班")
        rostered(session, "evening", "晚班")
        ticket = make_ticket(session, assignee_id=early.id, now=local(10))
        service.add_comment(session, ticket_id=ticket.id, actor_id=early.id, text="等仓库回复", internal=True)
        shift_handoff(session, now=local(16, 2).isoformat())
        shift_handoff(session, now=local(0, 2, day=13).isoformat())
        notes = session.scalars(
            select(Handoff.last_note).where(Handoff.ticket_id == ticket.id).order_by(Handoff.id)
        )
        assert list(notes) == ["等仓库回复", "等仓库回复"]

    def test_resolved_tickets_are_not_handed_over(self, session: Session) -> None:
        early = rostered(session, "morning", "早班")
        rostered(session, "evening", "晚班")
        ticket = make_ticket(session, assignee_id=early.id, now=local(10))
        service.transition(session, ticket_id=ticket.id, to=TicketStatus.RESOLVED, actor_id=early.id)
        shift_handoff(session, now=local(16, 2).isoformat())
        assert session.scalars(select(Handoff).where(Handoff.ticket_id == ticket.id)).all() == []

    def test_running_the_same_shift_end_twice_registers_once(self, session: Session) -> None:
        early = rostered(session, "morning", "早班")
        rostered(session, "evening", "晚班")
        ticket = make_ticket(session, assignee_id=early.id, now=local(10))
        for minute in (1, 6):
            shift_handoff(session, now=local(16, minute).isoformat())
        assert len(session.scalars(select(Handoff).where(Handoff.ticket_id == ticket.id)).all()) == 1

    def test_next_shift_sees_handed_to_me_first(self, session: Session) -> None:
        early, late = rostered(session, "morning", "早班"), rostered(session, "evening", "晚班")
        ticket = make_ticket(session, assignee_id=early.id, now=local(10))
        shift_handoff(session, now=local(16, 2).isoformat())
        mine = session.execute(repository.queue(QueueFilter(handed_to=late.id), now=local(16, 3))).all()
        pending = repository.pending_handoffs(session, user_id=late.id)
        assert [t.id for t, _ in mine] == [ticket.id]
        assert [h.ticket_id for h in pending] == [ticket.id]

    def test_acknowledging_removes_it_from_handed_to_me(self, session: Session) -> None:
        early, late = rostered(session, "morning", "早班"), rostered(session, "evening", "晚班")
        make_ticket(session, assignee_id=early.id, now=local(10))
        shift_handoff(session, now=local(16, 2).isoformat())
        handoff = repository.pending_handoffs(session, user_id=late.id)[0]
        handoffs.acknowledge(session, handoff_id=handoff.id, user_id=late.id)
        assert repository.pending_handoffs(session, user_id=late.id) == []

    def test_several_agents_on_the_next_shift_share_the_tickets(self, session: Session) -> None:
        early = rostered(session, "morning", "早班")
        late = {rostered(session, "evening", "晚班A").id, rostered(session, "evening", "晚班B").id}
        tickets = [make_ticket(session, assignee_id=early.id, now=local(10)) for _ in range(4)]
        shift_handoff(session, now=local(16, 2).isoformat())
        receivers = set(
            session.scalars(select(Ticket.assignee_id).where(Ticket.id.in_([t.id for t in tickets])))
        )
        assert receivers == late

    def test_ticket_without_roster_belongs_to_the_shift_on_duty(self, session: Session) -> None:
        ticket = make_ticket(session, now=local(17))
        assert ticket.shift_id == shift(session, "evening").id


class TestFollowUp:
    def test_follow_up_due_filter_finds_scheduled_tickets(self, session: Session) -> None:
        ticket = make_ticket(session, now=local(10))
        service.schedule_follow_up(
            session,
            ticket_id=ticket.id,
            actor_id=make_user(session).id,
            at=local(10, day=13),
            note="隔日跟进",
        )
        due_before = session.execute(
            repository.queue(QueueFilter(follow_up_due=True), now=local(9, day=13))
        ).all()
        due_after = session.execute(
            repository.queue(QueueFilter(follow_up_due=True), now=local(11, day=13))
        ).all()
        assert ticket.id not in {t.id for t, _ in due_before}
        assert ticket.id in {t.id for t, _ in due_after}
