"""Every allowed and every forbidden transition of the status machine."""

import itertools

import pytest
from sqlalchemy.orm import Session

from aftersales.tickets import service
from aftersales.tickets.errors import InvalidTransitionError
from aftersales.tickets.models import Ticket, TicketStatus
from tests.builders import make_user
from tests.builders.tickets import make_ticket

S = TicketStatus
ALLOWED = {
    (S.NEW, S.IN_PROGRESS),
    (S.NEW, S.WAITING_CUSTOMER),
    (S.NEW, S.WAITING_INTERNAL),
    (S.NEW, S.RESOLVED),
    (S.IN_PROGRESS, S.WAITING_CUSTOMER),
    (S.IN_PROGRESS, S.WAITING_INTERNAL),
    (S.IN_PROGRESS, S.RESOLVED),
    (S.WAITING_CUSTOMER, S.IN_PROGRESS),
    (S.WAITING_CUSTOMER, S.RESOLVED),
    (S.WAITING_INTERNAL, S.IN_PROGRESS),
    (S.WAITING_INTERNAL, S.RESOLVED),
    (S.RESOLVED, S.CLOSED),
    (S.RESOLVED, S.IN_PROGRESS),
    (S.CLOSED, S.IN_PROGRESS),
}
PAIRS = list(itertools.product(S, S))
# How to reach each status from new through allowed moves.
PATH = {
    S.NEW: [],
    S.IN_PROGRESS: [S.IN_PROGRESS],
    S.WAITING_CUSTOMER: [S.WAITING_CUSTOMER],
    S.WAITING_INTERNAL: [S.WAITING_INTERNAL],
    S.RESOLVED: [S.RESOLVED],
    S.CLOSED: [S.RESOLVED, S.CLOSED],
}


def ticket_in(session: Session, status: TicketStatus) -> Ticket:
    ticket = make_ticket(session)
    for step in PATH[status]:
        service.transition(session, ticket_id=ticket.id, to=step, actor_id=None)
    assert ticket.status == status
    return ticket


def test_the_table_under_test_is_the_services_table() -> None:
    assert {(a, b) for a, targets in service.TRANSITIONS.items() for b in targets} == ALLOWED


@pytest.mark.parametrize(("start", "target"), sorted(ALLOWED), ids=lambda s: str(s))
def test_allowed_transition_changes_the_status(session: Session, start: S, target: S) -> None:
    ticket = ticket_in(session, start)
    service.transition(session, ticket_id=ticket.id, to=target, actor_id=None)
    assert ticket.status == target


@pytest.mark.parametrize(
    ("start", "target"), sorted(p for p in PAIRS if p not in ALLOWED), ids=lambda s: str(s)
)
def test_forbidden_transition_is_refused_and_leaves_the_ticket_as_it_was(
    session: Session, start: S, target: S
) -> None:
    ticket = ticket_in(session, start)
    with pytest.raises(InvalidTransitionError, match=f"「{start.label}」变为「{target.label}」"):
        service.transition(session, ticket_id=ticket.id, to=target, actor_id=None)
    assert ticket.status == start


class TestSideEffects:
    def test_transition_is_recorded_on_the_timeline_with_old_and_new(self, session: Session) -> None:
        ticket = make_ticket(session)
        agent = make_user(session)
        entry_count = len(service_timeline(session, ticket.id))
        service.transition(session, ticket_id=ticket.id, to=S.IN_PROGRESS, actor_id=agent.id)
        entries = service_timeline(session, ticket.id)
        assert len(entries) == entry_count + 1
        assert (entries[-1].actor_id, entries[-1].data["old"], entries[-1].data["new"]) == (
            agent.id,
            "new",
            "in_progress",
        )

    def test_reopen_counts_and_clears_the_resolution_time(self, session: Session) -> None:
        ticket = ticket_in(session, S.CLOSED)
        service.transition(session, ticket_id=ticket.id, to=S.IN_PROGRESS, actor_id=None)
        assert (ticket.reopened_count, ticket.resolved_at, ticket.closed_at) == (1, None, None)

    def test_an_agents_first_move_counts_as_the_first_response(self, session: Session) -> None:
        ticket = make_ticket(session)
        service.transition(session, ticket_id=ticket.id, to=S.IN_PROGRESS, actor_id=make_user(session).id)
        assert ticket.first_responded_at is not None


def service_timeline(session: Session, ticket_id: int) -> list:  # type: ignore[type-arg]
    from aftersales.tickets.repository import timeline

    return timeline(session, ticket_id)
