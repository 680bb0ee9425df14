"""Training plans from QC findings (培训计划与带教).

* A plan per agent and period: the checkpoints the agent failed most in the sessions of the
  period (the same ranking as the QC dashboard's TOP checkpoints), each with the course of the
  catalogue that teaches it and up to three example sessions (the lowest-scored first) to go
  through with the supervisor.
* The catalogue defaults to the four 课件 of seed 004 (售后接待流程, 售后话术FAQ及处理逻辑,
  售后客服质检标准, 售后处理流程标准), seeded by migration 0961; each names the checkpoints it
  teaches. Shops add their own courses (``courses.py``); retired ones are not picked any more.
* 带教 after a promotion: agents are ranked by their mean QC score over the period (at least
  ``MIN_SESSIONS`` sessions, so one bad chat does not make a tail agent); the bottom quarter is
  paired with the top quarter, worst with best, and the mentor is written on the tail agent's plan.
* Completion is per topic: the agent (or a supervisor) marks a topic done; a plan's progress is
  the share of its topics done.
"""

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role, User
from aftersales.kit.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from aftersales.kit.time import utcnow
from aftersales.qc import repository
from aftersales.qc.models import QcFinding, QcSessionResult
from aftersales.qc.training_models import TrainingCourse, TrainingPlan, TrainingTopic

TOPICS_PER_PLAN = 3
EXAMPLES_PER_TOPIC = 3
MIN_SESSIONS = 3

DEFAULT_COURSES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    (
        "reception_flow",
        "售后接待流程",
        "客户进线到完结的 7 大接待步骤标准",
        ("greeting", "closing", "first_response", "response_time", "long_silence"),
    ),
    (
        "faq_scripts",
        "售后话术FAQ及处理逻辑",
        "售后高频场景快捷话术",
        ("offered_solution", "emotion_resolved"),
    ),
    (
        "qc_standard",
        "售后客服质检标准",
        "售后处理接待质检标准要求",
        ("banned_words", "promise", "no_risk"),
    ),
    (
        "handling_flow",
        "售后处理流程标准",
        "售后处理流程方案及注意事项",
        ("explained_policy", "ticket_when_needed"),
    ),
)


@dataclass(frozen=True)
class AgentScore:
    agent_id: int
    sessions: int
    average: float


def _check_period(since: datetime, until: datetime) -> None:
    if until <= since:
        raise InvalidInputError("period_end", "结束日期须晚于开始日期")


def courses(session: Session) -> list[TrainingCourse]:
    """The course catalogue, in the order it was listed."""
    return list(session.scalars(select(TrainingCourse).order_by(TrainingCourse.id)))


def course_for(session: Session) -> dict[str, TrainingCourse]:
    """Checkpoint code → the catalogue course that teaches it (the first one listed wins); a
    retired course teaches nothing new."""
    mapping: dict[str, TrainingCourse] = {}
    for course in courses(session):
        if course.retired_at is not None:
            continue
        for code in course.checkpoints:
            mapping.setdefault(code, course)
    return mapping


def agent_scores(session: Session, *, since: datetime, until: datetime) -> list[AgentScore]:
    """Agents with inspected sessions in the period, best mean score first."""
    rows = session.execute(
        select(QcSessionResult.agent_id, func.count(), func.avg(QcSessionResult.score))
        .where(
            QcSessionResult.agent_id.is_not(None),
            QcSessionResult.started_at >= since,
            QcSessionResult.started_at < until,
        )
        .group_by(QcSessionResult.agent_id)
    )
    scores = [AgentScore(agent, count, float(avg)) for agent, count, avg in rows]
    return sorted(scores, key=lambda s: (-s.average, s.agent_id))


def _examples(
    session: Session, *, agent_id: int, codes: list[str], since: datetime, until: datetime
) -> dict[str, list[int]]:
    """Up to ``EXAMPLES_PER_TOPIC`` failed sessions per checkpoint, lowest score first."""
    rows = session.execute(
        select(QcFinding.code, QcSessionResult.session_id)
        .join(QcSessionResult, QcSessionResult.session_id == QcFinding.session_id)
        .where(
            QcSessionResult.agent_id == agent_id,
            QcFinding.code.in_(codes),
            QcFinding.final_passed.is_(False),
            QcSessionResult.started_at >= since,
            QcSessionResult.started_at < until,
        )
        .order_by(QcSessionResult.score, QcSessionResult.session_id)
    )
    examples: dict[str, list[int]] = defaultdict(list)
    for code, session_id in rows:
        if len(examples[code]) < EXAMPLES_PER_TOPIC:
            examples[code].append(session_id)
    return examples


def _failures_by_agent(
    session: Session, *, since: datetime, until: datetime
) -> dict[int, list[tuple[str, int]]]:
    rows = repository.top_failed_checkpoints(
        session, dimension=QcSessionResult.agent_id, since=since, until=until, limit=TOPICS_PER_PLAN
    )
    failures: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for row in rows:
        if row["key"] is not None:
            failures[row["key"]].append((row["code"], row["failed"]))
    return failures


def _make_plan(
    session: Session,
    *,
    score: AgentScore,
    failures: list[tuple[str, int]],
    since: datetime,
    until: datetime,
    created_by: int | None,
) -> TrainingPlan:
    plan = TrainingPlan(
        agent_id=score.agent_id,
        period_start=since,
        period_end=until,
        sessions=score.sessions,
        average_score=round(score.average),
        created_by=created_by,
    )
    session.add(plan)
    session.flush()
    courses = course_for(session)
    codes = [code for code, _ in failures]
    examples = _examples(session, agent_id=score.agent_id, codes=codes, since=since, until=until)
    for code, count in failures:
        course = courses.get(code)
        session.add(
            TrainingTopic(
                plan_id=plan.id,
                checkpoint=code,
                course_code=course.code if course else None,
                failures=count,
                example_sessions=examples.get(code, []),
            )
        )
    return plan


def pairings(scores: list[AgentScore]) -> dict[int, int]:
    """Tail agent → mentor: the bottom quarter paired with the top quarter, worst with best."""
    ranked = [s for s in scores if s.sessions >= MIN_SESSIONS]
    size = math.floor(len(ranked) / 4) or (1 if len(ranked) >= 2 else 0)
    top, tail = ranked[:size], list(reversed(ranked[-size:])) if size else []
    return {low.agent_id: high.agent_id for low, high in zip(tail, top, strict=True)}


def generate(
    session: Session, *, since: datetime, until: datetime, created_by: int | None
) -> list[TrainingPlan]:
    """A plan for every agent who failed a checkpoint in the period, tail agents with a mentor."""
    _check_period(since, until)
    scores = agent_scores(session, since=since, until=until)
    failures = _failures_by_agent(session, since=since, until=until)
    mentors = pairings(scores)
    plans = []
    for score in scores:
        if score.agent_id not in failures and score.agent_id not in mentors:
            continue
        plan = _make_plan(
            session,
            score=score,
            failures=failures.get(score.agent_id, []),
            since=since,
            until=until,
            created_by=created_by,
        )
        plan.mentor_id = mentors.get(score.agent_id)
        plans.append(plan)
    session.flush()
    return plans


def get_plan(session: Session, plan_id: int) -> TrainingPlan:
    plan = session.get(TrainingPlan, plan_id)
    if plan is None:
        raise NotFoundError("培训计划不存在")
    return plan


def topics(session: Session, plan_ids: list[int]) -> dict[int, list[TrainingTopic]]:
    grouped: dict[int, list[TrainingTopic]] = {plan_id: [] for plan_id in plan_ids}
    query = (
        select(TrainingTopic)
        .where(TrainingTopic.plan_id.in_(plan_ids))
        .order_by(TrainingTopic.failures.desc())
    )
    for topic in session.scalars(query):
        grouped[topic.plan_id].append(topic)
    return grouped


def complete_topic(session: Session, *, topic_id: int, user: User) -> TrainingTopic:
    """Mark a topic done (once: the first completion's time and person are kept)."""
    topic = session.get(TrainingTopic, topic_id)
    if topic is None:
        raise NotFoundError("培训主题不存在")
    plan = get_plan(session, topic.plan_id)
    if plan.agent_id != user.id and not user.role.at_least(Role.SUPERVISOR):
        raise PermissionDeniedError("只能完成自己的培训主题")
    if topic.completed_at is None:
        topic.completed_at, topic.completed_by = utcnow(), user.id
        session.flush()
    return topic


def plans(session: Session, *, agent_id: int | None = None) -> list[TrainingPlan]:
    query = select(TrainingPlan).order_by(TrainingPlan.period_end.desc(), TrainingPlan.average_score)
    if agent_id is not None:
        query = query.where((TrainingPlan.agent_id == agent_id) | (TrainingPlan.mentor_id == agent_id))
    return list(session.scalars(query))
