import json
from pathlib import Path

import pytest
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


JDDC_TSV = (
    "s-1\tu-1\t0\t0\t0\tnan\t我的快递到哪了\n"
    "s-1\tu-1\t1\t0\t0\tnan\t您好，正在为您查询\n"
    "s-1\tu-1\t0\t0\t0\tnan\t好的谢谢\n"
    "s-2\tu-2\t0\t0\t0\tnan\t发票怎么开\n"
)


class TestHeaderlessTsv:
    def test_columns_by_number_import_every_session(self, session: Session, tmp_path: Path) -> None:
        shop = make_shop(session)
        path = tmp_path / "chats.tsv"
        path.write_text(JDDC_TSV, encoding="utf-8")
        report = ChatImporter(session, ChatMapping.load("jddc"), shop_code=shop.code).run(path)
        assert (report.rows, report.created, report.sessions, report.errors) == (4, 4, 2, [])

    def test_messages_keep_the_files_order_without_times(self, session: Session, tmp_path: Path) -> None:
        shop = make_shop(session)
        path = tmp_path / "chats.tsv"
        path.write_text(JDDC_TSV, encoding="utf-8")
        ChatImporter(session, ChatMapping.load("jddc"), shop_code=shop.code).run(path)
        chat = session.scalar(select(ChatSession).where(ChatSession.session_key == "s-1"))
        assert chat is not None
        texts = session.scalars(
            select(ChatMessage.text).where(ChatMessage.session_id == chat.id).order_by(ChatMessage.sent_at)
        )
        assert list(texts) == ["我的快递到哪了", "您好，正在为您查询", "好的谢谢"]

    def test_a_session_without_times_has_no_response_times(self, session: Session, tmp_path: Path) -> None:
        shop = make_shop(session)
        path = tmp_path / "chats.tsv"
        path.write_text(JDDC_TSV, encoding="utf-8")
        ChatImporter(session, ChatMapping.load("jddc"), shop_code=shop.code).run(path)
        chat = session.scalar(select(ChatSession).where(ChatSession.session_key == "s-1"))
        assert chat is not None
        assert (chat.times_known, chat.first_response_seconds, chat.max_response_seconds) == (
            False,
            None,
            None,
        )

    def test_a_second_import_without_times_adds_nothing(self, session: Session, tmp_path: Path) -> None:
        shop = make_shop(session)
        path = tmp_path / "chats.tsv"
        path.write_text(JDDC_TSV, encoding="utf-8")
        ChatImporter(session, ChatMapping.load("jddc"), shop_code=shop.code).run(path)
        report = ChatImporter(session, ChatMapping.load("jddc"), shop_code=shop.code).run(path)
        assert (report.created, count(session, ChatMessage)) == (0, 4)


class TestJsonNumbers:
    def test_numeric_senders_ids_and_unix_times_are_mapped(self, session: Session, tmp_path: Path) -> None:
        shop = make_shop(session)
        mapping = tmp_path / "numbers.yaml"
        mapping.write_text(
            "fields:\n  session_key: [sid]\n  sender: [who]\n  text: [msg]\n  sent_at: [ts]\n"
            "senders:\n  customer: [0]\n  agent: [1]\n",
            encoding="utf-8",
        )
        path = write_jsonl(
            tmp_path / "chats.jsonl",
            [
                {"sid": 901, "who": 0, "msg": "在吗", "ts": 1794556800},
                {"sid": 901, "who": 1, "msg": "在的", "ts": 1794556830000},
            ],
        )
        report = ChatImporter(session, ChatMapping.load(str(mapping)), shop_code=shop.code).run(path)
        chat = session.scalar(select(ChatSession).where(ChatSession.session_key == "901"))
        assert chat is not None
        assert (report.created, report.errors, chat.first_response_seconds) == (2, [], 30)

    def test_a_line_of_values_is_read_by_column_number(self, session: Session, tmp_path: Path) -> None:
        shop = make_shop(session)
        path = write_jsonl(tmp_path / "chats.jsonl", [["s-9", "u", 0, 0, 0, "nan", "发票怎么开"]])  # type: ignore[list-item]
        report = ChatImporter(session, ChatMapping.load("jddc"), shop_code=shop.code).run(path)
        assert (report.created, report.errors) == (1, [])


class TestSummary:
    def test_counts_each_stored_session_once_across_chunks(
        self, session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from aftersales.conversations import importer

        monkeypatch.setattr(importer, "CHUNK", 2)
        shop = make_shop(session)
        path = tmp_path / "chats.tsv"
        path.write_text(JDDC_TSV, encoding="utf-8")
        report = ChatImporter(session, ChatMapping.load("jddc"), shop_code=shop.code).run(path)
        assert report.sessions == 2

    def test_a_session_whose_rows_are_all_bad_is_not_counted(self, session: Session, tmp_path: Path) -> None:
        shop = make_shop(session)
        path = tmp_path / "chats.tsv"
        path.write_text(JDDC_TSV + "s-3\tu-3\t7\t0\t0\tnan\t谁在说话\n", encoding="utf-8")
        report = ChatImporter(session, ChatMapping.load("jddc"), shop_code=shop.code).run(path)
        assert (report.sessions, len(report.errors)) == (2, 1)


def test_the_real_jddc_sample_imports_and_is_inspected(session: Session, shared_data: Path) -> None:
    path = shared_data / "chats" / "jddc-2019-sample-half.tsv"
    if not path.exists():
        pytest.skip("../shared/data/chats 不在本机")
    shop = make_shop(session)
    report = ChatImporter(session, ChatMapping.load("jddc"), shop_code=shop.code).run(path)
    assert (report.sessions, report.errors, count(session, QcSessionResult)) == (532, [], 532)


def test_a_message_starting_with_an_equals_sign_is_text(session: Session, tmp_path: Path) -> None:
    shop = make_shop(session)
    path = tmp_path / "chats.tsv"
    path.write_text("s-1\tu-1\t1\t0\t0\tnan\t=请问还有其他还可以帮到您的吗?\n", encoding="utf-8")
    report = ChatImporter(session, ChatMapping.load("jddc"), shop_code=shop.code).run(path)
    assert (report.created, report.errors) == (1, [])
