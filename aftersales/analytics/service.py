"""Targets (考核值) and below-target alerts: the only writes analytics makes, to its own tables.

Alerts go through ``tickets.service.notify_group`` (the outbox) to the supervisors' group bots and
to the bots of the subject's own team (the agent's ticket group, or the group itself), and to the
agent on their own scorecard page; a rerun of the same period alerts nobody twice.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.analytics import repository, scorecards
from aftersales.analytics.errors import UnknownMetricError
from aftersales.analytics.models import MetricTarget, ScorecardAlert
from aftersales.analytics.scope import Scope
from aftersales.kit.errors import InvalidInputError
from aftersales.kit.time import utcnow
from aftersales.kit.upsert import insert_ignore
from aftersales.tickets.service import notify_group

SUPERVISORS_GROUP = "supervisors"


def set_target(
    session: Session, *, metric: str, level: str, value: float, subject: str = "", actor_id: int | None = None
) -> MetricTarget:
    """Create or change one target; ``subject`` "" is the level's default."""
    if metric not in scorecards.METRICS:
        raise UnknownMetricError(metric)
    if level not in scorecards.LEVELS:
        raise InvalidInputError("level", f"未知层级 {level}")
    if scorecards.METRICS[metric].is_rate and not 0 <= value <= 1:
        raise InvalidInputError("value", "比率类指标的考核值应在 0 到 1 之间")
    row = session.scalar(
        select(MetricTarget).where(
            MetricTarget.metric == metric, MetricTarget.level == level, MetricTarget.subject == subject
        )
    )
    if row is None:
        row = MetricTarget(metric=metric, level=level, subject=subject, value=value, updated_by_id=actor_id)
        session.add(row)
    else:
        row.value, row.updated_by_id = value, actor_id
    session.flush()
    return row


def targets_for(session: Session, *, level: str) -> dict[str, dict[str, float]]:
    """``{subject: {metric: target}}`` with "" for the level default (built-in defaults underneath)."""
    result: dict[str, dict[str, float]] = {"": dict(scorecards.DEFAULT_TARGETS)}
    for row in session.scalars(select(MetricTarget).where(MetricTarget.level == level)):
        result.setdefault(row.subject, {})[row.metric] = row.value
    return result


# The figures a lead checks every morning (seed 004's KPIs), in the home card's order.
HOME_METRICS = ("first_response", "satisfaction_rate", "sla_breaches", "qc_score")


@dataclass(frozen=True)
class KpiCell:
    text: str
    target: str
    below: bool


@dataclass(frozen=True)
class KpiBoard:
    """Today's KPIs per shop against their targets (考核值), for the supervisors' home page."""

    day: date
    labels: list[str]
    rows: list[tuple[str, list[KpiCell]]]


def today_kpis(session: Session, *, day: date) -> KpiBoard:
    """Each shop's figures of ``day`` beside the shop-level targets; a figure short of its target is
    marked ``below``. A shop with no activity that day has no row."""
    targets = targets_for(session, level="shop")
    metrics = [scorecards.METRICS[code] for code in HOME_METRICS]
    rows = []
    for subject in scorecards.compute(session, Scope(day, day), level="shop"):
        cells = []
        for metric in metrics:
            value = subject.values.get(metric.code)
            target = scorecards.target_of(targets, subject.key, metric.code)
            below = value is not None and target is not None and metric.below(value, target)
            shown_target = metric.format(target) if target is not None else "—"
            cells.append(KpiCell(metric.format(value) if value is not None else "—", shown_target, below))
        rows.append((subject.key, cells))
    return KpiBoard(day, [m.label for m in metrics], rows)


def check_targets(session: Session, *, start: date, end: date, level: str = "agent") -> list[ScorecardAlert]:
    """Raise an alert for each subject short of a target with at least ``MIN_SAMPLE`` cases behind it."""
    subjects = scorecards.compute(session, Scope(start, end), level=level)
    targets = targets_for(session, level=level)
    now = utcnow()
    rows = []
    for subject in subjects:
        for code, actual in subject.values.items():
            target = scorecards.target_of(targets, subject.key, code)
            metric = scorecards.METRICS[code]
            if actual is None or target is None or subject.samples.get(code, 0) < scorecards.MIN_SAMPLE:
                continue
            if metric.below(actual, target):
                rows.append(
                    {
                        "metric": code,
                        "level": level,
                        "subject": subject.key,
                        "period_start": start,
                        "period_end": end,
                        "actual": actual,
                        "target": target,
                        "sample": subject.samples.get(code, 0),
                        "agent_id": subject.agent_id,
                        "notified": False,
                        "created_at": now,
                    }
                )
    before = set(
        session.scalars(
            select(ScorecardAlert.id).where(
                ScorecardAlert.period_start == start, ScorecardAlert.period_end == end
            )
        )
    )
    insert_ignore(
        session,
        ScorecardAlert,
        rows,
        conflict_columns=("metric", "level", "subject", "period_start", "period_end"),
    )
    created = list(
        session.scalars(
            select(ScorecardAlert)
            .where(
                ScorecardAlert.period_start == start,
                ScorecardAlert.period_end == end,
                ScorecardAlert.level == level,
            )
            .where(ScorecardAlert.id.not_in(before) if before else ScorecardAlert.id.is_not(None))
            .order_by(ScorecardAlert.id)
        )
    )
    for alert in created:
        _notify(session, alert)
    return created


def alert_text(alert: ScorecardAlert) -> str:
    metric = scorecards.METRICS[alert.metric]
    period = f"{alert.period_start:%m-%d}" + (
        "" if alert.period_end == alert.period_start else f"至{alert.period_end:%m-%d}"
    )
    return (
        f"【考核提醒】{scorecards.DIMENSIONS[alert.level]}「{alert.subject}」{period} {metric.label} "
        f"{metric.format(alert.actual)},未达考核值 {metric.format(alert.target)}"
        f"({alert.sample} 例),请关注并改进。"
    )


def _notify(session: Session, alert: ScorecardAlert) -> None:
    """To the supervisors' bots and the subject's team bots (outbox); the agent sees it on their page."""
    team = repository.team_group_code(
        session, level=alert.level, subject=alert.subject, agent_id=alert.agent_id
    )
    sent = 0
    for code in dict.fromkeys([SUPERVISORS_GROUP, *([team] if team else [])]):
        sent += notify_group(
            session,
            group_code=code,
            text=alert_text(alert),
            idempotency_key=f"analytics:alert:{alert.id}:{code}",
            subject=("scorecard_alert", alert.id),
        )
    alert.notified = bool(sent)
    session.flush()


def alerts_for_agent(session: Session, *, agent_id: int, limit: int = 20) -> list[ScorecardAlert]:
    statement = select(ScorecardAlert).where(ScorecardAlert.agent_id == agent_id)
    return list(session.scalars(statement.order_by(ScorecardAlert.created_at.desc()).limit(limit)))


def recent_alerts(session: Session, *, limit: int = 50) -> list[ScorecardAlert]:
    return list(
        session.scalars(select(ScorecardAlert).order_by(ScorecardAlert.created_at.desc()).limit(limit))
    )
