from datetime import timedelta

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
from aftersales.tickets.service import group_by_code
from tests.analytics.conftest import PEAK, at
from tests.builders import (
    make_bot,
    make_chat_row,
    make_invitation_row,
    make_qc_row,
    make_shop,
    make_ticket_row,
    make_user,
)


def _agent_day(session: Session, agent: User, first_responses: list[int]) -> None:
    shop = make_shop(session)
    for n, seconds in enumerate(first_responses):
        make_chat_row(
            session, shop=shop, started_at=at(9 + n), agent_id=agent.id, first_response_seconds=seconds
        )


def _works_in(session: Session, agent: User, group_code: str, tickets: int = 1) -> None:
    group = group_by_code(session, group_code)
    for _ in range(tickets):
        make_ticket_row(session, created_at=at(8, day=1), assignee_id=agent.id, group_id=group.id)


def _subject(session: Session, scope: Scope, name: str, level: str = "agent") -> scorecards.Subject:
    subjects = scorecards.compute(session, scope, level=level)
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

    def test_first_contact_resolution_is_the_same_shanghai_day_to_the_millisecond(
        self, session: Session, peak_scope: Scope
    ) -> None:
        """Same local day: 00:00 to 23:59:59.999, and 07:59 to 08:01 across UTC midnight.
        Not: 23:59:59.999 to 00:00 next day, and 23:00 to 01:00 within one UTC day."""
        agent = make_user(session, display_name="小吴")
        last_moment = timedelta(seconds=59, milliseconds=999)
        for created, resolved in [
            (at(0), at(23, 59) + last_moment),
            (at(7, 59), at(8, 1)),
            (at(23, 59) + last_moment, at(0, day=12)),
            (at(23), at(1, day=12)),
        ]:
            make_ticket_row(session, created_at=created, assignee_id=agent.id, resolved_at=resolved)
        assert _subject(session, peak_scope, "小吴").values["fcr"] == 0.5

    def test_average_response_is_the_mean_of_the_chats_averages(
        self, session: Session, peak_scope: Scope
    ) -> None:
        agent = make_user(session, display_name="小赵")
        for n, seconds in enumerate([10, 20, 45]):
            make_chat_row(session, started_at=at(9 + n), agent_id=agent.id, avg_response_seconds=seconds)
        assert _subject(session, peak_scope, "小赵").values["avg_response"] == 25

    def test_rating_rates_use_invited_rated_and_final_stars(
        self, session: Session, peak_scope: Scope
    ) -> None:
        """5 eligible, 4 invited, 3 rated (5, 2 recovered to 4, 1): 80%, 75%, 2/3 satisfied, 1/3 negative."""
        agent = make_user(session, display_name="小钱")
        for invited, stars, final in [
            (False, None, None),
            (True, None, None),
            (True, 5, None),
            (True, 2, 4),
            (True, 1, None),
        ]:
            make_invitation_row(
                session,
                eligible_at=at(10),
                agent_id=agent.id,
                invited_at=at(10) if invited else None,
                stars=stars,
                final_stars=final,
            )
        values = _subject(session, peak_scope, "小钱").values
        assert [values[m] for m in ("invite_rate", "rating_rate")] == [0.8, 0.75]
        assert [values[m] for m in ("satisfaction_rate", "negative_rate")] == pytest.approx([2 / 3, 1 / 3])

    def test_qc_score_is_the_mean_of_the_inspected_chats(self, session: Session, peak_scope: Scope) -> None:
        agent = make_user(session, display_name="小孙")
        for n, score in enumerate([90, 70, 80]):
            make_qc_row(
                session, chat=make_chat_row(session, started_at=at(9 + n), agent_id=agent.id), score=score
            )
        assert _subject(session, peak_scope, "小孙").values["qc_score"] == 80

    def test_group_level_counts_chats_under_the_group_the_agent_works_most(
        self, session: Session, peak_scope: Scope
    ) -> None:
        agent = make_user(session)
        _works_in(session, agent, "vip", tickets=2)
        _works_in(session, agent, "aftersales")
        _agent_day(session, agent, [10, 30])
        values = _subject(session, peak_scope, "VIP组", level="group").values
        assert (values["receptions"], values["first_response"]) == (2, 20)

    def test_group_level_names_invitation_groups_by_the_group_name(
        self, session: Session, peak_scope: Scope
    ) -> None:
        make_invitation_row(session, eligible_at=at(10), group_code="vip", invited_at=at(10))
        assert _subject(session, peak_scope, "VIP组", level="group").values["invite_rate"] == 1

    def test_chats_of_an_agent_without_tickets_are_unassigned_at_group_level(
        self, session: Session, peak_scope: Scope
    ) -> None:
        _agent_day(session, make_user(session), [10])
        assert _subject(session, peak_scope, "未分配", level="group").values["receptions"] == 1

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

    def test_alert_also_goes_to_the_bots_of_the_agents_own_group(self, session: Session) -> None:
        bot = make_bot(session, group_code="vip", channel="dingtalk")
        agent = make_user(session, display_name="小郑")
        _works_in(session, agent, "vip")
        _agent_day(session, agent, [30] * 5)
        service.check_targets(session, start=PEAK, end=PEAK)
        message = session.scalars(select(OutboxMessage).where(OutboxMessage.channel == bot.channel)).one()
        assert "小郑" in str(message.payload)

    def test_group_below_target_alerts_that_groups_bots(self, session: Session) -> None:
        bot = make_bot(session, group_code="vip", channel="feishu")
        agent = make_user(session)
        _works_in(session, agent, "vip")
        _agent_day(session, agent, [30] * 5)
        [alert] = service.check_targets(session, start=PEAK, end=PEAK, level="group")
        message = session.scalars(select(OutboxMessage).where(OutboxMessage.channel == bot.channel)).one()
        assert alert.subject == "VIP组"
        assert "VIP组" in str(message.payload)

    def test_agent_sees_their_own_alerts(self, session: Session) -> None:
        agent = make_user(session)
        _agent_day(session, agent, [30] * 5)
        service.check_targets(session, start=PEAK, end=PEAK)
        assert [a.agent_id for a in service.alerts_for_agent(session, agent_id=agent.id)] == [agent.id]

    def test_daily_job_checks_every_level(self, session: Session) -> None:
        result = check_targets(session)
        assert set(result["alerts"]) == {"platform", "shop", "group", "agent"}
