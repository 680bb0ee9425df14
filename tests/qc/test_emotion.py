import pytest

from aftersales.qc.emotion import MODEL_PATH, classify, load_model


class TestModelFile:
    def test_ships_with_the_package_and_records_its_held_out_accuracy(self) -> None:
        model = load_model(MODEL_PATH)
        assert model.version == "emotion-v1"
        assert 0.8 <= model.metrics["review_binary_accuracy"] <= 1


class TestClassify:
    @pytest.mark.parametrize(
        ("text", "label"),
        [
            ("你们客服态度太差了，问了半天都不理人", "态度"),
            ("快递一个星期了还没到，物流一直不更新", "物流"),
            ("用了两天就坏了，质量太差", "产品"),
            ("收到货少了一个配件，漏发了", "少件"),
        ],
    )
    def test_gives_the_negative_cause_of_clear_complaints(self, text: str, label: str) -> None:
        emotion = classify([text])[0]
        assert (emotion.polarity, emotion.label) == ("negative", label)

    @pytest.mark.parametrize(
        ("text", "label"),
        [
            ("东西收到了，质量很好，很满意", "满意"),
            ("太感谢你了，辛苦了", "感激"),
            ("好的，期待早点收到", "期待"),
        ],
    )
    def test_gives_the_positive_sub_label_of_clear_praise(self, text: str, label: str) -> None:
        emotion = classify([text])[0]
        assert (emotion.polarity, emotion.label) == ("positive", label)

    @pytest.mark.parametrize("text", ["在吗", "请问什么时候发货", "我的订单号是T123456"])
    def test_reads_plain_questions_as_neutral(self, text: str) -> None:
        assert classify([text])[0].polarity == "neutral"

    def test_keeps_the_order_of_a_batch_with_repeats(self) -> None:
        result = classify(["质量太差了", "谢谢", "质量太差了"])
        assert [e.polarity for e in result] == ["negative", "positive", "negative"]

    def test_confidence_is_a_probability(self) -> None:
        assert all(0 <= e.confidence <= 1 for e in classify(["还行吧", "垃圾", "好的"]))
