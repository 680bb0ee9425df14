"""The cached ticket configuration: read once per change, never stale after a commit or rollback."""

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from aftersales.catalog.models import Shop
from aftersales.tickets.config import snapshot
from aftersales.tickets.models import RoutingRule, Shift, TaxonomyNode, TicketGroup
from tests.builders import make_shop
from tests.builders.tickets import make_rule, make_ticket
from tests.databases import statements


def group_code(session: Session, group_id: int | None) -> str:
    return session.scalars(select(TicketGroup.code).where(TicketGroup.id == group_id)).one()


def test_a_second_ticket_reads_no_configuration_tables(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        shop = make_shop(session)
        make_ticket(session, shop=shop)
        session.commit()
    with session_factory() as session, statements(session) as seen:
        make_ticket(session, shop=session.get_one(Shop, shop.id))
    configuration = ("ticket_routing_rules", "ticket_sla_policies", "ticket_shifts", "ticket_groups")
    assert [s for s in seen if any(f"FROM {table}" in s for table in configuration)] == []


def test_a_rule_committed_by_another_session_routes_the_next_ticket(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as session:
        make_ticket(session)
        session.commit()
    with session_factory() as other:
        make_rule(other, conditions={"types": ["complaint"]}, set_group_code="supervisors")
        other.commit()
    with session_factory() as session:
        ticket = make_ticket(session, type="complaint")
        assert group_code(session, ticket.group_id) == "supervisors"


def test_a_rule_rolled_back_is_not_applied_afterwards(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        make_rule(session, conditions={"types": ["complaint"]}, set_group_code="supervisors")
        assert group_code(session, make_ticket(session, type="complaint").group_id) == "supervisors"
        session.rollback()
    with session_factory() as session:
        ticket = make_ticket(session, type="complaint")
        assert group_code(session, ticket.group_id) == "aftersales"


def test_a_rule_changed_within_the_transaction_applies_at_once(session: Session) -> None:
    rule = make_rule(session, conditions={"types": ["complaint"]}, set_group_code="supervisors")
    make_ticket(session, type="complaint")
    session.get_one(RoutingRule, rule.id).set_group_code = "vip"
    session.flush()
    assert group_code(session, make_ticket(session, type="complaint").group_id) == "vip"


def test_the_configuration_is_read_once_per_transaction(session: Session) -> None:
    assert snapshot.current(session) is snapshot.current(session)


class TestCachedEqualsFresh:
    """``snapshot.current`` is a speed trick over ``snapshot.read_fresh``: always the same values."""

    def test_after_committed_changes_of_every_kind(self, session_factory: sessionmaker[Session]) -> None:
        with session_factory() as session:
            snapshot.current(session)  # warm the cache
            session.commit()
        with session_factory() as session:
            make_rule(session, conditions={"types": ["complaint"]}, set_group_code="supervisors")
            make_shop(session)
            session.get_one(Shift, shift_id(session, "morning")).start_minute = 7 * 60
            session.add(TaxonomyNode(parent_id=None, level=1, name="新分类", path="新分类", position=9))
            session.commit()
        with session_factory() as session:
            assert snapshot.current(session).values() == snapshot.read_fresh(session).values()

    def test_within_a_transaction_that_changed_them(self, session: Session) -> None:
        snapshot.current(session)
        make_rule(session, conditions={"types": ["complaint"]}, set_group_code="vip")
        session.get_one(Shift, shift_id(session, "evening")).end_minute = 23 * 60
        session.flush()
        assert snapshot.current(session).values() == snapshot.read_fresh(session).values()


def shift_id(session: Session, code: str) -> int:
    return session.scalars(select(Shift.id).where(Shift.code == code)).one()
