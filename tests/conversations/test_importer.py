import json
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.conversations.importer import ChatImporter, ChatMapping
from aftersales.conversations.models import ChatMessage, ChatSession
from aftersales.qc.models import QcSessionResult
from tests.builders import make_order, make_shop, make_user

QIANNIU_CSV = """会话ID,发送方,消息内容,发送时间,客服账号,买家昵称,订单号
q-1,买家,在吗，快递怎么还没到,2026-11-12 10:00:00,,tb_buyer,{order_no}
q-1,客服,亲，您好，马上为您查询,2026-11-12 10:00:12,{agent},tb_buyer,
q-1,买家,好的谢谢,2026-11-12 10:01:00,,tb_buyer,
"""


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    return path


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


class TestCsv:
    def test_imports_a_qianniu_export_linking_order_and_agent(self, session: Session, tmp_path: Path) -> None:
        shop = make_shop(session)
        order = make_order(session, shop=shop)
        agent = make_user(session)
        path = tmp_path / "chats.csv"
        path.write_text(QIANNIU_CSV.format(order_no=order.source_id, agent=agent.username), encoding="utf-8")
        report = ChatImporter(session, ChatMapping.load("qianniu"), shop_code=shop.code).run(path)
        chat = session.scalar(select(ChatSession).where(ChatSession.session_key == "q-1"))
        assert chat is not None
        assert (report.created, chat.order_id, chat.agent_id, chat.first_response_seconds) == (
            3,
            order.id,
            agent.id,
            12,
        )

    def test_a_second_import_of_the_same_file_adds_nothing(self, session: Session, tmp_path: Path) -> None:
        shop = make_shop(session)
        path = tmp_path / "chats.csv"
        path.write_text(QIANNIU_CSV.format(order_no="", agent=""), encoding="utf-8")
        ChatImporter(session, ChatMapping.load("qianniu"), shop_code=shop.code).run(path)
        report = ChatImporter(session, ChatMapping.load("qianniu"), shop_code=shop.code).run(path)
        assert (report.created, count(session, ChatMessage)) == (0, 3)

    def test_imported_sessions_are_inspected(self, session: Session, tmp_path: Path) -> None:
        shop = make_shop(session)
        path = tmp_path / "chats.csv"
        path.write_text(QIANNIU_CSV.format(order_no="", agent=""), encoding="utf-8")
        ChatImporter(session, ChatMapping.load("qianniu"), shop_code=shop.code).run(path)
        assert count(session, QcSessionResult) == 1


class TestJsonLines:
    def test_reports_bad_rows_and_stores_the_good_ones(self, session: Session, tmp_path: Path) -> None:
        shop = make_shop(session)
        base = {"shop_code": shop.code, "session_key": "j-1", "sent_at": "2026-11-12T10:00:00+08:00"}
        path = write_jsonl(
            tmp_path / "chats.jsonl",
            [
                {**base, "sender": "customer", "text": "在吗"},
                {**base, "sender": "martian", "text": "??"},
                {**base, "sender": "agent", "text": "您好", "sent_at": "昨天"},
            ],
        )
        report = ChatImporter(session, ChatMapping.load("generic")).run(path)
        assert report.created == 1
        assert [(e.row, e.column) for e in report.errors] == [(2, "sender"), (3, "sent_at")]

    def test_a_line_that_is_not_json_is_reported_with_its_number(
        self, session: Session, tmp_path: Path
    ) -> None:
        shop = make_shop(session)
        path = tmp_path / "chats.jsonl"
        path.write_text("{not json}\n", encoding="utf-8")
        report = ChatImporter(session, ChatMapping.load("generic"), shop_code=shop.code).run(path)
        assert report.errors[0].row == 1

    def test_an_unknown_shop_is_reported(self, session: Session, tmp_path: Path) -> None:
        row = {
            "shop_code": "nope",
            "session_key": "x",
            "sender": "customer",
            "text": "hi",
            "sent_at": "2026-11-12",
        }
        report = ChatImporter(session, ChatMapping.load("generic")).run(
            write_jsonl(tmp_path / "c.jsonl", [row])
        )
        assert (report.errors[0].column, report.created) == ("shop_code", 0)
