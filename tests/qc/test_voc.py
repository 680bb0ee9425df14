from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.kit.time import utcnow
from aftersales.messaging.models import OutboxMessage
from aftersales.orders.models import OrderItem
from aftersales.qc import jobs, repository
from aftersales.qc.models import VocMention
from aftersales.qc.voc import extract
from tests.builders import make_bot, make_chat, make_order, make_shop, make_sku


class TestExtract:
    def test_finds_topics_and_keywords_in_order(self) -> None:
        assert extract("电脑运行慢，屏幕还有亮点") == [("性能", "运行慢"), ("屏幕", "屏幕"), ("屏幕", "亮点")]

    def test_ordinary_questions_have_no_topic(self) -> None:
        assert extract("请问什么时候发货") == []


def chat_about_sku(session: Session, text: str) -> int:
    shop = make_shop(session)
    sku = make_sku(session, shop=shop, name="轻薄笔记本电脑")
    order = make_order(session, shop=shop)
    session.add(
        OrderItem(order_id=order.id, line_no=1, sku_id=sku.id, title=sku.name, quantity=1, unit_price_fen=1)
    )
    session.flush()
    make_chat(session, [("customer", 0, text)], shop=shop, order_id=order.id)
    return sku.id


class TestMentions:
    def test_a_customer_message_is_counted_against_the_orders_sku(self, session: Session) -> None:
        sku_id = chat_about_sku(session, "电脑运行慢还卡顿")
        topics = {
            (m.topic, m.keyword)
            for m in session.scalars(select(VocMention).where(VocMention.sku_id == sku_id))
        }
        assert topics == {("性能", "运行慢"), ("性能", "卡顿")}

    def test_topics_per_sku_are_summed(self, session: Session) -> None:
        sku_id = chat_about_sku(session, "电脑运行慢还卡顿")
        row = next(r for r in repository.voc_by_sku(session) if r["sku_id"] == sku_id)
        assert (row["topic"], row["mentions"]) == ("性能", 2)

    def test_daily_counts_use_the_shanghai_day(self, session: Session) -> None:
        sku_id = chat_about_sku(session, "屏幕有亮点")
        [(day, topic, count)] = repository.voc_daily(session, sku_id=sku_id)
        assert (topic, count) == ("屏幕", 2)
        assert len(day) == 10


class TestDigest:
    def test_sends_frequent_topics_to_the_product_group(self, session: Session) -> None:
        make_bot(session, group_code="product", url="http://127.0.0.1:9/product")
        chat_about_sku(session, "运行慢，卡顿，死机，闪退")
        result = jobs.voc_digest(session, now=(utcnow() + timedelta(minutes=1)).isoformat())
        message = session.scalar(
            select(OutboxMessage).where(OutboxMessage.idempotency_key.like("qc-voc-digest:%"))
        )
        assert result == {"sent": 1}
        assert message is not None
        assert "轻薄笔记本电脑" in str(message.payload)

    def test_sends_nothing_below_the_threshold(self) -> None:
        assert jobs.voc_digest_text([], utcnow(), utcnow()) is None


class TestBacklog:
    def test_messages_stored_without_analysis_are_analysed_by_the_sweep(self, session: Session) -> None:
        from sqlalchemy import delete

        from aftersales.qc.models import QcMessageAnalysis, QcSessionResult

        chat = make_chat(session, [("customer", 0, "给你差评")])
        session.execute(delete(QcMessageAnalysis).where(QcMessageAnalysis.session_id == chat.id))
        session.execute(delete(QcSessionResult).where(QcSessionResult.session_id == chat.id))
        assert jobs.analyse_backlog(session) == {"analysed": 1}
        result = session.get(QcSessionResult, chat.id)
        assert result is not None
        assert result.risk_level == "medium"


class TestKeywordShown:
    def test_is_the_most_frequent_keyword_of_the_topic(self, session: Session) -> None:
        shop = make_shop(session)
        sku = make_sku(session, shop=shop, name="轻薄笔记本电脑")
        order = make_order(session, shop=shop)
        session.add(
            OrderItem(
                order_id=order.id, line_no=1, sku_id=sku.id, title=sku.name, quantity=1, unit_price_fen=1
            )
        )
        session.flush()
        make_chat(
            session,
            [("customer", 0, "运行慢"), ("customer", 5, "还是运行慢"), ("customer", 9, "而且卡顿")],
            shop=shop,
            order_id=order.id,
        )
        row = next(r for r in repository.voc_by_sku(session) if r["sku_id"] == sku.id)
        assert (row["mentions"], row["keyword"]) == (3, "运行慢")


class TestProblemWords:
    def test_booking_an_installation_is_no_topic(self) -> None:
        assert extract("空调安装要怎么预约") == []

    def test_a_price_swing_is_no_size_topic(self) -> None:
        assert extract("价格波动太大了") == []
