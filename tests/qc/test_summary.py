"""QC aggregates per platform / shop / group / agent over a date range, counted by hand on crafted chats.

SLOW fails 结束语 and 首响 (40 s); GOOD passes everything; UPSET is one negative 物流 message that
fails 结束语, 情绪安抚 and 提供方案; THANKS is one positive 感激 message; THREAT raises a high alert.
"""

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Platform
from aftersales.kit.time import utcnow
from aftersales.qc import alerts, repository
from aftersales.qc.models import QcAlert
from aftersales.tickets.models import Shift
from aftersales.tickets.shifts.service import set_roster
from tests.builders import make_chat, make_shop, make_user

SLOW = [("customer", 0, "在吗"), ("agent", 40, "您好")]
GOOD = [("customer", 0, "在吗"), ("agent", 5, "您好，还有其他问题随时联系")]
UPSET = [("customer", 0, "快递太慢了，我很生气"), ("agent", 5, "您好，非常抱歉")]
THANKS = [("customer", 0, "太感谢了，你们服务真好"), ("agent", 5, "不客气，还有其他问题随时联系")]
THREAT = [("customer", 0, "再不处理我就去12315投诉"), ("agent", 5, "您好")]


def by(name: str, **period: Any) -> dict[str, Any]:
    return {"dimension": repository.dimension(name), **period}


def of_keys(rows: list[dict[str, Any]], *keys: Any) -> list[tuple[Any, ...]]:
    """The rows of the given dimension values, without their key column names."""
    return [tuple(row.values()) for row in rows if row["key"] in keys]


class TestTopFailedCheckpoints:
    def test_counts_failed_checkpoints_per_shop(self, session: Session) -> None:
        busy, calm = make_shop(session), make_shop(session)
        for lines in (SLOW, SLOW, UPSET):
            make_chat(session, lines, shop=busy)
        make_chat(session, GOOD, shop=calm)
        rows = repository.top_failed_checkpoints(session, **by("shop"))
        assert of_keys(rows, busy.id, calm.id) == [
            (busy.id, "closing", 3),
            (busy.id, "first_response", 2),
            (busy.id, "emotion_resolved", 1),
            (busy.id, "offered_solution", 1),
        ]

    def test_keeps_the_most_failed_of_each_value_up_to_the_limit(self, session: Session) -> None:
        one, other = make_shop(session), make_shop(session)
        for shop, lines in ((one, SLOW), (one, UPSET), (other, UPSET)):
            make_chat(session, lines, shop=shop)
        rows = repository.top_failed_checkpoints(session, **by("shop"), limit=1)
        assert of_keys(rows, one.id, other.id) == [(one.id, "closing", 2), (other.id, "closing", 1)]

    def test_counts_only_sessions_started_in_the_range(self, session: Session) -> None:
        shop = make_shop(session)
        now = utcnow()
        make_chat(session, SLOW, shop=shop, start=now - timedelta(days=3))
        make_chat(session, SLOW, shop=shop, start=now - timedelta(hours=1))
        rows = repository.top_failed_checkpoints(session, **by("shop", since=now - timedelta(days=1)))
        assert of_keys(rows, shop.id) == [(shop.id, "closing", 1), (shop.id, "first_response", 1)]


class TestEmotionShares:
    def test_counts_customer_messages_per_agent(self, session: Session) -> None:
        shop, upset_agent, thanked_agent = make_shop(session), make_user(session), make_user(session)
        for lines, agent in ((UPSET, upset_agent), (UPSET, upset_agent), (THANKS, thanked_agent)):
            make_chat(session, lines, shop=shop, agent_id=agent.id)
        rows = repository.emotion_shares(session, **by("agent"))
        assert sorted(of_keys(rows, upset_agent.id, thanked_agent.id)) == [
            (upset_agent.id, "negative", "物流", 2),
            (thanked_agent.id, "positive", "感激", 1),
        ]

    def test_groups_agents_by_their_rostered_shift(self, session: Session) -> None:
        shift = Shift(code="qc-early", name="质检早班", start_minute=480, end_minute=960)
        session.add(shift)
        session.flush()
        rostered, unrostered = make_user(session), make_user(session)
        set_roster(session, user_id=rostered.id, shift_id=shift.id)
        make_chat(session, UPSET, agent_id=rostered.id)
        make_chat(session, THANKS, agent_id=rostered.id)
        make_chat(session, UPSET, agent_id=unrostered.id)
        rows = repository.emotion_shares(session, **by("group"))
        assert sorted(of_keys(rows, "质检早班")) == [
            ("质检早班", "negative", "物流", 1),
            ("质检早班", "positive", "感激", 1),
        ]

    def test_counts_only_messages_sent_in_the_range(self, session: Session) -> None:
        shop, now = make_shop(session), utcnow()
        make_chat(session, UPSET, shop=shop, start=now - timedelta(days=3))
        make_chat(session, UPSET, shop=shop, start=now - timedelta(hours=1))
        rows = repository.emotion_shares(session, **by("shop", until=now - timedelta(days=1)))
        assert of_keys(rows, shop.id) == [(shop.id, "negative", "物流", 1)]


class TestRiskCounts:
    def test_counts_raised_and_closed_alerts_per_platform(self, session: Session) -> None:
        jd, douyin = make_shop(session, platform=Platform.JD), make_shop(session, platform=Platform.DOUYIN)
        closed = make_chat(session, THREAT, shop=jd)
        make_chat(session, THREAT, shop=jd)
        make_chat(session, GOOD, shop=douyin)
        alert = session.scalar(select(QcAlert).where(QcAlert.session_id == closed.id))
        assert alert is not None
        alerts.close(session, alert_id=alert.id, user=make_user(session), note="已安抚,顾客撤回投诉")
        rows = repository.risk_counts(session, **by("platform"))
        assert of_keys(rows, "jd", "douyin") == [("jd", "high", 2, 1)]
