import io

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy.orm import Session

from aftersales.analytics.report.exports import to_excel, to_pdf
from aftersales.analytics.report.service import Report, build_report, forecast_vs_actual, ticket_types
from aftersales.analytics.scope import Scope
from aftersales.conversations.models import ChatSession
from aftersales.tickets.models import FeedbackItem
from tests.analytics.conftest import at
from tests.builders import make_chat_row, make_order, make_shipment, make_shop, make_ticket_row

SECTION_TITLES = [
    "接待概况(机器人 vs 人工)",
    "转化分析",
    "漏斗分析",
    "趋势分析",
    "质检复盘",
    "客服服务能力复盘(质检得分与合格率)",
    "客服服务场景复盘(TOP 质检项)",
    "高危风险项分析",
    "顾客情绪分析",
    "协同部门质检点分析",
    "告警项分析",
    "工单类型与跨部门问题",
    "投诉工单分析",
    "关联分析",
    "VOC 客户之声",
    "告警与完成情况",
    "满意度与考核目标(按店铺)",
    "满意度目标达成情况",
    "系统邀评与自主评价(按客服)",
    "满意度问卷结果(按问题)",
    "高频不满意会话场景",
    "预测与实际(范围前拟合)",
    "咨询量预测与排班",
]


@pytest.fixture
def report(session: Session, peak_scope: Scope) -> Report:
    shop = make_shop(session)
    order = make_order(session, shop=shop, ordered_at=at(1))
    make_shipment(session, order=order, shipped_at=at(9))
    make_chat_row(
        session, shop=shop, started_at=at(0, 30), handling="bot_only", customer_id=order.customer_id
    )
    make_chat_row(session, shop=shop, started_at=at(10), handling="human", first_response_seconds=12)
    make_ticket_row(
        session, shop=shop, order_id=order.id, created_at=at(11), type="complaint", category="物流问题"
    )
    return build_report(session, peak_scope)


class TestReport:
    def test_report_has_every_section_in_order(self, report: Report) -> None:
        assert [s.title for s in report.sections] == SECTION_TITLES

    def test_reception_overview_splits_bot_and_human(self, report: Report) -> None:
        rows = report.sections[0].tables[0].rows
        assert sorted((r[0], r[1]) for r in rows) == [("人工接待", 1), ("纯机器人接待", 1)]

    def test_inquiry_conversion_counts_buyers_who_ordered(self, report: Report) -> None:
        assert report.sections[1].tables[0].rows[0] == ["询单转化率", 1, 1, "100.0%"]

    def test_complaint_share_per_category(self, report: Report) -> None:
        departments = next(t for t in report.sections[11].tables if t.key == "departments")
        assert departments.rows == [["物流", 1, "100.0%", 1, "100.0%"]]

    def test_short_history_is_reported_missing_not_raised(self, report: Report) -> None:
        assert any("预测需要更长的历史" in m for m in report.sections[-1].missing)


class TestExports:
    def test_pdf_renders_with_every_section_title(self, report: Report) -> None:
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(to_pdf(report))).pages)
        missing = [title for title in SECTION_TITLES if title not in text]
        assert missing == []

    def test_pdf_contains_the_charts_as_vector_drawings(self, report: Report) -> None:
        assert "<svg" in "".join(svg for s in report.sections for svg in s.charts)
        assert to_pdf(report).startswith(b"%PDF")

    def test_excel_has_one_sheet_per_table_plus_the_summary_and_attribution(self, report: Report) -> None:
        workbook = load_workbook(io.BytesIO(to_excel(report)))
        assert len(workbook.sheetnames) == 2 + len(report.tables())
        assert workbook["说明"]["B1"].value == "2026-11-11 至 2026-11-11"

    def test_excel_attribution_sheet_carries_each_cause_and_action(self, report: Report) -> None:
        rows = list(load_workbook(io.BytesIO(to_excel(report)))["归因及提升"].values)
        ticket_types = next(s for s in report.sections if s.key == "ticket_types")
        assert ("工单类型与跨部门问题", "提升建议", ticket_types.action) in rows
        assert ("工单类型与跨部门问题", "归因", ticket_types.causes[0]) in rows

    def test_excel_sheet_holds_the_table_header_and_rows(self, report: Report) -> None:
        workbook = load_workbook(io.BytesIO(to_excel(report)))
        sheet = workbook["跨部门问题占比"]
        assert [c.value for c in sheet[2]][:3] == ["责任部门", "工单数", "占比"]
        assert sheet["A3"].value == "物流"


def _departments(session: Session, scope: Scope) -> list[list[object]]:
    return next(t for t in ticket_types(session, scope).tables if t.key == "departments").rows


class TestDepartments:
    def test_wrong_or_missing_items_are_the_warehouses_share(
        self, session: Session, peak_scope: Scope
    ) -> None:
        shop = make_shop(session)
        make_ticket_row(session, shop=shop, created_at=at(9), category="商品问题", subcategory="错发漏发")
        make_ticket_row(session, shop=shop, created_at=at(9), category="商品问题", subcategory="质量问题")
        make_ticket_row(session, shop=shop, created_at=at(9), category="物流问题", subcategory="丢件")
        make_ticket_row(session, shop=shop, created_at=at(9), category="物流问题", type="complaint")
        assert _departments(session, peak_scope) == [
            ["物流", 2, "50.0%", 1, "50.0%"],
            ["产品部", 1, "25.0%", 0, "0.0%"],
            ["仓库", 1, "25.0%", 0, "0.0%"],
        ]

    def test_a_ticket_raised_to_a_department_counts_under_it(
        self, session: Session, peak_scope: Scope
    ) -> None:
        ticket = make_ticket_row(session, created_at=at(9), category="物流问题")
        session.add(
            FeedbackItem(
                ticket_id=ticket.id,
                department="warehouse",
                category="物流问题",
                content="包装破损",
                status="open",
            )
        )
        session.flush()
        assert _departments(session, peak_scope) == [["仓库", 1, "100.0%", 0, "0.0%"]]


def _steady_chats(session: Session, per_hour: dict[int, int]) -> None:
    """``per_hour[day]`` chats in every hour of November ``day``, inserted in one batch."""
    shop = make_shop(session)
    rows = [
        {
            "shop_id": shop.id,
            "platform": shop.platform,
            "session_key": f"steady-{day}-{hour}-{k}",
            "started_at": at(hour, 5 * k, day=day),
            "ended_at": at(hour, 5 * k + 1, day=day),
        }
        for day, n in per_hour.items()
        for hour in range(24)
        for k in range(n)
    ]
    session.execute(ChatSession.__table__.insert(), rows)  # type: ignore[attr-defined]


class TestForecastVsActual:
    def test_forecast_from_the_days_before_is_compared_with_the_range(
        self, session: Session, peak_scope: Scope
    ) -> None:
        """2 chats an hour for the 3 days before, 3 an hour on the day: forecast 48, actual 72."""
        _steady_chats(session, {8: 2, 9: 2, 10: 2, 11: 3})
        result = forecast_vs_actual(session, peak_scope, history_days=3)
        [[day, actual, predicted, error, _share]] = result.tables[0].rows
        assert (day, actual, predicted, error) == ("2026-11-11", 72, 48, -24)
        assert result.data["comparison"].mae == pytest.approx(1.0, abs=0.05)

    def test_the_ranges_own_data_does_not_reach_the_fit(self, session: Session, peak_scope: Scope) -> None:
        _steady_chats(session, {8: 2, 9: 2, 10: 2, 11: 9})
        result = forecast_vs_actual(session, peak_scope, history_days=3)
        assert result.tables[0].rows[0][2] == 48

    def test_without_history_before_the_range_it_says_so(self, session: Session, peak_scope: Scope) -> None:
        _steady_chats(session, {11: 2})
        result = forecast_vs_actual(session, peak_scope, history_days=3)
        assert result.missing == ["范围开始前 3 天没有咨询数据,无法对比预测与实际"]


class TestQcReview:
    def test_qc_summary_failed_checkpoints_and_emotions(self, session: Session, peak_scope: Scope) -> None:
        from aftersales.analytics.report.service import qc_review
        from aftersales.qc.models import QcFinding, QcSessionResult

        shop = make_shop(session)
        for n, (score, passed, label) in enumerate([(90, True, "满意"), (50, False, "物流")]):
            chat = make_chat_row(session, shop=shop, started_at=at(9 + n))
            session.add(
                QcSessionResult(
                    session_id=chat.id,
                    shop_id=shop.id,
                    platform=shop.platform,
                    started_at=chat.started_at,
                    score=score,
                    passed=passed,
                    emotion_polarity="negative" if not passed else "positive",
                    emotion_label=label,
                )
            )
            session.add(
                QcFinding(
                    session_id=chat.id,
                    code="greeting",
                    area="service",
                    weight=10,
                    auto_passed=passed,
                    final_passed=passed,
                )
            )
        session.flush()
        tables = {t.key: t.rows for t in qc_review(session, peak_scope).tables}
        assert tables["qc_summary"] == [[2, "70", "50.0%"]]
        assert tables["qc_failed"] == [["问候语", 1, "50.0%"]]
        assert sorted(tables["qc_emotions"]) == [["满意", 1, "50.0%"], ["物流", 1, "50.0%"]]
