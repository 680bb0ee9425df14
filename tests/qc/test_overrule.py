import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.qc import service
from aftersales.qc.errors import NotOverruledError
from aftersales.qc.models import QcFinding, QcOverrule, QcSessionResult
from tests.builders import make_chat, make_user


def first_response_finding(session: Session) -> QcFinding:
    chat = make_chat(session, [("customer", 0, "在吗"), ("agent", 30, "您好，还有其他问题随时联系")])
    found = session.scalar(
        select(QcFinding).where(QcFinding.session_id == chat.id, QcFinding.code == "first_response")
    )
    assert found is not None
    return found


class TestOverrule:
    def test_records_who_changed_what_and_why(self, session: Session) -> None:
        reviewer = make_user(session, role=Role.SUPERVISOR)
        found = first_response_finding(session)
        service.overrule(
            session, finding_id=found.id, user=reviewer, passed=True, reason="顾客先发了图片,系统延迟"
        )
        record = session.scalar(select(QcOverrule).where(QcOverrule.finding_id == found.id))
        assert record is not None
        assert (record.user_id, record.old_passed, record.new_passed, record.reason) == (
            reviewer.id,
            False,
            True,
            "顾客先发了图片,系统延迟",
        )

    def test_recomputes_the_session_score(self, session: Session) -> None:
        reviewer = make_user(session, role=Role.SUPERVISOR)
        found = first_response_finding(session)
        service.overrule(session, finding_id=found.id, user=reviewer, passed=True, reason="系统延迟")
        result = session.get(QcSessionResult, found.session_id)
        assert result is not None
        assert (result.score, result.failed_checkpoints) == (100, [])

    def test_survives_re_inspection_when_new_messages_arrive(self, session: Session) -> None:
        reviewer = make_user(session, role=Role.SUPERVISOR)
        found = first_response_finding(session)
        service.overrule(session, finding_id=found.id, user=reviewer, passed=True, reason="系统延迟")
        service.inspect(session, session_ids=[found.session_id])
        session.refresh(found)
        assert (found.auto_passed, found.final_passed, found.overruled) == (False, True, True)

    def test_refuses_an_overrule_that_changes_nothing(self, session: Session) -> None:
        reviewer = make_user(session, role=Role.SUPERVISOR)
        found = first_response_finding(session)
        with pytest.raises(NotOverruledError):
            service.overrule(session, finding_id=found.id, user=reviewer, passed=False, reason="确认")
