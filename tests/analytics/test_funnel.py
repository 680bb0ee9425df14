from urllib.parse import urlencode

from sqlalchemy.orm import Session

from aftersales.analytics.funnel import drop_findings, funnel
from aftersales.analytics.scope import Scope
from tests.analytics.conftest import at
from tests.builders import make_chat_row, make_shop, make_ticket_row, make_user


def _crafted(session: Session) -> None:
    """4 chats (3 answered); 3 tickets: solved same day and rated 5, solved next day rated 2, open."""
    shop = make_shop(session)
    for n, answered in enumerate([True, True, True, False]):
        make_chat_row(
            session, shop=shop, started_at=at(10 + n), first_response_seconds=15 if answered else None
        )
    make_ticket_row(session, shop=shop, created_at=at(9), resolved_at=at(15), rating_stars=5)
    make_ticket_row(session, shop=shop, created_at=at(11), resolved_at=at(10, day=12), rating_stars=2)
    make_ticket_row(session, shop=shop, created_at=at(12))


class TestFunnel:
    def test_each_step_counts_what_it_should(self, session: Session, peak_scope: Scope) -> None:
        _crafted(session)
        result = funnel(session, peak_scope)
        assert result.data["steps"] == {
            "contacts": 4,
            "answered": 3,
            "tickets": 3,
            "resolved_first": 1,
            "resolved_later": 1,
            "rated": 2,
            "satisfied": 1,
        }

    def test_row_shows_first_contact_resolution_and_satisfaction_rates(
        self, session: Session, peak_scope: Scope
    ) -> None:
        _crafted(session)
        row = funnel(session, peak_scope).tables[0].rows[0]
        assert row[-2:] == ["50.0%", "50.0%"]

    def test_reopened_ticket_is_not_a_first_contact_resolution(
        self, session: Session, peak_scope: Scope
    ) -> None:
        make_ticket_row(session, created_at=at(9), resolved_at=at(15), reopened_count=1)
        steps = funnel(session, peak_scope).data["steps"]
        assert (steps["resolved_first"], steps["resolved_later"]) == (0, 1)

    def test_rows_outside_the_shanghai_day_are_left_out(self, session: Session, peak_scope: Scope) -> None:
        make_ticket_row(session, created_at=at(23, 59, day=10))
        make_ticket_row(session, created_at=at(0, 1))
        assert funnel(session, peak_scope).data["steps"]["tickets"] == 1

    def test_breakdown_by_agent_gives_one_row_per_assignee(self, session: Session, peak_scope: Scope) -> None:
        wang, li = make_user(session, display_name="小王"), make_user(session, display_name="小李")
        make_ticket_row(session, created_at=at(9), assignee_id=wang.id)
        make_ticket_row(session, created_at=at(10), assignee_id=wang.id)
        make_ticket_row(session, created_at=at(11), assignee_id=li.id)
        rows = {r[0]: r[3] for r in funnel(session, peak_scope, by="agent").tables[0].rows}
        assert rows == {"小李": 1, "小王": 2}

    def test_breakdown_by_category_says_chats_cannot_be_split(
        self, session: Session, peak_scope: Scope
    ) -> None:
        make_chat_row(session, started_at=at(10))
        result = funnel(session, peak_scope, by="category")
        assert any("无法按问题分类拆分" in m for m in result.missing)

    def test_ticket_count_links_to_the_tickets_of_that_category(
        self, session: Session, peak_scope: Scope
    ) -> None:
        make_ticket_row(session, created_at=at(9), category="物流问题")
        table = funnel(session, peak_scope, by="category").tables[0]
        link = table.link(0, table.columns.index("生成工单"))
        assert link == "/console/analytics/drill/tickets?" + urlencode(
            {"start": "2026-11-11", "end": "2026-11-11", "category": "物流问题"}
        )


class TestDropFindings:
    def test_names_the_stage_with_the_largest_loss(self) -> None:
        totals = {
            "contacts": 100,
            "answered": 90,
            "tickets": 40,
            "resolved_first": 20,
            "resolved_later": 10,
            "rated": 6,
            "satisfied": 5,
        }
        assert drop_findings(totals) == ["流失最大的环节:已解决 → 已评价,流失 80%"]

    def test_no_data_gives_no_finding(self) -> None:
        assert drop_findings({}) == []
