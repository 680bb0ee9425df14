"""The cross-domain contract other packages build on (docs/contracts.md, tickets section)."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.kit.events import subscribe
from aftersales.messaging.models import OutboxMessage
from aftersales.tickets import service
from aftersales.tickets.errors import UnknownCategoryError
from aftersales.tickets.events import TicketCreated, TicketResolved
from aftersales.tickets.models import TicketGroup, TicketStatus, TimelineEntry
from tests.builders import make_order, make_shop, make_user
from tests.builders.tickets import make_bot, make_ticket


def _open(session: Session, shop_id: int, **overrides: object) -> tuple[object, bool]:
    fields: dict[str, object] = {
        "source": "logistics",
        "source_key": "anomaly:1:stalled",
        "shop_id": shop_id,
        "type": "consultation",
        "category": "物流问题",
        "subcategory": "物流停滞",
        "title": "物流停滞 48 小时",
        "description": "中转站停滞",
        **overrides,
    }
    return service.open_system_ticket(session, **fields)  # type: ignore[arg-type]


class TestOpenSystemTicket:
    def test_first_call_creates_a_new_ticket_in_the_aftersales_group(self, session: Session) -> None:
        ticket, created = _open(session, make_shop(session).id)
        group = session.get(TicketGroup, ticket.group_id)  # type: ignore[attr-defined]
        assert (created, ticket.status, group.code) == (True, TicketStatus.NEW, "aftersales")  # type: ignore

    def test_rejects_a_subcategory_outside_the_taxonomy(self, session: Session) -> None:
        with pytest.raises(UnknownCategoryError) as refused:
            _open(session, make_shop(session).id, subcategory="不存在")
        assert refused.value.field == "subcategory"

    def test_repeat_returns_the_same_ticket_without_a_duplicate(self, session: Session) -> None:
        shop = make_shop(session)
        first, _ = _open(session, shop.id)
        again, created = _open(session, shop.id)
        assert (again.id, created) == (first.id, False)  # type: ignore[attr-defined]

    def test_repeat_with_a_new_description_notes_it_on_the_timeline(self, session: Session) -> None:
        shop = make_shop(session)
        first, _ = _open(session, shop.id)
        _open(session, shop.id, description="已停滞 72 小时")
        kinds = session.scalars(select(TimelineEntry.kind).where(TimelineEntry.ticket_id == first.id))  # type: ignore
        assert list(kinds) == ["created", "system"]

    def test_explicit_group_code_is_honoured(self, session: Session) -> None:
        ticket, _ = _open(session, make_shop(session).id, group_code="logistics")
        assert session.get(TicketGroup, ticket.group_id).code == "logistics"  # type: ignore

    def test_order_supplies_customer(self, session: Session) -> None:
        order = make_order(session)
        ticket, _ = _open(session, order.shop_id, order_id=order.id)
        assert ticket.customer_id == order.customer_id  # type: ignore[attr-defined]


class TestEvents:
    def test_created_and_resolved_events_carry_the_ticket_id(self, session: Session) -> None:
        seen: list[tuple[str, int]] = []

        @subscribe(TicketCreated)
        @subscribe(TicketResolved)
        def _record(_: Session, event: TicketCreated | TicketResolved) -> None:
            seen.append((type(event).__name__, event.ticket_id))

        ticket = make_ticket(session)
        service.transition(session, ticket_id=ticket.id, to="resolved", actor_id=None)
        assert [s for s in seen if s[1] == ticket.id] == [
            ("TicketCreated", ticket.id),
            ("TicketResolved", ticket.id),
        ]


class TestNotifyGroup:
    def test_queues_one_message_per_bot_of_the_group(self, session: Session) -> None:
        make_bot(session, group_code="warehouse", channel="wecom")
        make_bot(session, group_code="warehouse", channel="dingtalk", secret="SECabc")
        count = service.notify_group(
            session, group_code="warehouse", text="仓库请核查", idempotency_key="k:1"
        )
        channels = sorted(m.channel for m in session.scalars(select(OutboxMessage)))
        assert (count, channels) == (2, ["dingtalk", "wecom"])

    def test_same_key_twice_queues_nothing_new(self, session: Session) -> None:
        make_bot(session, group_code="design")
        for _ in range(2):
            service.notify_group(session, group_code="design", text="x", idempotency_key="k:2")
        assert len(list(session.scalars(select(OutboxMessage)))) == 1


class TestRecordRating:
    def test_rating_is_stored_on_the_ticket_and_timeline(self, session: Session) -> None:
        ticket = make_ticket(session)
        service.record_rating(session, ticket_id=ticket.id, stars=4, comment="处理很快")
        entry = session.scalars(select(TimelineEntry).where(TimelineEntry.kind == "rating")).one()
        assert (ticket.rating_stars, ticket.rating_comment, entry.data["stars"]) == (4, "处理很快", 4)

    def test_out_of_range_stars_are_refused(self, session: Session) -> None:
        import pytest

        from aftersales.kit.errors import InvalidInputError

        ticket = make_ticket(session)
        with pytest.raises(InvalidInputError, match="stars"):
            service.record_rating(session, ticket_id=ticket.id, stars=6)


class TestDefaults:
    def test_default_groups_exist_after_migration(self, session: Session) -> None:
        codes = set(session.scalars(select(TicketGroup.code)))
        assert {
            "aftersales",
            "vip",
            "supervisors",
            "logistics",
            "product",
            "operations",
            "warehouse",
            "design",
        } <= codes

    def test_ensure_defaults_is_idempotent(self, session: Session) -> None:
        assert service.ensure_defaults(session) == 0


class TestBadInput:
    def test_unknown_type_names_the_field(self, session: Session) -> None:
        import pytest

        from aftersales.kit.errors import InvalidInputError

        with pytest.raises(InvalidInputError, match="^type:"):
            _open(session, make_shop(session).id, type="warranty")


class TestUpdateFields:
    def test_rejects_a_category_outside_the_taxonomy(self, session: Session) -> None:
        ticket = make_ticket(session)
        with pytest.raises(UnknownCategoryError) as refused:
            service.update_fields(
                session, ticket_id=ticket.id, actor_id=make_user(session).id, category="不存在"
            )
        assert refused.value.field == "category"
