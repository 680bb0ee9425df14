from datetime import date
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy.orm import Session

from aftersales.analytics.association_analysis import associations
from aftersales.analytics.drill import drill
from aftersales.analytics.funnel import funnel
from aftersales.analytics.results import DataTable
from aftersales.analytics.scope import Scope
from aftersales.analytics.scorecards import scorecards
from aftersales.kit.errors import InvalidInputError
from tests.analytics.conftest import at
from tests.analytics.test_association_analysis import _parcels, _sku_tickets
from tests.builders import make_chat_row, make_qc_row, make_shop, make_user


def _follow(session: Session, link: str | None) -> int:
    """The number of rows behind a dashboard link, as its drill-down page counts them."""
    assert link is not None
    url = urlsplit(link)
    params = dict(parse_qsl(url.query))
    scope = Scope(date.fromisoformat(params.pop("start")), date.fromisoformat(params.pop("end")))
    return drill(session, kind=url.path.rsplit("/", 1)[1], scope=scope, filters=params)[3]


def _cell(table: DataTable, first: str, column: str) -> tuple[int, int]:
    return [r[0] for r in table.rows].index(first), table.columns.index(column)


class TestScorecardDrill:
    def test_an_agents_reception_count_opens_that_agents_chats(
        self, session: Session, peak_scope: Scope
    ) -> None:
        shop = make_shop(session)
        agent, other = make_user(session, display_name="小王"), make_user(session)
        for user, n in ((agent, 3), (other, 2)):
            for hour in range(n):
                make_chat_row(session, shop=shop, started_at=at(9 + hour), agent_id=user.id)
        table = scorecards(session, peak_scope).tables[0]
        assert _follow(session, table.link(*_cell(table, "小王", "接待量"))) == 3

    def test_an_agents_qc_score_opens_that_agents_qc_results(
        self, session: Session, peak_scope: Scope
    ) -> None:
        agent = make_user(session, display_name="小质")
        for score in (90, 70):
            make_qc_row(
                session, chat=make_chat_row(session, started_at=at(9), agent_id=agent.id), score=score
            )
        table = scorecards(session, peak_scope).tables[0]
        assert _follow(session, table.link(*_cell(table, "小质", "质检分"))) == 2


class TestFunnelDrill:
    def test_answered_count_opens_only_the_answered_chats(self, session: Session, peak_scope: Scope) -> None:
        shop = make_shop(session)
        for seconds in (10, None, 30):
            make_chat_row(session, shop=shop, started_at=at(9), first_response_seconds=seconds)
        table = funnel(session, peak_scope).tables[0]
        contacts, answered = table.columns.index("进线咨询"), table.columns.index("人工接待")
        assert (_follow(session, table.link(0, contacts)), _follow(session, table.link(0, answered))) == (
            3,
            2,
        )


class TestAssociationDrill:
    def test_crosstab_problem_count_opens_the_parcels_behind_it(
        self, session: Session, peak_scope: Scope
    ) -> None:
        _parcels(session)
        table = next(t for t in associations(session, peak_scope).tables if t.key == "crosstab")
        r = next(n for n, row in enumerate(table.rows) if row[:3] == ["快递", "圆通", "物流延误"])
        assert _follow(session, table.link(r, 4)) == table.rows[r][4] == 30

    def test_sku_category_count_opens_the_tickets_of_that_sku(
        self, session: Session, peak_scope: Scope
    ) -> None:
        _sku_tickets(session)
        table = next(t for t in associations(session, peak_scope).tables if t.key == "ticket_crosstab")
        r = next(n for n, row in enumerate(table.rows) if row[:3] == ["商品", "电热毯-A", "商品问题"])
        assert _follow(session, table.link(r, 4)) == 30


class TestDrillFilters:
    def test_agent_id_must_be_a_number(self, session: Session, peak_scope: Scope) -> None:
        with pytest.raises(InvalidInputError, match="agent_id"):
            drill(session, kind="chats", scope=peak_scope, filters={"agent_id": "x"})
