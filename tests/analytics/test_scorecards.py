import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.analytics import scorecards, service
from aftersales.analytics.errors import UnknownMetricError
from aftersales.analytics.jobs import check_targets
from aftersales.analytics.models import ScorecardAlert
from aftersales.analytics.scope import Scope
from aftersales.auth.models import User
from aftersales.kit.errors import InvalidInputError
from aftersales.messaging.models import OutboxMessage
from tests.analytics.conftest import PEAK, at
from tests.builders import make_bot, make_chat_row, make_shop, make_ticket_row, make_user


def _agent_day(session: Session, agent: User, first_responses: list[int]) -> None:
    shop = make_shop(session)
    for n, seconds in enumerate(first_responses):
        make_chat_row(
            session, shop=shop, started_at=at(9 + n), agent_id=agent.id, first_response_seconds=seconds
        )


def _subject(session: Session, scope: Scope, name: str, level: str = "agent") -> scorecards.Subject:
    subjects, _ = scorecards.compute(session, scope, level=level)
    return next(s for s in subjects if s.key == name)


class TestScorecardArithmetic:
    def test_receptions_and_average_first_response_per_agent(
        self, session: Session, peak_scope: Scope
    ) -> None:
        agent = make_user(session, display_name="小王")
        _agent_day(session, agent, [10, 20, 60])
        subject = _subject(session, peak_scope, "小王")
        assert (subject.values["receptions"], subject.values["first_response"]) == (3, 30)
        assert subject.agent_id == agent.id

    def test_ticket_metrics_per_agent(self, session: Session, peak_scope: Scope) -> None:
        agent = make_user(session, display_name="小李")
        make_ticket_row(
            session, created_at=at(9), assignee_id=agent.id, resolved_at=at(10), first_responded_at=at(9, 30)
        )
        make_ticket_row(
            session,
            created_at=at(9),
            assignee_id=agent.id,
            resolved_at=at(9, day=12),
            first_responded_at=at(9, 10),
            sla_breached=True,
        )
        values = _subject(session, peak_scope, "小李").values
        assert values["tickets"] == 2
        assert values["fcr"] == 0.5
        assert values["sla_breaches"] == 1
        assert values["ticket_first_response"] == pytest.approx(20.0)

    def test_shop_level_groups_by_shop_name(self, session: Session, peak_scope: Scope) -> None:
        shop = make_shop(session, name="旗舰店")
        make_chat_row(session, shop=shop, started_at=at(9))
        make_chat_row(session, shop=shop, started_at=at(10))
        assert _subject(session, peak_scope, "旗舰店", level="shop").values["receptions"] == 2

    def test_below_target_cells_are_marked(self, session: Session, peak_scope: Scope) -> None:
        _agent_day(session, make_user(session, display_name="小陈"), [40, 40])
        result = scorecards.scorecards(session, peak_scope, targets={"": {"first_response": 20}})
        column = result.tables[0].columns.index("平均首响(秒)")
        assert (0, column) in result.data["below"]

    def test_subject_target_marks_only_that_subject(self, session: Session, peak_scope: Scope) -> None:
        _agent_day(session, make_user(session, display_name="严格"), [15, 15])
        _agent_day(session, make_user(session, display_name="普通"), [15, 15])
        result = scorecards.scorecards(session, peak_scope, targets={"": {}, "严格": {"first_response": 10}})
        column = result.tables[0].columns.index("平均首响(秒)")
        rows = [r[0] for r in result.tables[0].rows]
        assert result.data["below"] == {(rows.index("严格"), column)}

    def test_unknown_level_is_refused(self, session: Session, peak_scope: Scope) -> None:
        with pytest.raises(ValueError, match="未知层级"):
            scorecards.compute(session, peak_scope, level="planet")


class TestTargets:
    def test_subject_target_overrides_the_level_default(self, session: Session) -> None:
        service.set_target(session, metric="first_response", level="agent", value=30)
        service.set_target(session, metric="first_response", level="agent", subject="小王", value=15)
        targets = service.targets_for(session, level="agent")
        assert scorecards.target_of(targets, "小王", "first_response") == 15
        assert scorecards.target_of(targets, "小李", "first_response") == 30

    def test_builtin_default_is_seed_004_twenty_seconds(self, session: Session) -> None:
        assert (
            scorecards.target_of(service.targets_for(session, level="agent"), "任何人", "first_response")
            == 20
        )

    def test_unknown_metric_is_refused(self, session: Session) -> None:
        with pytest.raises(UnknownMetricError):
            service.set_target(session, metric="happiness", level="agent", value=1)

    def test_rate_target_above_one_is_refused(self, session: Session) -> None:
        with pytest.raises(InvalidInputError, match="value"):
            service.set_target(session, metric="satisfaction_rate", level="agent", value=90)


class TestAlerts:
    def test_agent_below_target_gets_an_alert_naming_the_metric(self, session: Session) -> None:
        _agent_day(session, make_user(session, display_name="小周"), [30] * 5)
        alerts = service.check_targets(session, start=PEAK, end=PEAK)
        assert [(a.subject, a.metric, a.actual, a.target) for a in alerts] == [
            ("小周", "first_response", 30, 20)
        ]
        assert "平均首响(秒) 30,未达考核值 20" in service.alert_text(alerts[0])

    def test_agent_meeting_the_target_gets_none(self, session: Session) -> None:
        _agent_day(session, make_user(session), [10] * 5)
        assert service.check_targets(session, start=PEAK, end=PEAK) == []

    def test_too_few_cases_raise_no_alert(self, session: Session) -> None:
        _agent_day(session, make_user(session), [90] * (scorecards.MIN_SAMPLE - 1))
        assert service.check_targets(session, start=PEAK, end=PEAK) == []

    def test_rerun_for_the_same_period_alerts_once(self, session: Session) -> None:
        _agent_day(session, make_user(session), [30] * 5)
        service.check_targets(session, start=PEAK, end=PEAK)
        assert service.check_targets(session, start=PEAK, end=PEAK) == []
        assert len(session.scalars(select(ScorecardAlert)).all()) == 1

    def test_alert_is_queued_to_the_supervisors_group_bot(self, session: Session) -> None:
        bot = make_bot(session, group_code="supervisors")
        _agent_day(session, make_user(session, display_name="小吴"), [30] * 5)
        alert = service.check_targets(session, start=PEAK, end=PEAK)[0]
        message = session.scalars(select(OutboxMessage).where(OutboxMessage.channel == bot.channel)).one()
        assert alert.notified
        assert "小吴" in str(message.payload)

    def test_agent_sees_their_own_alerts(self, session: Session) -> None:
        agent = make_user(session)
        _agent_day(session, agent, [30] * 5)
        service.check_targets(session, start=PEAK, end=PEAK)
        assert [a.agent_id for a in service.alerts_for_agent(session, agent_id=agent.id)] == [agent.id]

    def test_daily_job_checks_yesterday(self, session: Session) -> None:
        result = check_targets(session)
        assert set(result["alerts"]) == {"agent", "shop"}
