import pytest

from aftersales.qc.risk import detect, highest_level


class TestDetect:
    @pytest.mark.parametrize(
        ("text", "kind", "level"),
        [
            ("再不处理我就打12315", "regulator", "high"),
            ("我要去消协投诉你们", "regulator", "high"),
            ("我会找律师起诉你们", "legal", "high"),
            ("我要发微博曝光你们", "media", "high"),
            ("我要举报你们店", "report", "high"),
            ("我要投诉你们", "platform_complaint", "medium"),
            ("不解决就给你差评", "bad_review", "medium"),
            ("叫你们主管来", "escalation", "low"),
        ],
    )
    def test_maps_threats_to_their_kind_and_level(self, text: str, kind: str, level: str) -> None:
        hits = detect(text)
        assert (hits[0].kind, hits[0].level) == (kind, level)

    def test_returns_the_phrase_and_its_span_for_highlighting(self) -> None:
        text = "东西坏了，我要给你们差评"
        hit = detect(text)[0]
        assert text[hit.start : hit.end] == hit.phrase == "给你们差评"

    @pytest.mark.parametrize("text", ["放心，不会给差评的", "我不投诉，你们尽快处理就行", "谢谢，东西很好"])
    def test_ignores_negated_threats_and_ordinary_messages(self, text: str) -> None:
        assert detect(text) == []

    def test_highest_level_of_several_hits(self) -> None:
        assert highest_level(detect("给差评，还要打12315")) == "high"


class TestWhoseThreat:
    def test_a_merchant_asking_about_its_buyers_bad_review_is_no_threat(self) -> None:
        assert detect("客户给了差评怎么处理") == []

    def test_the_bad_review_desk_is_no_threat(self) -> None:
        assert detect("差评处理的流程是什么") == []

    def test_asking_for_the_complaint_line_is_no_threat(self) -> None:
        assert detect("投诉电话多少") == []

    def test_the_customers_own_conditional_threat_is_a_bad_review_risk(self) -> None:
        assert [h.kind for h in detect("我等你回复，否则我就差评了")] == ["bad_review"]

    def test_the_customers_own_complaint_threat_is_a_platform_complaint(self) -> None:
        assert [h.kind for h in detect("你们这样我要去投诉")] == ["platform_complaint"]

    def test_a_bank_name_is_no_regulator(self) -> None:
        assert detect("退款退到工商银行卡了吗") == []


class TestRemembered:
    def test_a_callers_change_to_its_hits_does_not_reach_the_next_reading(self) -> None:
        hits = detect("再不处理我要去投诉")
        hits.clear()
        assert [h.kind for h in detect("再不处理我要去投诉")] == ["platform_complaint"]
