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
from aftersales.auth.models import User
from aftersales.catalog.models import Platform
from aftersales.kit.errors import InvalidInputError
from aftersales.tickets.service import group_by_code
from tests.analytics.conftest import at
from tests.analytics.test_association_analysis import _parcels, _sku_tickets
from tests.builders import (
    make_chat_row,
    make_invitation_row,
    make_qc_row,
    make_shop,
    make_ticket_row,
    make_user,
)


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


def _works_in(session: Session, agent: User, group_code: str) -> None:
    """One ticket before the scope, so the agent counts under that group (dimensions.agent_groups)."""
    group = group_by_code(session, group_code)
    make_ticket_row(session, created_at=at(8, day=1), assignee_id=agent.id, group_id=group.id)


class TestShopGroupPlatformDrill:
    def test_a_shops_reception_count_opens_that_shops_chats(
        self, session: Session, peak_scope: Scope
    ) -> None:
        flagship, outlet = make_shop(session, name="旗舰店"), make_shop(session, name="奥莱店")
        for shop, n in ((flagship, 3), (outlet, 2)):
            for hour in range(n):
                make_chat_row(session, shop=shop, started_at=at(9 + hour))
        table = scorecards(session, peak_scope, level="shop").tables[0]
        assert _follow(session, table.link(*_cell(table, "旗舰店", "接待量"))) == 3

    def test_a_shops_ticket_count_opens_that_shops_tickets(self, session: Session, peak_scope: Scope) -> None:
        flagship, outlet = make_shop(session, name="旗舰店"), make_shop(session, name="奥莱店")
        for shop, n in ((flagship, 1), (outlet, 4)):
            for hour in range(n):
                make_ticket_row(session, shop=shop, created_at=at(9 + hour))
        table = scorecards(session, peak_scope, level="shop").tables[0]
        assert _follow(session, table.link(*_cell(table, "奥莱店", "工单量"))) == 4

    def test_a_groups_ticket_count_opens_the_tickets_of_that_group(
        self, session: Session, peak_scope: Scope
    ) -> None:
        for code, n in (("vip", 2), ("aftersales", 3)):
            for hour in range(n):
                make_ticket_row(session, created_at=at(9 + hour), group_id=group_by_code(session, code).id)
        table = scorecards(session, peak_scope, level="group").tables[0]
        assert _follow(session, table.link(*_cell(table, "VIP组", "工单量"))) == 2

    def test_a_groups_reception_count_opens_the_chats_of_the_agents_working_in_it(
        self, session: Session, peak_scope: Scope
    ) -> None:
        vip, other = make_user(session), make_user(session)
        _works_in(session, vip, "vip")
        _works_in(session, other, "aftersales")
        for user, n in ((vip, 2), (other, 1)):
            for hour in range(n):
                make_chat_row(session, started_at=at(9 + hour), agent_id=user.id)
        table = scorecards(session, peak_scope, level="group").tables[0]
        assert _follow(session, table.link(*_cell(table, "VIP组", "接待量"))) == 2

    def test_a_groups_invite_rate_opens_the_invitations_of_that_group(
        self, session: Session, peak_scope: Scope
    ) -> None:
        for code, n in (("vip", 3), ("aftersales", 1)):
            for hour in range(n):
                make_invitation_row(
                    session, eligible_at=at(9 + hour), group_code=code, invited_at=at(9 + hour)
                )
        table = scorecards(session, peak_scope, level="group").tables[0]
        assert _follow(session, table.link(*_cell(table, "VIP组", "邀评率"))) == 3

    def test_a_platforms_reception_count_opens_the_chats_of_its_shops(
        self, session: Session, peak_scope: Scope
    ) -> None:
        tmall, jd = make_shop(session, platform=Platform.TMALL), make_shop(session, platform=Platform.JD)
        for shop, n in ((tmall, 1), (jd, 2)):
            for hour in range(n):
                make_chat_row(session, shop=shop, started_at=at(9 + hour))
        table = scorecards(session, peak_scope, level="platform").tables[0]
        assert _follow(session, table.link(*_cell(table, "jd", "接待量"))) == 2

    def test_a_platforms_qc_score_opens_the_qc_results_of_its_shops(
        self, session: Session, peak_scope: Scope
    ) -> None:
        tmall, jd = make_shop(session, platform=Platform.TMALL), make_shop(session, platform=Platform.JD)
        for shop, scores in ((tmall, (90, 80, 70)), (jd, (60,))):
            for score in scores:
                make_qc_row(session, chat=make_chat_row(session, shop=shop, started_at=at(9)), score=score)
        table = scorecards(session, peak_scope, level="platform").tables[0]
        assert _follow(session, table.link(*_cell(table, "tmall", "质检分"))) == 3

    def test_unassigned_chats_have_no_group_link(self, session: Session, peak_scope: Scope) -> None:
        make_chat_row(session, started_at=at(9), agent_id=make_user(session).id)
        table = scorecards(session, peak_scope, level="group").tables[0]
        assert table.link(*_cell(table, "未分配", "接待量")) is None


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

    def test_group_id_must_be_a_number(self, session: Session, peak_scope: Scope) -> None:
        with pytest.raises(InvalidInputError, match="group_id"):
            drill(session, kind="tickets", scope=peak_scope, filters={"group_id": "vip"})

    def test_an_unknown_platform_is_rejected(self, session: Session, peak_scope: Scope) -> None:
        with pytest.raises(InvalidInputError, match="shop_platform"):
            drill(session, kind="chats", scope=peak_scope, filters={"shop_platform": "ebay"})


class TestDrillCells:
    def test_ticket_rows_show_type_and_status_in_words(self, session: Session, peak_scope: Scope) -> None:
        make_ticket_row(session, created_at=at(9), type="reshipment", status="resolved")
        _title, _columns, rows, _total = drill(session, kind="tickets", scope=peak_scope)
        assert rows[0][1][2:4] == ["补发", "已解决"]

    def test_an_agents_drill_title_names_the_agent(self, session: Session, peak_scope: Scope) -> None:
        agent = make_user(session, display_name="小王")
        make_chat_row(session, started_at=at(9), agent_id=agent.id)
        title, _columns, _rows, _total = drill(
            session, kind="chats", scope=peak_scope, filters={"agent_id": str(agent.id)}
        )
        assert title == "会话明细 · 客服 小王"

    def test_missing_values_show_a_dash_and_flags_show_yes_or_no(
        self, session: Session, peak_scope: Scope
    ) -> None:
        chat = make_chat_row(session, started_at=at(9), handling="bot_only", first_response_seconds=None)
        make_qc_row(session, chat=chat, score=90, passed=True)
        _t, _c, chats, _n = drill(session, kind="chats", scope=peak_scope)
        _t, _c, results, _n = drill(session, kind="qc_results", scope=peak_scope)
        assert chats[0][1][1:3] == ["纯机器人", "—"]
        assert results[0][1][2] == "是"
