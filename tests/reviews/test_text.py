"""Aspect extraction and reply drafting on crafted review texts (no database)."""

import re

from aftersales.reviews.aspects import analyse
from aftersales.reviews.drafts import ReviewFacts, SkuInfo, asks_price_protection, compose, named_fault

CAMERA = SkuInfo("家用监控摄像头", ["1080P高清画质", "红外夜视", "双向语音"])


def _facts(text: str, stars: int = 5, **overrides: object) -> ReviewFacts:
    fields: dict[str, object] = {
        "stars": stars,
        "negative": stars <= 2,
        "mismatch": False,
        "professional": False,
        "analysis": analyse(text),
        **overrides,
    }
    return ReviewFacts(**fields)  # type: ignore[arg-type]


def _sentences(text: str) -> set[str]:
    return {s for s in re.split(r"(?<=[。!?!])", text) if s}


class TestAnalyse:
    def test_praised_aspects_are_found_per_clause(self) -> None:
        assert analyse("屏幕很清晰,物流也很快").praised == ["画质", "物流"]

    def test_complaints_keep_the_customers_words(self) -> None:
        assert analyse("质量不错,就是快递太慢").terms("negative") == {"物流": "快递太慢"}

    def test_negation_turns_a_complaint_word_into_praise(self) -> None:
        assert analyse("不掉毛,很舒服").complaints == []

    def test_opinion_words_imply_their_aspect(self) -> None:
        assert analyse("被子掉毛严重,还有异味").complaints == ["质量", "气味"]

    def test_compensation_demands_are_noticed(self) -> None:
        assert analyse("东西是坏的,必须赔偿,不然投诉12315").demands_compensation is True


class TestPositiveDraft:
    def test_answers_what_was_praised_and_weaves_in_a_related_selling_point(self) -> None:
        draft = compose(_facts("画面很清晰,安装也方便"), CAMERA, frozenset())
        assert "1080P高清画质" in draft.text
        assert "画面清晰" in draft.text or "清晰的画面" in draft.text

    def test_the_next_draft_for_the_sku_repeats_no_sentence(self) -> None:
        first = compose(_facts("画面很清晰,安装也方便"), CAMERA, frozenset())
        second = compose(_facts("画面很清晰,安装也方便"), CAMERA, frozenset(first.keys))
        assert _sentences(first.text).isdisjoint(_sentences(second.text))

    def test_the_next_draft_uses_another_selling_point(self) -> None:
        first = compose(_facts("很好用"), CAMERA, frozenset())
        second = compose(_facts("很好用"), CAMERA, frozenset(first.keys))
        assert first.selling_point != second.selling_point


class TestComplaintDraft:
    def test_addresses_each_complaint_in_the_customers_words(self) -> None:
        draft = compose(_facts("画面模糊,安装麻烦,快递太慢了", stars=1), CAMERA, frozenset())
        assert all(term in draft.text for term in ("画面模糊", "安装麻烦", "快递太慢"))

    def test_explains_what_is_not_the_products_fault(self) -> None:
        draft = compose(_facts("快递太慢了", stars=2), CAMERA, frozenset())
        assert "并非商品本身的问题" in draft.text

    def test_offers_the_aftersales_path(self) -> None:
        draft = compose(_facts("用了两天就坏了,质量太差", stars=1), CAMERA, frozenset())
        assert "售后" in draft.text

    def test_a_five_star_negative_review_gets_a_complaint_draft_not_thanks(self) -> None:
        draft = compose(_facts("五星,但是收到少件了", mismatch=True), CAMERA, frozenset())
        assert ("少件" in draft.text, "1080P" in draft.text) == (True, False)

    def test_a_professional_bad_reviewer_gets_a_firm_draft_without_apology(self) -> None:
        draft = compose(_facts("垃圾,赔钱", stars=1, professional=True), CAMERA, frozenset())
        assert ("抱歉" in draft.text, "平台规则" in draft.text) == (False, True)


class TestPriceProtection:
    """A question about 保价/退差价 is answered as price protection, never with return steps."""

    def test_a_complaint_asking_for_the_difference_gets_the_price_protection_answer(self) -> None:
        text = "刚买三天就降价了,能退差价吗"
        draft = compose(
            _facts(text, stars=2, price_question=asks_price_protection(text)), CAMERA, frozenset()
        )
        assert "差价原路退回,无需退货" in draft.text
        assert "退换货" not in draft.text
        assert "申请售后" not in draft.text

    def test_a_five_star_review_asking_about_保价_gets_the_answer_beside_the_thanks(self) -> None:
        text = "很好用,请问能保价吗"
        draft = compose(_facts(text, price_question=asks_price_protection(text)), CAMERA, frozenset())
        assert "关于您问的保价/退差价" in draft.text

    def test_a_review_without_a_price_question_is_not_answered_as_one(self) -> None:
        assert asks_price_protection("画面很清晰,物流很快") is False


class TestNamedFault:
    def test_a_dead_pixel_review_is_owned_and_never_blamed_on_wifi(self) -> None:
        text = "屏幕坏点,画面模糊"
        draft = compose(_facts(text, stars=1, fault=named_fault(text)), CAMERA, frozenset())
        assert "这是商品本身的问题,是我们的责任" in draft.text
        assert "2.4G" not in draft.text
        assert "不属于产品故障" not in draft.text
