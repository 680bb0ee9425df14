"""Ingest, triage (incl. five-star-negative with the QC emotion model), tickets, marks and VOC."""

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.conversations.models import ChatMessage
from aftersales.qc.models import VocMention
from aftersales.reviews.models import ReplyStatus, Review, ReviewerMark, ReviewReply, Triage
from aftersales.reviews.service import ingest_reviews, voc
from aftersales.reviews.voc import board
from aftersales.tickets.models import Ticket, TicketGroup
from tests.builders import make_chat, make_order, make_review, make_shop, make_sku, review_in


class TestIngest:
    def test_a_repeated_review_id_updates_instead_of_duplicating(self, session: Session) -> None:
        shop = make_shop(session)
        data = review_in(shop=shop, stars=5, text="很好")
        ingest_reviews(session, [data])
        result = ingest_reviews(session, [data.model_copy(update={"stars": 2, "text": "用了两天就坏了"})])
        rows = session.scalars(select(Review).where(Review.source_id == data.review_id)).all()
        assert (result.created, len(rows), rows[0].triage) == (0, 1, Triage.NEGATIVE)

    def test_an_unknown_shop_is_rejected_naming_the_field(self, session: Session) -> None:
        data = review_in(shop=make_shop(session)).model_copy(update={"shop_code": "nope"})
        assert ingest_reviews(session, [data]).rejected[0]["field"] == "shop_code"

    def test_order_and_sku_references_are_resolved(self, session: Session) -> None:
        shop = make_shop(session)
        sku, order = make_sku(session, shop=shop), make_order(session, shop=shop)
        review = make_review(session, shop=shop, sku=sku, order_no=order.source_id)
        assert (review.sku_id, review.order_id) == (sku.id, order.id)


class TestTriage:
    def test_one_and_two_stars_are_negative(self, session: Session) -> None:
        assert make_review(session, stars=2, text="不好用").triage == Triage.NEGATIVE

    def test_three_stars_are_middling(self, session: Session) -> None:
        assert make_review(session, stars=3, text="一般般").triage == Triage.MIDDLING

    def test_a_five_star_review_with_negative_text_is_a_mismatch(self, session: Session) -> None:
        review = make_review(session, stars=5, text="质量太差了,用了两天就坏了,客服也不理人")
        assert (review.triage, review.is_mismatch) == (Triage.POSITIVE, True)

    def test_a_five_star_review_with_praise_is_no_mismatch(self, session: Session) -> None:
        assert make_review(session, stars=5, text="东西很好,做工精致,很满意").is_mismatch is False

    def test_short_praise_of_a_named_aspect_is_no_mismatch(self, session: Session) -> None:
        assert make_review(session, stars=5, text="画面很清晰").is_mismatch is False

    def test_praise_with_a_negation_is_no_mismatch(self, session: Session) -> None:
        assert make_review(session, stars=5, text="没有异味,洗了也不起球").is_mismatch is False

    def test_a_default_text_is_not_sent_to_the_model(self, session: Session) -> None:
        assert make_review(session, stars=5, text="此用户没有填写评价。").emotion_label is None


class TestTickets:
    def test_a_negative_review_opens_a_ticket_for_the_supervisors(self, session: Session) -> None:
        review = make_review(session, stars=1, text="快递太慢了,东西还破损")
        ticket = session.get_one(Ticket, review.ticket_id)
        group = session.get_one(TicketGroup, ticket.group_id)
        assert (ticket.source_key, group.code) == (f"review:{review.id}", "supervisors")

    def test_a_mismatch_opens_a_ticket(self, session: Session) -> None:
        assert make_review(session, stars=5, text="质量太差了,用了两天就坏了").ticket_id is not None

    def test_a_positive_review_opens_none(self, session: Session) -> None:
        assert make_review(session, stars=5, text="很满意,物流很快").ticket_id is None

    def test_reingesting_keeps_a_single_ticket(self, session: Session) -> None:
        shop = make_shop(session)
        data = review_in(shop=shop, stars=1, text="很差")
        ingest_reviews(session, [data])
        ingest_reviews(session, [data.model_copy(update={"text": "很差,还漏发"})])
        count = session.scalar(select(func.count()).select_from(Ticket).where(Ticket.source == "reviews"))
        assert count == 1


class TestDrafts:
    def test_every_review_gets_a_draft(self, session: Session) -> None:
        review = make_review(session, stars=4, text="很舒服")
        reply = session.scalars(select(ReviewReply).where(ReviewReply.review_id == review.id)).one()
        assert (review.reply_status, bool(reply.text)) == (ReplyStatus.DRAFT, True)

    def test_a_positive_draft_carries_a_selling_point_of_the_sku(self, session: Session) -> None:
        sku = make_sku(session, name="记忆棉床垫", selling_points=["慢回弹贴合", "可拆洗外套"])
        review = make_review(session, sku=sku, stars=5, text="睡着很舒服")
        reply = session.scalars(select(ReviewReply).where(ReviewReply.review_id == review.id)).one()
        assert (reply.selling_point in reply.text, reply.selling_point in sku.selling_points) == (True, True)

    def test_two_positive_reviews_of_a_sku_in_one_batch_share_no_sentence(self, session: Session) -> None:
        shop = make_shop(session)
        sku = make_sku(session, shop=shop, selling_points=["慢回弹贴合", "可拆洗外套"])
        batch = [review_in(shop=shop, sku=sku, text="很舒服,质量好") for _ in range(2)]
        ingest_reviews(session, batch)
        texts = session.scalars(select(ReviewReply.text).where(ReviewReply.sku_id == sku.id)).all()
        first, second = ({s for s in t.split("。") if s} for t in texts)
        assert first.isdisjoint(second)


class TestProfessionalReviewers:
    def test_bad_reviews_over_three_orders_with_a_compensation_demand_mark_the_buyer(
        self, session: Session
    ) -> None:
        shop = make_shop(session)
        texts = ["质量太差", "垃圾产品", "坏了,必须赔偿"]
        ingest_reviews(
            session,
            [
                review_in(shop=shop, buyer="pro1", stars=1, text=t, order_no=f"O{i}")
                for i, t in enumerate(texts)
            ],
        )
        mark = session.scalars(select(ReviewerMark).where(ReviewerMark.buyer == "pro1")).one()
        assert (mark.is_professional, mark.distinct_orders) == (True, 3)

    def test_bad_reviews_without_money_demands_do_not(self, session: Session) -> None:
        shop = make_shop(session)
        ingest_reviews(
            session,
            [review_in(shop=shop, buyer="grumpy", stars=1, text="不好", order_no=f"G{i}") for i in range(3)],
        )
        assert session.scalar(select(ReviewerMark).where(ReviewerMark.buyer == "grumpy")) is None


class TestVoc:
    def test_topics_are_counted_per_sku_and_polarity(self, session: Session) -> None:
        sku = make_sku(session)
        for stars, text in ((4, "物流很快"), (2, "物流太慢了"), (2, "快递太慢")):
            make_review(session, sku=sku, stars=stars, text=text)
        rows = {(r["topic"], r["polarity"]): r["count"] for r in voc(session, sku_id=sku.id)}
        assert rows == {("物流", "negative"): 2, ("物流", "positive"): 1}

    def test_topics_are_counted_per_day(self, session: Session) -> None:
        sku = make_sku(session)
        make_review(
            session, sku=sku, stars=1, text="物流太慢了", reviewed_at=datetime(2026, 11, 12, 17, tzinfo=UTC)
        )
        rows = voc(session, sku_id=sku.id, by_day=True)
        assert [(r["topic"], r["day"]) for r in rows] == [("物流", "2026-11-13")]


class TestVocBoard:
    def test_review_topics_use_the_qc_vocabulary(self, session: Session) -> None:
        sku = make_sku(session)
        make_review(session, sku=sku, stars=1, text="画面模糊")
        rows = board(session, sku_id=sku.id)
        assert [(r["topic"], r["review_complaints"]) for r in rows] == [("屏幕", 1)]

    def test_chat_mentions_from_qc_join_the_review_counts(self, session: Session) -> None:
        sku = make_sku(session)
        make_review(session, sku=sku, stars=2, text="掉毛严重")
        chat = make_chat(session, [("customer", 0, "你好")], shop=session.get_one(Shop, sku.shop_id))
        message = session.scalars(select(ChatMessage).where(ChatMessage.session_id == chat.id)).first()
        assert message is not None
        session.add(
            VocMention(
                message_id=message.id,
                session_id=chat.id,
                shop_id=sku.shop_id,
                sku_id=sku.id,
                topic="质量做工",
                keyword="起球",
                mentioned_at=message.sent_at,
            )
        )
        session.flush()
        row = board(session, sku_id=sku.id)[0]
        assert (row["topic"], row["chat_mentions"], row["review_complaints"]) == ("质量做工", 1, 1)
