"""Chat and review VOC onto the tickets department feedback board, one item per SKU, topic and week.

NOW is Wednesday 2026-11-25 12:00 in Shanghai, in ISO week 2026-W48 (Monday 11-23 to Sunday 11-29).
"屏幕有亮点" is two 屏幕 mentions in a chat (屏幕, 亮点); "画面模糊" in a 1-star review is one 屏幕 complaint.
"""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop, Sku
from aftersales.orders.models import OrderItem
from aftersales.reviews.jobs import voc_feedback
from aftersales.reviews.voc import feed_department, week_of
from aftersales.tickets.models import FeedbackItem, Ticket
from tests.builders import make_chat, make_order, make_review, make_sku

NOW = datetime(2026, 11, 25, 4, tzinfo=UTC)


def chat_about(session: Session, sku: Sku, text: str, at: datetime) -> None:
    shop = session.get_one(Shop, sku.shop_id)
    order = make_order(session, shop=shop)
    session.add(
        OrderItem(order_id=order.id, line_no=1, sku_id=sku.id, title=sku.name, quantity=1, unit_price_fen=1)
    )
    session.flush()
    make_chat(session, [("customer", 0, text)], shop=shop, order_id=order.id, start=at)


def items_of(session: Session, sku: Sku) -> list[FeedbackItem]:
    statement = select(FeedbackItem).where(FeedbackItem.sku_code == sku.code).order_by(FeedbackItem.id)
    return list(session.scalars(statement))


class TestWeekOf:
    def test_names_the_shanghai_iso_week_and_its_utc_bounds(self) -> None:
        assert week_of(NOW) == (
            "2026-W48",
            datetime(2026, 11, 22, 16, tzinfo=UTC),
            datetime(2026, 11, 29, 16, tzinfo=UTC),
        )


class TestFeedDepartment:
    def test_a_topic_raised_three_times_becomes_a_product_feedback_item(self, session: Session) -> None:
        sku = make_sku(session, name="高清摄像头")
        chat_about(session, sku, "屏幕有亮点", NOW - timedelta(days=1))
        make_review(session, sku=sku, stars=1, text="画面模糊", reviewed_at=NOW - timedelta(hours=2))
        feed_department(session, now=NOW)
        [item] = items_of(session, sku)
        assert (item.department, item.content) == (
            "product",
            f"VOC 2026-W48: 高清摄像头({sku.code})「屏幕」顾客反映 3 次(咨询提及 2 次,差评/中评 1 次)。"
            "每日: 11-24 2, 11-25 1",
        )

    def test_a_topic_raised_less_often_is_not_fed(self, session: Session) -> None:
        sku = make_sku(session)
        chat_about(session, sku, "屏幕有亮点", NOW - timedelta(days=1))
        feed_department(session, now=NOW)
        assert items_of(session, sku) == []

    def test_running_again_updates_the_counts_of_the_same_item(self, session: Session) -> None:
        sku = make_sku(session)
        chat_about(session, sku, "屏幕有亮点", NOW - timedelta(days=1))
        make_review(session, sku=sku, stars=1, text="画面模糊", reviewed_at=NOW - timedelta(hours=2))
        feed_department(session, now=NOW)
        chat_about(session, sku, "屏幕有坏点", NOW - timedelta(hours=1))
        feed_department(session, now=NOW)
        assert [("顾客反映 5 次" in item.content) for item in items_of(session, sku)] == [True]

    def test_each_week_has_its_own_item(self, session: Session) -> None:
        sku = make_sku(session)
        chat_about(session, sku, "屏幕有亮点,屏幕漏光", NOW - timedelta(days=7))
        chat_about(session, sku, "屏幕有亮点,屏幕漏光", NOW - timedelta(days=1))
        feed_department(session, now=NOW)
        assert [item.content[:12] for item in items_of(session, sku)] == ["VOC 2026-W47", "VOC 2026-W48"]

    def test_the_item_rides_on_one_system_ticket_of_the_product_group(self, session: Session) -> None:
        sku = make_sku(session)
        chat_about(session, sku, "屏幕有亮点,屏幕漏光", NOW - timedelta(days=1))
        feed_department(session, now=NOW)
        feed_department(session, now=NOW)
        tickets = session.scalars(
            select(Ticket).where(Ticket.source == "voc", Ticket.shop_id == sku.shop_id)
        ).all()
        assert [t.source_key for t in tickets] == [f"voc:{sku.id}:屏幕:2026-W48"]


def test_the_daily_job_feeds_the_board(session: Session) -> None:
    sku = make_sku(session)
    chat_about(session, sku, "屏幕有亮点,屏幕漏光", NOW - timedelta(days=1))
    assert voc_feedback(session, now=NOW.isoformat()) == {"items": 1}
