"""The 复盘's 客户评价满意度 sections (seed 001 §7): satisfaction against target and against the
previous period (ratings and the satisfaction survey's 整体满意度 side by side), 系统邀评 vs 自主评价
per agent, the survey's results per question, and the checkpoints behind unhappy chats."""

from collections import Counter, defaultdict
from datetime import timedelta
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, case, exists, func
from sqlalchemy.orm import Session

from aftersales.analytics.dimensions import (
    DIMENSIONS,
    INVITATIONS,
    QC_RESULTS,
    SURVEY_ANSWERS,
    SURVEYS,
    TICKETS,
)
from aftersales.analytics.report import repository
from aftersales.analytics.report.attribution import (
    Ranked,
    compare_sentence,
    extremes,
    joined_names,
    top_items,
)
from aftersales.analytics.report.quality import checkpoint_name
from aftersales.analytics.report.repository import FINDINGS, LEVELS, Subject
from aftersales.analytics.results import Analysis, DataTable, percent, rate
from aftersales.analytics.scope import Scope
from aftersales.analytics.scorecards import target_of
from aftersales.analytics.service import targets_for

SATISFIED = 4
TARGET = "satisfaction_rate"
SURVEY_DRILL = "/console/analytics/drill/surveys"
QUESTION_COLUMNS = 4


def previous(scope: Scope) -> Scope:
    """The period of the same length just before ``scope`` (上期)."""
    days = (scope.end - scope.start).days + 1
    return Scope(
        scope.start - timedelta(days=days), scope.start - timedelta(days=1), scope.platform, scope.shop_id
    )


def _satisfaction(session: Session, scope: Scope, level: str) -> dict[Subject, tuple[int, int]]:
    """Rated invitations and satisfied ones (4-5 stars after any recovery) per subject, counted
    like the scorecard: by when the customer became eligible."""
    stars = func.coalesce(INVITATIONS.c.final_stars, INVITATIONS.c.stars)
    values = {"rated": func.count(), "satisfied": func.count(case((stars >= SATISFIED, 1)))}
    rows = repository.invitation_rows(session, scope, level, values)
    return {subject: (int(row["rated"]), int(row["satisfied"])) for subject, row in rows}


def _surveyed(session: Session, scope: Scope, level: str) -> dict[Subject, tuple[int, int]]:
    """Answered surveys and those whose 整体满意度 is 4-5 stars, per subject, by answer time."""
    values = {
        "answered": func.count(),
        "satisfied": func.count(case((SURVEYS.c.overall_stars >= SATISFIED, 1))),
    }
    rows = repository.survey_rows(session, scope, level, values)
    return {subject: (int(row["answered"]), int(row["satisfied"])) for subject, row in rows}


def survey_drill(scope: Scope, subject: Subject) -> str | None:
    """The answered surveys a 问卷数 cell counts (the drill-down shows exactly those)."""
    if subject.ident is None:
        return None
    return f"{SURVEY_DRILL}?" + urlencode({**scope.query(), **subject.drill()})


def change_words(now: float | None, before: float | None) -> str:
    """提升 / 下降 / 持平 in percentage points, or — without both periods."""
    if now is None or before is None:
        return "—"
    points = (now - before) * 100
    if abs(points) < 0.05:
        return "持平"
    return f"{'提升' if points > 0 else '下降'} {abs(points):.1f} 个百分点"


def satisfaction_goals(session: Session, scope: Scope) -> Analysis:
    """满意度目标达成: each subject's 满意率 against its target (达成/未达成) and the previous period."""
    analysis = Analysis("satisfaction_goals", "满意度目标达成情况")
    before = previous(scope)
    analysis.findings.append(f"上期:{before.label()}")
    missed: list[Ranked] = []
    for level in LEVELS:
        targets = targets_for(session, level=level)
        now, then = _satisfaction(session, scope, level), _satisfaction(session, before, level)
        table = DataTable(
            f"satisfaction_goals_{level}",
            f"按{DIMENSIONS[level]}",
            ["对象", "评价数", "本期满意率", "上期满意率", "变化", "目标", "达成", "问卷数", "问卷满意率"],
        )
        surveyed = _surveyed(session, scope, level)
        for subject in sorted({*now, *surveyed}, key=lambda s: (-now.get(s, (0, 0))[0], s.name)):
            rated, satisfied = now.get(subject, (0, 0))
            answered, pleased = surveyed.get(subject, (0, 0))
            current = rate(satisfied, rated)
            last = rate(then[subject][1], then[subject][0]) if subject in then else None
            target = target_of(
                targets, (subject.ident or "") if level == "platform" else subject.name, TARGET
            )
            reached = None if current is None or target is None else current >= target
            table.rows.append(
                [
                    subject.name,
                    rated,
                    percent(current),
                    percent(last),
                    change_words(current, last),
                    percent(target),
                    "—" if reached is None else ("达成" if reached else "未达成"),
                    answered,
                    percent(rate(pleased, answered)),
                ]
            )
            if answered and (link := survey_drill(scope, subject)):
                table.links[(len(table.rows) - 1, 7)] = link
            if level == "agent" and reached is False:
                missed.append(Ranked(subject, current or 0.0, rated))
        analysis.tables.append(table)
    _goal_causes(session, scope, before, analysis, missed)
    return analysis


def _overall(session: Session, scope: Scope) -> float | None:
    counts = _satisfaction(session, scope, "platform").values()
    return rate(sum(s for _r, s in counts), sum(r for r, _s in counts))


def _goal_causes(
    session: Session, scope: Scope, before: Scope, analysis: Analysis, missed: list[Ranked]
) -> None:
    current, last = _overall(session, scope), _overall(session, before)
    if current is None:
        return
    target = target_of(targets_for(session, level="shop"), "", TARGET)
    verdict = "" if target is None else f",{'达成' if current >= target else '未达成'}目标 {percent(target)}"
    analysis.causes.append(f"整体满意率 {percent(current)}{verdict},较上期{change_words(current, last)}")
    if missed:
        tail = sorted(missed, key=lambda r: (r.value, -r.cases))[:5]
        names = "、".join(f"{r.subject.name}({percent(r.value)})" for r in tail)
        analysis.causes.append(f"{len(missed)} 名客服未达成满意度目标,最低:{names}")
        analysis.action = (
            f"大促后对尾部客服 {'、'.join(r.subject.name for r in tail[:3])} 开展针对性带教;"
            "萃取满意率最高客服的话术作为快捷短语"
        )


def _self_rated() -> ColumnElement[bool]:
    """A ticket rated by the customer without a system invitation answered for it (自主评价)."""
    invited = exists().where(INVITATIONS.c.ticket_id == TICKETS.c.id, INVITATIONS.c.stars.is_not(None))
    return TICKETS.c.rating_stars.is_not(None) & ~invited


def _rating_sources(session: Session, scope: Scope) -> dict[Subject, dict[str, int]]:
    stars = func.coalesce(INVITATIONS.c.final_stars, INVITATIONS.c.stars)
    invited = repository.invitation_rows(
        session,
        scope,
        "agent",
        {"system": func.count(), "system_ok": func.count(case((stars >= SATISFIED, 1)))},
    )
    own = repository.per_subject(
        session,
        scope,
        TICKETS,
        "agent",
        {"self": func.count(), "self_ok": func.count(case((TICKETS.c.rating_stars >= SATISFIED, 1)))},
        time=TICKETS.c.rated_at,
        where=(_self_rated(),),
    )
    merged: dict[Subject, dict[str, int]] = defaultdict(
        lambda: {"system": 0, "system_ok": 0, "self": 0, "self_ok": 0}
    )
    for subject, row in [*invited, *own]:
        merged[subject].update({k: int(v) for k, v in row.items()})
    return merged


def rating_sources(session: Session, scope: Scope) -> Analysis:
    """个人专项: each agent's 满意率 with the shares of 系统邀评 and 自主评价 behind it."""
    analysis = Analysis("rating_sources", "系统邀评与自主评价(按客服)")
    analysis.findings.append(
        "系统邀评:客服或系统发出邀评后顾客给出的评价;自主评价:未经邀评、顾客主动给工单的评价"
    )
    table = DataTable(
        "rating_sources",
        "客服满意度来源",
        [
            "客服",
            "评价数",
            "系统邀评",
            "自主评价",
            "自主评价占比",
            "系统邀评满意率",
            "自主评价满意率",
            "满意率",
        ],
    )
    ranked = []
    sources = _rating_sources(session, scope)
    for subject in sorted(sources, key=lambda s: (-(sources[s]["system"] + sources[s]["self"]), s.name)):
        row = sources[subject]
        total, ok = row["system"] + row["self"], row["system_ok"] + row["self_ok"]
        table.rows.append(
            [
                subject.name,
                total,
                row["system"],
                row["self"],
                percent(rate(row["self"], total)),
                percent(rate(row["system_ok"], row["system"])),
                percent(rate(row["self_ok"], row["self"])),
                percent(rate(ok, total)),
            ]
        )
        ranked.append(
            Ranked(subject, rate(ok, total) or 0.0, total, f"自主评价占 {percent(rate(row['self'], total))}")
        )
    analysis.tables.append(table)
    if sentence := compare_sentence(ranked, "满意率"):
        analysis.causes.append(sentence)
    _source_causes(analysis, sources)
    if pair := extremes(ranked):
        worst = pair[0]
        analysis.action = (
            f"为「{worst.subject.name}」制定个人提升计划({worst.detail}):"
            "复盘其中差评会话,邀评前先确认问题已解决"
        )
    return analysis


def _source_causes(analysis: Analysis, sources: dict[Subject, dict[str, int]]) -> None:
    totals: Counter[str] = Counter()
    for row in sources.values():
        totals.update(row)
    system, own = rate(totals["system_ok"], totals["system"]), rate(totals["self_ok"], totals["self"])
    if system is None:
        return
    analysis.causes.append(
        f"系统邀评满意率 {percent(system)},自主评价满意率 {percent(own)},"
        f"自主评价占全部评价 {percent(rate(totals['self'], totals['system'] + totals['self']))}"
    )


def unhappy_scenes(session: Session, scope: Scope) -> Analysis:
    """高频不满意场景: the checkpoints failed in chats whose customer was unhappy (negative emotion),
    by who decided it (AI, or a person on review)."""
    analysis = Analysis("unhappy_scenes", "高频不满意会话场景")
    unhappy = (QC_RESULTS.c.emotion_polarity == "negative",)
    sessions = sum(
        int(r["n"])
        for _s, r in repository.qc_rows(session, scope, "platform", {"n": func.count()}, where=unhappy)
    )
    rows = repository.qc_rows(
        session,
        scope,
        "platform",
        {"n": func.count()},
        failed_findings=True,
        where=unhappy,
        by={"code": FINDINGS.c.code, "overruled": FINDINGS.c.overruled},
    )
    counts: Counter[tuple[str, bool]] = Counter()
    for _subject, row in rows:
        counts[(str(row["code"]), bool(row["overruled"]))] += int(row["n"])
    table = DataTable(
        "unhappy_scenes", "不满意会话中的质检问题点", ["质检点", "判定", "触发次数", "占不满意会话"]
    )
    for (code, by_person), n in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        table.rows.append(
            [checkpoint_name(code), "人工复核" if by_person else "AI", n, percent(rate(n, sessions))]
        )
    analysis.tables.append(table)
    analysis.findings.append(f"不满意会话 {sessions} 个(顾客情绪为负面)")
    merged: Counter[str] = Counter()
    for (code, _p), n in counts.items():
        merged[checkpoint_name(code)] += n
    top = top_items(dict(merged))
    if top:
        analysis.causes.append(
            "不满意会话中最常见的问题点:"
            + "、".join(f"「{name}」({percent(rate(n, sessions))})" for name, n in top)
        )
        analysis.action = f"针对{joined_names(top)}发起专项优化,部门内复盘话术,涉及商品或物流的同步相关部门"
    return analysis


def _question_rows(
    session: Session, scope: Scope, level: str
) -> dict[Subject, dict[str, tuple[str, int, int, int]]]:
    """Per subject and question (rated and yes/no ones): kind, answers, sum of stars, and the
    satisfied (4-5 stars) or 是 answers."""
    stars = SURVEY_ANSWERS.c.stars
    values = {
        "n": func.count(),
        "stars": func.coalesce(func.sum(stars), 0),
        "ok": func.count(case((stars >= SATISFIED, 1), (SURVEY_ANSWERS.c.yes.is_(True), 1))),
    }
    rows = repository.survey_rows(
        session,
        scope,
        level,
        values,
        answers=True,
        where=(SURVEY_ANSWERS.c.kind != "text",),
        by={"question": SURVEY_ANSWERS.c.question_text, "kind": SURVEY_ANSWERS.c.kind},
    )
    result: dict[Subject, dict[str, tuple[str, int, int, int]]] = defaultdict(dict)
    for subject, row in rows:
        kind, n, total, ok = str(row["kind"]), int(row["n"]), int(row["stars"]), int(row["ok"])
        if row["question"] in result[subject]:
            _k, n0, total0, ok0 = result[subject][row["question"]]
            n, total, ok = n + n0, total + total0, ok + ok0
        result[subject][str(row["question"])] = (kind, n, total, ok)
    return result


def _score(kind: str, n: int, total: int, ok: int) -> str:
    """A rated question's mean stars; a yes/no question's share of 是."""
    if not n:
        return "—"
    return f"是 {percent(rate(ok, n))}" if kind == "yes_no" else f"{total / n:.2f} 星"


def _totals(
    per_subject: dict[Subject, dict[str, tuple[str, int, int, int]]],
) -> dict[str, tuple[str, int, int, int]]:
    merged: dict[str, tuple[str, int, int, int]] = {}
    for questions in per_subject.values():
        for question, (kind, n, total, ok) in questions.items():
            _k, n0, total0, ok0 = merged.get(question, (kind, 0, 0, 0))
            merged[question] = (kind, n + n0, total + total0, ok + ok0)
    return merged


def survey_results(session: Session, scope: Scope) -> Analysis:
    """满意度问卷: each question's result against the previous period, then each platform, shop,
    group and agent with its surveys, 整体满意率 and its most answered questions."""
    analysis = Analysis("survey_results", "满意度问卷结果(按问题)")
    analysis.findings.append("问卷在工单解决、会话结束和签收回访后发出;按顾客提交问卷的时间统计")
    now, then = (
        _totals(_question_rows(session, scope, "platform")),
        _totals(_question_rows(session, previous(scope), "platform")),
    )
    questions = sorted(now, key=lambda q: (now[q][0] != "overall", -now[q][1], q))
    table = DataTable(
        "survey_questions", "各问题结果", ["问题", "回答数", "本期结果", "满意/是占比", "上期占比", "变化"]
    )
    for question in questions:
        kind, n, total, ok = now[question]
        before = then.get(question)
        last = rate(before[3], before[1]) if before else None
        table.rows.append(
            [
                question,
                n,
                _score(kind, n, total, ok),
                percent(rate(ok, n)),
                percent(last),
                change_words(rate(ok, n), last),
            ]
        )
    analysis.tables.append(table)
    for level in LEVELS:
        analysis.tables.append(_survey_level(session, scope, level, questions[:QUESTION_COLUMNS]))
    _survey_causes(session, scope, analysis, now)
    return analysis


def _survey_level(session: Session, scope: Scope, level: str, questions: list[str]) -> DataTable:
    surveyed = _surveyed(session, scope, level)
    answers = _question_rows(session, scope, level)
    table = DataTable(
        f"survey_results_{level}", f"按{DIMENSIONS[level]}", ["对象", "问卷数", "整体满意率", *questions]
    )
    for subject in sorted(surveyed, key=lambda s: (-surveyed[s][0], s.name)):
        answered, pleased = surveyed[subject]
        cells = [_score(*answers[subject][q]) if q in answers[subject] else "—" for q in questions]
        table.rows.append([subject.name, answered, percent(rate(pleased, answered)), *cells])
        if link := survey_drill(scope, subject):
            table.links[(len(table.rows) - 1, 1)] = link
    return table


def _survey_causes(
    session: Session, scope: Scope, analysis: Analysis, questions: dict[str, tuple[str, int, int, int]]
) -> None:
    counts = _surveyed(session, scope, "platform").values()
    answered, pleased = sum(a for a, _p in counts), sum(p for _a, p in counts)
    if not answered:
        return
    last = _surveyed(session, previous(scope), "platform").values()
    before = rate(sum(p for _a, p in last), sum(a for a, _p in last))
    current = rate(pleased, answered)
    analysis.causes.append(
        f"问卷 {answered} 份,整体满意率 {percent(current)},较上期{change_words(current, before)}"
    )
    scored = [(rate(ok, n) or 0.0, q) for q, (_k, n, _t, ok) in questions.items() if n]
    if scored:
        share, worst = min(scored)
        analysis.causes.append(f"满意/肯定占比最低的问题是「{worst}」({percent(share)})")
        analysis.action = f"围绕「{worst}」复盘低分问卷对应的工单和会话,纳入培训计划;低分问卷已自动建工单跟进"
    agents = _surveyed(session, scope, "agent")
    ranked = [Ranked(s, rate(p, a) or 0.0, a) for s, (a, p) in agents.items() if s.ident is not None]
    if sentence := compare_sentence(ranked, "问卷满意率"):
        analysis.causes.append(sentence)
