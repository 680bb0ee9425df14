"""复盘 report for a date range (a promotion): every section an after-promotion review needs.

Sections reuse the analyses (funnel, trends, associations, forecast and staffing, scorecards) and
add the report-only views: reception and conversion, the 质检 sections (``quality``), ticket types
and complaints, VOC, alerts, satisfaction (``satisfaction``). The sections seed 001 asks for end
with 归因及提升 (``attribution``); a lead's edit of the proposed action is kept per report. The
same ``Report`` renders to the console page, the PDF and the Excel workbook.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import ColumnElement, Table, case, func, select
from sqlalchemy.orm import Session

from aftersales.analytics import charts, repository, scorecards
from aftersales.analytics.association_analysis import associations
from aftersales.analytics.dimensions import CHATS, QC_RESULTS, TICKETS
from aftersales.analytics.forecast import forecast_and_staffing
from aftersales.analytics.funnel import funnel
from aftersales.analytics.report import repository as report_repository
from aftersales.analytics.report.attribution import compare_sentence, extremes
from aftersales.analytics.report.complaints import complaint_tickets, type_causes
from aftersales.analytics.report.conversion import (
    DEFINITION,
    agent_reception,
    conversion_table,
    definitions,
    handling_causes,
    outcome_table,
    ranked,
    seconds,
)
from aftersales.analytics.report.quality import (
    departments,
    qc_ability,
    qc_alerts,
    qc_emotions,
    qc_risks,
    qc_scenes,
)
from aftersales.analytics.report.satisfaction import (
    rating_sources,
    satisfaction_goals,
    survey_results,
    unhappy_scenes,
)
from aftersales.analytics.results import Analysis, DataTable, number, percent, rate
from aftersales.analytics.scope import Scope
from aftersales.analytics.service import targets_for
from aftersales.analytics.trends import ANOMALIES, INQUIRY_LABEL, REVIEWS, trends
from aftersales.kit.errors import InvalidInputError
from aftersales.kit.time import format_local, utcnow
from aftersales.qc.checkpoints import BY_CODE as CHECKPOINTS
from aftersales.qc.models import QcFinding, VocMention
from aftersales.reviews.models import RatingRecovery
from aftersales.tickets.models import FeedbackItem

if TYPE_CHECKING:
    from aftersales.analytics.forecast.seasonal import Backtest

HANDLING_LABELS = {
    "bot_only": "纯机器人接待",
    "transferred": "机器人转人工",
    "human": "人工接待",
    "unanswered": "未接待",
}
# Responsible department of a ticket: the one a feedback item was raised to (闭环), else inferred
# from the taxonomy: wrong or missing items (错发漏发) are the warehouse's picking, not the product.
DEPARTMENT_LABELS = {
    "product": "产品部",
    "logistics": "物流",
    "warehouse": "仓库",
    "service": "客服",
    "operations": "运营部",
    "design": "设计部",
    "other": "其他",
}
CATEGORY_DEPARTMENTS = {"商品问题": "product", "物流问题": "logistics", "服务问题": "service"}
WAREHOUSE_SUBCATEGORIES = ("错发漏发",)
HISTORY_DAYS = 14
RECOVERIES = cast(Table, RatingRecovery.__table__)
FEEDBACK = cast(Table, FeedbackItem.__table__)
FINDINGS = cast(Table, QcFinding.__table__)
MENTIONS = cast(Table, VocMention.__table__)
TYPE_LABELS = {
    "consultation": "咨询",
    "return": "退货",
    "exchange": "换货",
    "repair": "维修",
    "refund": "退款",
    "reshipment": "补发",
    "complaint": "投诉",
    "suggestion": "建议",
}


@dataclass
class Report:
    scope: Scope
    sections: list[Analysis] = field(default_factory=list)
    generated_at: str = ""

    @property
    def missing(self) -> list[str]:
        return [m for s in self.sections for m in s.missing]

    def tables(self) -> list[tuple[Analysis, DataTable]]:
        return [(s, t) for s in self.sections for t in s.tables]


def _grouped(
    session: Session, scope: Scope, table: Table, time_column: ColumnElement[Any], key: ColumnElement[Any]
) -> list[tuple[str, int]]:
    statement = (
        select(key, func.count())
        .where(scope.within(time_column), scope.shop_filter(table))
        .group_by(key)
        .order_by(func.count().desc())
    )
    return [(str(k), int(n)) for k, n in session.execute(statement)]


def reception_overview(session: Session, scope: Scope) -> Analysis:
    """接待效果: chats by who answered them (bot only, bot then agent, agent) and per sub-account."""
    analysis = Analysis("reception", "接待概况(机器人 vs 人工)")
    sessions = CHATS
    statement = (
        select(sessions.c.handling, func.count(), func.avg(sessions.c.first_response_seconds))
        .where(scope.within(sessions.c.started_at), scope.shop_filter(sessions))
        .group_by(sessions.c.handling)
    )
    rows = [(str(h), int(n), a) for h, n, a in session.execute(statement)]
    total = sum(n for _h, n, _a in rows)
    table = DataTable("reception", "接待方式", ["接待方式", "会话数", "占比", "平均首响(秒)"])
    table.rows = [[HANDLING_LABELS.get(h, h), n, percent(rate(n, total)), number(a)] for h, n, a in rows]
    agents, first_responses = agent_reception(session, scope)
    analysis.tables += [table, agents]
    analysis.causes = handling_causes(rows)
    if sentence := compare_sentence(first_responses, "平均首响", fmt=seconds, lower_is_worse=False):
        analysis.causes.append(sentence)
    if pair := extremes(first_responses):
        slow, fast = pair[1], pair[0]
        analysis.action = (
            f"「{slow.subject.name}」对照「{fast.subject.name}」复盘高峰时段的接待节奏与快捷短语使用"
        )
    if rows:
        analysis.charts.append(
            charts.bar_chart("接待方式", [r[0] for r in table.rows], [r[1] for r in table.rows])
        )
    return analysis


def conversions(session: Session, scope: Scope) -> Analysis:
    """询单转化率 and 客单价 per shop and agent (buyers who ordered within days of asking),
    商品推荐转化 and 跟单挽回转化 per shop and agent, and 差评挽回转化 (negative ratings recovered)."""
    analysis = Analysis("conversions", "转化分析")
    table = DataTable("conversions", "转化", ["指标", "分子", "分母", "转化率"])
    by_shop, _shops = conversion_table(session, scope, "shop")
    by_agent, agents = conversion_table(session, scope, "agent")
    won, total = sum(int(r[2]) for r in by_shop.rows), sum(int(r[1]) for r in by_shop.rows)
    table.rows.append(["询单转化率", won, total, percent(rate(won, total))])
    recommended, followed = definitions(session, scope)
    outcome_tables, outcome_rows = [], {}
    for kind, definition in (("recommendation", recommended), ("follow_up", followed)):
        for level in ("shop", "agent"):
            outcome, outcome_rows[(kind, level)] = outcome_table(session, scope, kind, level, definition)
            outcome_tables.append(outcome)
        shops = outcome_rows[(kind, "shop")]
        won, total = sum(o.won for o in shops), sum(o.total for o in shops)
        label = "商品推荐转化率" if kind == "recommendation" else "跟单挽回转化率"
        table.rows.append([label, won, total, percent(rate(won, total))])
    recoveries = RECOVERIES
    statement = select(func.count(), func.sum(case((recoveries.c.status == "recovered", 1), else_=0))).where(
        scope.within(recoveries.c.created_at)
    )
    total, won = session.execute(statement).one()
    table.rows.append(["差评挽回转化率", int(won or 0), int(total or 0), percent(rate(won, total))])
    table.note = ";".join((DEFINITION, recommended, followed))
    analysis.tables += [table, by_shop, by_agent, *outcome_tables]
    if sentence := compare_sentence(agents, "询单转化率"):
        analysis.causes.append(sentence)
    for kind, measure in (("recommendation", "商品推荐转化率"), ("follow_up", "跟单挽回率")):
        if sentence := compare_sentence(ranked(outcome_rows[(kind, "agent")]), measure):
            analysis.causes.append(sentence)
    if pair := extremes(agents):
        low, high = pair
        analysis.action = f"萃取「{high.subject.name}」的询单接待话术,带教「{low.subject.name}」"
    return analysis


def ticket_types(session: Session, scope: Scope) -> Analysis:
    """工单类型分析 and 跨部门问题: shares by type and by category, with complaints per category."""
    analysis = Analysis("ticket_types", "工单类型与跨部门问题")
    tickets = TICKETS
    types = _grouped(session, scope, tickets, tickets.c.created_at, tickets.c.type)
    total = sum(n for _t, n in types)
    by_type = DataTable("ticket_types", "工单类型", ["类型", "工单数", "占比"])
    by_type.rows = [[TYPE_LABELS.get(t, t), n, percent(rate(n, total))] for t, n in types]
    by_department = _department_table(session, scope, tickets, total)
    analysis.tables += [by_type, by_department]
    analysis.causes = type_causes(types, TYPE_LABELS)
    if by_department.rows:
        owner, n, share = by_department.rows[0][:3]
        analysis.causes.append(f"问题源头以{owner}为主({n} 张,占 {share})")
        analysis.action = f"与{owner}按问题类型逐项复盘,制定整改清单并在下次大促前复查"
    if types:
        analysis.charts.append(
            charts.bar_chart("工单类型", [r[0] for r in by_type.rows], [r[1] for r in by_type.rows])
        )
    return analysis


def _department(tickets: Table) -> ColumnElement[str]:
    inferred = case(
        (tickets.c.subcategory.in_(WAREHOUSE_SUBCATEGORIES), "warehouse"),
        *((tickets.c.category == category, code) for category, code in CATEGORY_DEPARTMENTS.items()),
        else_="other",
    )
    raised = select(func.min(FEEDBACK.c.department)).where(FEEDBACK.c.ticket_id == tickets.c.id)
    return func.coalesce(raised.scalar_subquery(), inferred)


def _department_table(session: Session, scope: Scope, tickets: Table, total: int) -> DataTable:
    """跨部门问题: tickets and complaints per responsible department (product, logistics, warehouse…)."""
    department = _department(tickets).label("department")
    complaint = case((tickets.c.type == "complaint", 1), else_=0)
    statement = (
        select(department, func.count(), func.sum(complaint))
        .where(scope.within(tickets.c.created_at), scope.shop_filter(tickets))
        .group_by(department)
        .order_by(func.count().desc(), department)
    )
    table = DataTable("departments", "跨部门问题占比", ["责任部门", "工单数", "占比", "投诉数", "投诉率"])
    table.rows = [
        [DEPARTMENT_LABELS.get(code, code), n, percent(rate(n, total)), int(bad or 0), percent(rate(bad, n))]
        for code, n, bad in session.execute(statement)
    ]
    return table


def voice_of_customer(session: Session, scope: Scope) -> Analysis:
    """VOC: review complaint topics per SKU, counted in the database from each review's topic list."""
    analysis = Analysis("voc", "VOC 客户之声")
    reviews = REVIEWS
    statement = (
        select(reviews.c.sku_code, func.count(), func.sum(case((reviews.c.stars <= 2, 1), else_=0)))
        .where(scope.within(reviews.c.reviewed_at), scope.shop_filter(reviews))
        .group_by(reviews.c.sku_code)
        .order_by(func.count().desc())
        .limit(20)
    )
    table = DataTable("voc", "各商品评价", ["商品编码", "评价数", "差评数", "差评率"])
    table.rows = [
        [sku or "—", n, int(bad or 0), percent(rate(bad, n))] for sku, n, bad in session.execute(statement)
    ]
    topics: dict[str, int] = {}
    topic_rows = session.execute(
        select(reviews.c.complaints).where(
            scope.within(reviews.c.reviewed_at), scope.shop_filter(reviews), reviews.c.stars <= 3
        )
    )
    for (values,) in topic_rows:
        for topic in values if isinstance(values, list) else []:
            topics[str(topic)] = topics.get(str(topic), 0) + 1
    top = sorted(topics.items(), key=lambda t: -t[1])[:15]
    voc = DataTable("voc_topics", "中差评话题", ["话题", "次数"], rows=[[t, n] for t, n in top])
    analysis.tables += [table, voc]
    chat_topics = _grouped(session, scope, MENTIONS, MENTIONS.c.mentioned_at, MENTIONS.c.topic)
    analysis.tables.append(
        DataTable(
            "voc_chats",
            "聊天中的客户之声(话题)",
            ["话题", "提及次数"],
            rows=[list(r) for r in chat_topics[:15]],
        )
    )
    if top:
        analysis.findings = [f"中差评最多的话题:{'、'.join(t for t, _n in top[:5])}"]
    return analysis


AREA_RISK_LABELS = {"low": "低", "medium": "中", "high": "高"}


def qc_review(session: Session, scope: Scope) -> Analysis:
    """质检复盘: score and pass rate, the checkpoints failed most, risks and customer emotions."""
    analysis = Analysis("qc", "质检复盘")
    results = QC_RESULTS
    where = (scope.within(results.c.started_at), scope.shop_filter(results))
    total, average, passed = session.execute(
        select(
            func.count(), func.avg(results.c.score), func.sum(case((results.c.passed.is_(True), 1), else_=0))
        ).where(*where)
    ).one()
    summary = DataTable("qc_summary", "质检概况", ["质检会话", "平均分", "合格率"])
    summary.rows = [[int(total or 0), number(average), percent(rate(passed, total))]]
    findings = FINDINGS
    failed = DataTable("qc_failed", "未通过最多的质检点", ["质检点", "未通过次数", "占质检会话"])
    statement = (
        select(findings.c.code, func.count())
        .select_from(findings.join(results, results.c.session_id == findings.c.session_id))
        .where(*where, findings.c.final_passed.is_(False))
        .group_by(findings.c.code)
        .order_by(func.count().desc())
        .limit(10)
    )
    failed.rows = [
        [CHECKPOINTS[code].name if code in CHECKPOINTS else code, n, percent(rate(n, total))]
        for code, n in session.execute(statement)
    ]
    risks = DataTable("qc_risks", "风险等级", ["风险", "会话数"])
    risk_rows = _grouped(session, scope, results, results.c.started_at, results.c.risk_level)
    risks.rows = [[AREA_RISK_LABELS.get(k, "无风险" if k == "None" else k), n] for k, n in risk_rows]
    emotions = DataTable("qc_emotions", "客户情绪", ["情绪", "会话数", "占比"])
    emotion_rows = _grouped(session, scope, results, results.c.started_at, results.c.emotion_label)
    emotions.rows = [[k, n, percent(rate(n, total))] for k, n in emotion_rows]
    analysis.tables += [summary, failed, risks, emotions]
    if failed.rows:
        labels = [str(r[0]) for r in failed.rows]
        analysis.charts.append(
            charts.bar_chart("未通过最多的质检点", labels, [r[1] for r in failed.rows], horizontal=True)
        )
    return analysis


def alert_completion(session: Session, scope: Scope) -> Analysis:
    """告警完成: SLA breaches of tickets and the scorecard alerts raised in the scope."""
    analysis = Analysis("alerts", "告警与完成情况")
    table = DataTable("alerts", "告警", ["告警", "数量", "已处理", "完成率"])
    tickets = TICKETS
    breached = tickets.c.sla_breached.is_(True)
    done = case((tickets.c.resolved_at.is_not(None), 1), else_=0)
    statement = select(func.count(), func.sum(done)).where(
        scope.within(tickets.c.created_at), scope.shop_filter(tickets), breached
    )
    total, finished = session.execute(statement).one()
    table.rows.append(["工单 SLA 超时", int(total or 0), int(finished or 0), percent(rate(finished, total))])
    anomalies = ANOMALIES
    total, finished = session.execute(
        select(func.count(), func.count(anomalies.c.resolved_at)).where(
            scope.within(anomalies.c.first_seen_at), scope.shop_filter(anomalies)
        )
    ).one()
    table.rows.append(["物流异常", int(total or 0), int(finished or 0), percent(rate(finished, total))])
    alerts = report_repository.alert_kinds(session, scope)
    closed = sum(1 for _level, _kinds, done in alerts if done)
    table.rows.append(["质检告警", len(alerts), closed, percent(rate(closed, len(alerts)))])
    analysis.tables.append(table)
    return analysis


def satisfaction_vs_target(session: Session, scope: Scope) -> Analysis:
    """Shop scorecards against the targets (满意度 > 90%, 首响 < 20 秒 by default)."""
    targets = targets_for(session, level="shop")
    analysis = scorecards.scorecards(session, scope, level="shop", targets=targets)
    analysis.key, analysis.title = "satisfaction", "满意度与考核目标(按店铺)"
    analysis.findings = [
        f"考核值:{scorecards.METRICS[m].label} {scorecards.METRICS[m].format(v)}"
        for m, v in targets[""].items()
    ]
    return analysis


def forecast_vs_actual(session: Session, scope: Scope, *, history_days: int = HISTORY_DAYS) -> Analysis:
    """预测与实际: a forecast fitted only on the days before the range, against the range's actuals.

    Unlike the backtest (inside the data), nothing of the range reaches the fit: this is the
    forecast one would have made the day before the promotion, and its error.
    """
    from aftersales.analytics.forecast.repository import hourly_inquiries
    from aftersales.analytics.forecast.seasonal import NotEnoughHistoryError, compare, forecast

    analysis = Analysis("forecast_vs_actual", "预测与实际(范围前拟合)")
    before = Scope(
        scope.start - timedelta(days=history_days),
        scope.start - timedelta(days=1),
        scope.platform,
        scope.shop_id,
    )
    history = hourly_inquiries(session, before)
    actual = hourly_inquiries(session, scope)
    if history.sum() == 0 or actual.empty:
        analysis.missing.append(f"范围开始前 {history_days} 天没有咨询数据,无法对比预测与实际")
        return analysis
    try:
        check = compare(actual, forecast(history, horizon=len(actual)))
    except NotEnoughHistoryError as exc:
        analysis.missing.append(f"范围前的历史不足,无法预测: {exc}")
        return analysis
    analysis.tables.append(_daily_comparison(actual, check))
    predicted, observed = sum(check.predicted), sum(check.actual)
    analysis.findings.append(
        f"用范围前 {history_days} 天拟合的{INQUIRY_LABEL}预测 {predicted:.0f},实际 {observed:.0f},"
        f"误差 {predicted - observed:+.0f}(MAE {check.mae:.1f}/小时,WAPE {check.wape_text},"
        f"区间覆盖率 {check.coverage:.0%})"
    )
    analysis.data["comparison"] = check
    return analysis


def _daily_comparison(actual: Any, check: "Backtest") -> DataTable:
    days: dict[str, list[float]] = {}
    for stamp, observed, predicted in zip(actual.index, check.actual, check.predicted, strict=True):
        totals = days.setdefault(f"{stamp:%Y-%m-%d}", [0.0, 0.0])
        totals[0] += observed
        totals[1] += predicted
    table = DataTable("forecast_vs_actual", "每日预测与实际", ["日期", "实际", "预测", "误差", "误差率"])
    table.rows = [
        [day, round(a), round(p), round(p - a), percent(rate(p - a, a))] for day, (a, p) in days.items()
    ]
    return table


# The sections in report order; the benchmark times each one (benchmarks/bench_analytics.py).
SECTIONS = (
    reception_overview,
    conversions,
    funnel,
    trends,
    qc_review,
    qc_ability,
    qc_scenes,
    qc_risks,
    qc_emotions,
    departments,
    qc_alerts,
    ticket_types,
    complaint_tickets,
    associations,
    voice_of_customer,
    alert_completion,
    satisfaction_vs_target,
    satisfaction_goals,
    rating_sources,
    survey_results,
    unhappy_scenes,
    forecast_vs_actual,
    forecast_and_staffing,
)
# Sections that end with 归因及提升: the lead may edit their proposed action before sending.
EDITABLE = frozenset(
    {
        "qc_ability",
        "qc_scenes",
        "qc_risks",
        "qc_emotions",
        "qc_departments",
        "qc_alerts",
        "ticket_types",
        "complaints",
        "satisfaction_goals",
        "rating_sources",
        "survey_results",
        "unhappy_scenes",
        "reception",
        "conversions",
    }
)


def build_report(session: Session, scope: Scope) -> Report:
    """Every section; a lead's saved action replaces the one derived from the data."""
    report = Report(scope=scope, generated_at=format_local(utcnow()))
    repository.tune(session)
    report.sections = [builder(session, scope) for builder in SECTIONS]
    saved = report_repository.saved_actions(session, scope)
    for section in report.sections:
        if section.key in saved:
            section.action, section.edited = saved[section.key], True
    return report


ACTION_MAX = 2000


def save_action(session: Session, *, scope: Scope, section: str, text: str, user_id: int | None) -> None:
    """The lead's proposed action for one section of this report; empty text restores the derived one."""
    if section not in EDITABLE:
        raise InvalidInputError("section", f"该部分没有可编辑的提升建议: {section}")
    text = text.strip()
    if len(text) > ACTION_MAX:
        raise InvalidInputError("text", f"提升建议不能超过 {ACTION_MAX} 字")
    row = report_repository.saved_action(session, scope, section)
    if not text:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(report_repository.new_action(scope, section, text, user_id))
    else:
        row.text, row.updated_by_id = text, user_id
    session.flush()
