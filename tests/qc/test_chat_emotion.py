import numpy as np
from scipy.sparse import hstack

from aftersales.qc.chat_emotion import ChatTurn, classify, dense_features, load_model, probabilities
from aftersales.qc.chat_training import evaluate, labelled, split
from aftersales.qc.cues import DISPLEASURE_CUES, context_flags, cue_flags

CLOSING_QUESTION = "请问还有其他还可以帮到您的吗?"


class TestReading:
    def test_the_answer_to_the_closing_question_is_not_negative(self) -> None:
        assert classify([ChatTurn("没有了", CLOSING_QUESTION)])[0].polarity != "negative"

    def test_thanks_are_gratitude(self) -> None:
        assert classify([ChatTurn("没了 谢谢", CLOSING_QUESTION)])[0].label == "感激"

    def test_a_broken_delivery_promise_is_negative_about_logistics(self) -> None:
        found = classify([ChatTurn("都六天了还没发货，说好的今天发呢")])[0]
        assert (found.polarity, found.label) == ("negative", "物流")

    def test_a_question_is_neutral(self) -> None:
        assert classify([ChatTurn("我的快递到哪了")])[0].label == "中性"

    def test_urging_alone_is_not_negative(self) -> None:
        assert classify([ChatTurn("人呢")])[0].polarity != "negative"

    def test_broken_goods_are_a_product_complaint(self) -> None:
        assert classify([ChatTurn("录音笔坏了")])[0].label == "产品"


class TestContext:
    def test_the_closing_question_is_a_context_flag(self) -> None:
        assert context_flags(CLOSING_QUESTION, "")[0] == 1.0

    def test_a_previous_complaint_is_a_context_flag(self) -> None:
        assert context_flags("", "都三天了还没到")[3] == 1.0


class TestCues:
    LEAVING = list(DISPLEASURE_CUES).index("leaving")

    def test_a_threat_of_a_bad_review_is_a_leaving_cue(self) -> None:
        assert cue_flags("再不处理我就给差评")[self.LEAVING] == 1.0

    def test_a_negated_bad_review_is_no_leaving_cue(self) -> None:
        assert cue_flags("放心，我不会给差评的")[self.LEAVING] == 0.0


class TestTrainingData:
    def test_at_least_2000_customer_messages_are_labelled(self) -> None:
        assert len(labelled()) >= 2000

    def test_no_session_is_in_both_parts(self) -> None:
        train, test = split(labelled())
        assert not {i.session_id for i in train} & {i.session_id for i in test}

    def test_the_shipped_model_scores_what_it_reports(self) -> None:
        model = load_model()
        _train, test = split(labelled())
        assert evaluate(model, test) == model.metrics["test"]


class TestProbabilitiesEqualPredictProba:
    """``chat_emotion.probabilities`` gives scikit-learn's own ``predict_proba`` floats, for a batch
    and for a message alone, of both the negative and the cause classifier."""

    def test_the_same_floats_as_predict_proba(self) -> None:
        model = load_model()
        turns = [item.turn for item in labelled()[:600]]
        texts = [turn.text.strip() for turn in turns]
        negative = hstack([model._features.transform(texts), dense_features(turns)]).tocsr()
        causes = model._features.transform(texts)
        for classifier, matrix in ((model._negative, negative), (model._cause, causes)):
            assert np.array_equal(probabilities(classifier, matrix), classifier.predict_proba(matrix))
            for row in range(0, 600, 97):
                alone = matrix[row : row + 1]
                assert np.array_equal(probabilities(classifier, alone), classifier.predict_proba(alone))
