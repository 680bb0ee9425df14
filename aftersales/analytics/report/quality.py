"""The 复盘's 质检 sections (seed 001 §质检版块复盘), each per platform, shop, group and agent:
service ability (score, pass rate, the reason), TOP checkpoints, risk items, customer emotion,
the 协同部门 items and their tie to complaints, and alerts by level with completion."""

from collections import Counter, defaultdict
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import case, func
from sqlalchemy.orm import Session

from aftersales.analytics.dimensions import DIMENSIONS, QC_RESULTS
from aftersales.analytics.report import repository
from aftersales.analytics.report.attribution import (
    DEPARTMENTS,
    EMOTION_ACTIONS,
    EMOTION_NAMES,
    POSITIVE_NAMES,
    Ranked,
    compare_sentence,
    joined_names,
    top_items,
)
from aftersales.analytics.report.repository import FINDINGS, LEVELS, QC_ALERTS, Subject
from aftersales.analytics.results import Analysis, DataTable, number, percent, rate
from aftersales.analytics.scope import Scope
from aftersales.qc.alerts import LEVEL_LABELS as ALERT_LEVELS
from aftersales.qc.checkpoints import BY_CODE as CHECKPOINTS
from aftersales.qc.risk import RISK_KINDS

DRILL = "/console/analytics/drill/qc_results"


def checkpoint_name(code: str) -> str:
    return CHECKPOINTS[code].name if code in CHECKPOINTS else code


def _drill(scope: Scope, subject: Subject, **extra: str) -> str | None:
    if subject.ident is None:
        return None
    return f"{DRILL}?" + urlencode({**scope.query(), **subject.drill(), **extra})


def _failed_by_subject(session: Session, scope: Scope, level: str) -> dict[Subject, Counter[str]]:
    """Per subject, how often each checkpoint failed."""
    rows = repository.qc_rows(
        session, scope, level, {"n": func.count()}, failed_findings=True, by={"code": FINDINGS.c.code}
    )
    failed: dict[Subject, Counter[str]] = defaultdict(Counter)
    for subject, row in rows:
        failed[subject][str(row["code"])] += int(row["n"])
    return failed


def _qc_stats(session: Session, scope: Scope, level: str) -> list[tuple[Subject, dict[str, Any]]]:
    passed = func.count(case((QC_RESULTS.c.passed.is_(True), 1)))
    values = {"n": func.count(), "score": func.avg(QC_RESULTS.c.score), "passed": passed}
    return sorted(repository.qc_rows(session, scope, level, values), key=lambda r: (-r[1]["n"], r[0].name))


def qc_ability(session: Session, scope: Scope) -> Analysis:
    """客服服务能力复盘: 质检得分 and 合格率 per subject, with the checkpoint failed most (原因下钻)."""
    analysis = Analysis("qc_ability", "客服服务能力复盘(质检得分与合格率)")
    reasons: Counter[str] = Counter()
    tail: list[Ranked] = []
    for level in LEVELS:
        failed = _failed_by_subject(session, scope, level)
        table = DataTable(
            f"qc_ability_{level}",
            f"按{DIMENSIONS[level]}",
            ["对象", "质检会话", "平均分", "合格率", "主要失分项(次数)"],
        )
        ranked = []
        for r, (subject, row) in enumerate(_qc_stats(session, scope, level)):
            pass_rate = rate(row["passed"], row["n"])
            main = top_items(dict(failed.get(subject, {})), 1)
            reason = f"{checkpoint_name(main[0][0])}({main[0][1]})" if main else "—"
            table.rows.append([subject.name, row["n"], number(row["score"]), percent(pass_rate), reason])
            if link := _drill(scope, subject):
                table.links[(r, 1)] = link
            if main and (link := _drill(scope, subject, checkpoint=main[0][0])):
                table.links[(r, 4)] = link
            detail = f"主要失分项「{checkpoint_name(main[0][0])}」" if main else ""
            ranked.append(Ranked(subject, pass_rate or 0.0, int(row["n"]), detail))
            if level == "agent" and subject.ident is not None:  # bot-only chats train nobody
                reasons.update(failed.get(subject, {}))
                tail.append(ranked[-1])
        analysis.tables.append(table)
        if sentence := compare_sentence(ranked, "合格率"):
            analysis.causes.append(sentence)
    analysis.action = _ability_action(reasons, tail)
    return analysis


def _ability_action(reasons: Counter[str], agents: list[Ranked]) -> str:
    if not reasons:
        return ""
    topic = checkpoint_name(top_items(dict(reasons), 1)[0][0])
    weakest = sorted(agents, key=lambda r: (r.value, -r.cases))[:3]
    names = "、".join(r.subject.name for r in weakest if r.value < 1)
    return f"以「{topic}」为培训主题开展专项质培" + (f",先带教合格率最低的客服:{names}" if names else "")


def qc_scenes(session: Session, scope: Scope) -> Analysis:
    """客服服务场景复盘: the TOP checkpoints per subject, and what the most frequent ones suggest."""
    analysis = Analysis("qc_scenes", "客服服务场景复盘(TOP 质检项)")
    overall: Counter[str] = Counter()
    sessions = 0
    for level in LEVELS:
        counts = {s: int(row["n"]) for s, row in _qc_stats(session, scope, level)}
        failed = _failed_by_subject(session, scope, level)
        table = DataTable(
            f"qc_scenes_{level}",
            f"按{DIMENSIONS[level]}的 TOP 质检项",
            ["对象", "质检点", "触发次数", "占该对象质检会话"],
        )
        for subject in sorted(failed, key=lambda s: (-counts.get(s, 0), s.name)):
            for code, n in top_items(dict(failed[subject])):
                if link := _drill(scope, subject, checkpoint=code):
                    table.links[(len(table.rows), 2)] = link
                table.rows.append(
                    [subject.name, checkpoint_name(code), n, percent(rate(n, counts.get(subject)))]
                )
        analysis.tables.append(table)
        if level == "agent":  # the agents' chats: bot-only ones are no training topic
            sessions = sum(n for subject, n in counts.items() if subject.ident is not None)
            for subject, counter in failed.items():
                overall.update(counter if subject.ident is not None else {})
    top = top_items(dict(overall))
    if top:
        shares = "、".join(f"「{checkpoint_name(c)}」{n} 次(占 {percent(rate(n, sessions))})" for c, n in top)
        analysis.causes.append(f"客服接待的会话中触发最多的质检点:{shares}")
        areas = Counter(CHECKPOINTS[c].area.label for c, _n in top if c in CHECKPOINTS)
        if areas:
            analysis.causes.append(f"主要集中在「{areas.most_common(1)[0][0]}」")
        topics = "、".join(checkpoint_name(c) for c, _n in top)
        analysis.action = f"培训主题:{topics};质检组复核相关话术并更新快捷短语,两周后复查触发率"
    return analysis


def qc_risks(session: Session, scope: Scope) -> Analysis:
    """高危风险项: risk sessions (投诉、举报、差评威胁 …) per subject and alert level, the main kinds."""
    analysis = Analysis("qc_risks", "高危风险项分析")
    overall: Counter[str] = Counter()
    for level in LEVELS:
        rows = repository.alert_rows(session, scope, level, {"n": func.count()}, kinds=True)
        per: dict[Subject, Counter[str]] = defaultdict(Counter)
        kinds: dict[Subject, Counter[str]] = defaultdict(Counter)
        for subject, row in rows:
            per[subject][str(row["alert_level"])] += int(row["n"])
            for kind in row["kinds"] or []:
                kinds[subject][RISK_KINDS.get(str(kind), str(kind))] += int(row["n"])
        table = DataTable(
            f"qc_risks_{level}",
            f"按{DIMENSIONS[level]}",
            ["对象", "风险会话", "高级", "中级", "初级", "主要风险项"],
        )
        ranked = []
        for subject in sorted(per, key=lambda s: (-sum(per[s].values()), s.name)):
            levels, total = per[subject], sum(per[subject].values())
            main = top_items(dict(kinds[subject]), 2)
            table.rows.append(
                [
                    subject.name,
                    total,
                    levels["high"],
                    levels["medium"],
                    levels["low"],
                    joined_names(main) or "—",
                ]
            )
            ranked.append(Ranked(subject, float(total), total, f"主要为{joined_names(main)}" if main else ""))
            if level == "platform":
                overall.update(kinds[subject])
        analysis.tables.append(table)
        named = [r for r in ranked if r.subject.ident is not None]
        if named and level != "platform":
            most = max(named, key=lambda r: (r.value, r.subject.name))
            analysis.causes.append(
                f"{most.subject.level_label}中「{most.subject.name}」风险会话最多({most.cases} 个)"
                + (f",{most.detail}" if most.detail else "")
            )
    top = top_items(dict(overall), 2)
    if top:
        total = sum(overall.values())
        analysis.causes.insert(
            0, "风险项以" + "、".join(f"「{k}」({percent(rate(n, total))})" for k, n in top) + "为主"
        )
        analysis.action = (
            f"高危会话 24 小时内由主管回访安抚;针对{joined_names(top)}开展升级处理与安抚话术培训"
        )
    return analysis


def _emotions_by_subject(session: Session, scope: Scope, level: str) -> dict[Subject, Counter[str]]:
    rows = repository.qc_rows(
        session, scope, level, {"n": func.count()}, by={"label": QC_RESULTS.c.emotion_label}
    )
    emotions: dict[Subject, Counter[str]] = defaultdict(Counter)
    for subject, row in rows:
        emotions[subject][str(row["label"])] += int(row["n"])
    return emotions


def qc_emotions(session: Session, scope: Scope) -> Analysis:
    """顾客情绪: positive (满意、感激、期待) and negative (态度、物流、产品、少件、其他) per subject."""
    analysis = Analysis("qc_emotions", "顾客情绪分析")
    overall: Counter[str] = Counter()
    for level in LEVELS:
        emotions = _emotions_by_subject(session, scope, level)
        table = DataTable(
            f"qc_emotions_{level}",
            f"按{DIMENSIONS[level]}",
            ["对象", "质检会话", "正面情绪", "负面情绪", "负面占比", "主要负面情绪", "主要正面情绪"],
        )
        ranked = []
        for subject in sorted(emotions, key=lambda s: (-sum(emotions[s].values()), s.name)):
            counts, total = emotions[subject], sum(emotions[subject].values())
            negative = {EMOTION_NAMES[k]: n for k, n in counts.items() if k in EMOTION_NAMES}
            positive = {POSITIVE_NAMES[k]: n for k, n in counts.items() if k in POSITIVE_NAMES}
            bad = sum(negative.values())
            main_bad, main_good = top_items(negative, 1), top_items(positive, 1)
            table.rows.append(
                [
                    subject.name,
                    total,
                    sum(positive.values()),
                    bad,
                    percent(rate(bad, total)),
                    main_bad[0][0] if main_bad else "—",
                    main_good[0][0] if main_good else "—",
                ]
            )
            detail = f"主要是{main_bad[0][0]}" if main_bad else ""
            ranked.append(Ranked(subject, rate(bad, total) or 0.0, total, detail))
            if level == "platform":
                overall.update(counts)
        analysis.tables.append(table)
        if sentence := compare_sentence(ranked, "负面情绪占比", lower_is_worse=False):
            analysis.causes.append(sentence)
    negatives = {k: n for k, n in overall.items() if k in EMOTION_NAMES}
    if negatives:
        label, n = top_items(negatives, 1)[0]
        share = percent(rate(n, sum(negatives.values())))
        analysis.causes.insert(0, f"负面情绪以「{EMOTION_NAMES[label]}」为主,占负面会话 {share}")
        analysis.action = EMOTION_ACTIONS[label]
    return analysis


def departments(session: Session, scope: Scope) -> Analysis:
    """协同部门质检点: 对产品 / 发货物流 / 收货少件不满 — their share of QC'd chats per subject and
    how strongly each goes with complaints (complaint rate of its chats over the period's rate)."""
    analysis = Analysis("qc_departments", "协同部门质检点分析")
    complained = func.count(case((repository.complained(), 1)))
    base = repository.qc_rows(session, scope, "platform", {"n": func.count(), "bad": complained})
    chats, complaints = sum(int(r["n"]) for _s, r in base), sum(int(r["bad"]) for _s, r in base)
    base_rate = rate(complaints, chats)
    overall: dict[str, list[int]] = {}
    for level in LEVELS:
        totals = {s: int(r["n"]) for s, r in repository.qc_rows(session, scope, level, {"n": func.count()})}
        rows = repository.qc_rows(
            session,
            scope,
            level,
            {"n": func.count(), "bad": complained},
            where=(QC_RESULTS.c.emotion_label.in_(DEPARTMENTS),),
            by={"label": QC_RESULTS.c.emotion_label},
        )
        table = DataTable(
            f"qc_departments_{level}",
            f"按{DIMENSIONS[level]}",
            ["对象", "协同项", "责任部门", "触发会话", "触发占比", "投诉率", "与投诉关联度(倍)"],
        )
        for subject, row in sorted(rows, key=lambda r: (r[0].name, -int(r[1]["n"]))):
            label, n, bad = str(row["label"]), int(row["n"]), int(row["bad"])
            lift = _lift(bad, n, base_rate)
            table.rows.append(
                [
                    subject.name,
                    EMOTION_NAMES[label],
                    DEPARTMENTS[label],
                    n,
                    percent(rate(n, totals.get(subject))),
                    percent(rate(bad, n)),
                    "—" if lift is None else round(lift, 2),
                ]
            )
            if level == "platform":
                counts = overall.setdefault(label, [0, 0])
                counts[0], counts[1] = counts[0] + n, counts[1] + bad
        analysis.tables.append(table)
    _department_causes(analysis, overall, chats, base_rate)
    return analysis


def _lift(bad: int, n: int, base_rate: float | None) -> float | None:
    here = rate(bad, n)
    return None if here is None or not base_rate else here / base_rate


def _department_causes(
    analysis: Analysis, overall: dict[str, list[int]], chats: int, base_rate: float | None
) -> None:
    if not overall:
        return
    label, (n, _bad) = max(overall.items(), key=lambda item: (item[1][0], item[0]))
    analysis.causes.append(
        f"「{EMOTION_NAMES[label]}」占比最高({percent(rate(n, chats))}),涉及{DEPARTMENTS[label]}"
    )
    lifts = {k: lift for k, (m, bad) in overall.items() if (lift := _lift(bad, m, base_rate)) is not None}
    tied = max(lifts, key=lambda k: (lifts[k], k)) if lifts else None
    if tied is not None and lifts[tied] > 1:
        analysis.causes.append(
            f"「{EMOTION_NAMES[tied]}」与投诉关联度最高(投诉率为整体的 {lifts[tied]:.1f} 倍),需重点关注"
        )
    elif lifts:
        analysis.causes.append("各协同项会话的投诉率均不高于整体,与投诉无明显关联")
    involved = "、".join(
        dict.fromkeys(DEPARTMENTS[k] for k, _v in sorted(overall.items(), key=lambda i: -i[1][0]))
    )
    analysis.action = f"按问题类型向{involved}发起批量质培,协同改善服务质量和效率"


def qc_alerts(session: Session, scope: Scope) -> Analysis:
    """告警项: 初级 / 中级 / 高级 alerts of the period's chats, their TOP items and completion."""
    analysis = Analysis("qc_alerts", "告警项分析")
    alerts = repository.alert_kinds(session, scope)
    summary = DataTable(
        "qc_alert_levels", "各等级告警", ["等级", "告警数", "占比", "已完结", "完结率", "TOP 告警项"]
    )
    completion: dict[str, float] = {}
    for level in ("low", "medium", "high"):
        mine = [(kinds, closed) for lv, kinds, closed in alerts if lv == level]
        closed = sum(1 for _k, c in mine if c)
        kinds = Counter(RISK_KINDS.get(k, k) for ks, _c in mine for k in ks)
        summary.rows.append(
            [
                ALERT_LEVELS[level],
                len(mine),
                percent(rate(len(mine), len(alerts))),
                closed,
                percent(rate(closed, len(mine))),
                joined_names(top_items(dict(kinds))) or "—",
            ]
        )
        if mine:
            completion[level] = closed / len(mine)
    analysis.tables.append(summary)
    for level in LEVELS:
        analysis.tables.append(_alerts_per_subject(session, scope, level))
    _alert_causes(analysis, alerts, completion)
    return analysis


def _alerts_per_subject(session: Session, scope: Scope, level: str) -> DataTable:
    closed = func.count(QC_ALERTS.c.closed_at)
    rows = repository.alert_rows(session, scope, level, {"n": func.count(), "closed": closed})
    per: dict[Subject, dict[str, list[int]]] = defaultdict(dict)
    for subject, row in rows:
        per[subject][str(row["alert_level"])] = [int(row["n"]), int(row["closed"])]
    table = DataTable(
        f"qc_alerts_{level}",
        f"按{DIMENSIONS[level]}",
        ["对象", "初级", "中级", "高级", "已完结", "完结率"],
    )
    for subject in sorted(per, key=lambda s: (-sum(v[0] for v in per[s].values()), s.name)):
        counts = per[subject]
        total, done = sum(v[0] for v in counts.values()), sum(v[1] for v in counts.values())
        cells = [counts.get(lv, [0, 0])[0] for lv in ("low", "medium", "high")]
        table.rows.append([subject.name, *cells, done, percent(rate(done, total))])
    return table


def _alert_causes(
    analysis: Analysis, alerts: list[tuple[str, list[str], bool]], completion: dict[str, float]
) -> None:
    if not alerts:
        return
    analysis.causes.append(f"共 {len(alerts)} 个质检告警,完结 {sum(1 for a in alerts if a[2])} 个")
    if len(set(completion.values())) >= 2:
        best = max(completion, key=lambda lv: (completion[lv], lv))
        worst = min(completion, key=lambda lv: (completion[lv], lv))
        analysis.causes.append(
            f"{ALERT_LEVELS[best]}告警完结率最高({percent(completion[best])}),"
            f"{ALERT_LEVELS[worst]}告警最低({percent(completion[worst])})"
        )
    open_high = sum(1 for lv, _k, closed in alerts if lv == "high" and not closed)
    open_all = sum(1 for _lv, _k, closed in alerts if not closed)
    if open_all:
        analysis.action = (
            f"未完结告警 {open_all} 个(其中高级 {open_high} 个),指定主管跟进,高级告警 24 小时内完结并回访"
        )
