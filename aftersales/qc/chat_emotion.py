"""Emotion of each customer message in a chat, read with the turn before it.

Reviews and chats do not read alike: in a chat most customer messages are questions, order
numbers, thanks and closings ("没有了" answering "还有其他问题吗"), and displeasure shows in
broken promises and waiting ("都六天了", "不是说今天到吗") more than in product words. This model is
trained on real JD customer-service chats labelled by hand (``data/jddc-labels.tsv``, guide in
docs/qc-labelling.md) and shipped as ``models/chat-emotion-v1.joblib`` (``aftersales qc train``):

* negative or not: one logistic regression over jieba word uni/bigrams and character 1-3-grams
  (built the fast way by ``qc.features``), the displeasure cue groups of ``qc.cues`` and four context
  flags (the shop's previous reply: closing question, apology, asked to wait; the customer's
  previous message showed a cue); negative from the threshold chosen by cross-validation;
* the cause of a negative message (态度 物流 产品 少件 其他): a second regression over the same
  n-grams, trained on the labelled negatives plus the authored utterances, refined by the cause
  rules of ``qc.emotion``;
* otherwise 感激 when the customer thanks, else 中性.
"""

from collections import OrderedDict
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jieba
import joblib
import numpy as np
from scipy.sparse import csr_matrix, hstack
from scipy.special import expit
from sklearn.utils.extmath import softmax

from aftersales.kit.memory import freeze_long_lived
from aftersales.qc.cues import context_flags, cue_flags
from aftersales.qc.emotion import GRATITUDE, NEUTRAL_LABEL, Emotion, negative_cause
from aftersales.qc.features import Features

MODEL_VERSION = "chat-emotion-v1"
MODEL_PATH = Path(__file__).resolve().parent / "models" / f"{MODEL_VERSION}.joblib"
CACHE_SIZE = 50_000
CUE_WEIGHT = 1.0
CONTEXT_WEIGHT = 3.0


@dataclass(frozen=True)
class ChatTurn:
    """A customer's message with what came just before it in the session."""

    text: str
    reply_before: str = ""
    said_before: str = ""


def dense_features(turns: list[ChatTurn]) -> Any:
    """Cue groups of the message and context flags, weighted as the model was fitted."""
    rows = [
        [CUE_WEIGHT * x for x in cue_flags(t.text)]
        + [CONTEXT_WEIGHT * x for x in context_flags(t.reply_before, t.said_before)]
        for t in turns
    ]
    return csr_matrix(np.array(rows, dtype=np.float64))


class ChatEmotionModel:
    """The fitted vectorisers, the negative/neutral and the cause classifier of one model file."""

    def __init__(self, bundle: dict[str, Any]) -> None:
        self.version: str = bundle["version"]
        self.metrics: dict[str, Any] = bundle["metrics"]
        self.threshold: float = bundle["threshold"]
        self._features = Features(bundle["words"], bundle["chars"])
        self._negative = bundle["negative"]
        self._cause = bundle["cause"]
        self._cause_classes: list[str] = list(self._cause.classes_)
        self._cache: OrderedDict[ChatTurn, Emotion] = OrderedDict()

    def classify(self, turns: list[ChatTurn]) -> list[Emotion]:
        """Cached turns are answered from the cache, the rest predicted in one batch."""
        found: dict[ChatTurn, Emotion | None] = {t: self._cache.get(t) for t in turns}
        missing = [t for t, emotion in found.items() if emotion is None]
        if missing:
            for turn, emotion in zip(missing, self._predict(missing), strict=True):
                found[turn] = emotion
                self._remember(turn, emotion)
        return [found[t] or Emotion("neutral", NEUTRAL_LABEL, 0.0) for t in turns]

    def _remember(self, turn: ChatTurn, emotion: Emotion) -> None:
        self._cache[turn] = emotion
        while len(self._cache) > CACHE_SIZE:
            try:
                self._cache.popitem(last=False)
            except KeyError:
                break

    def negative_probability(self, turns: list[ChatTurn]) -> np.ndarray:
        """P(negative) of each turn (what the threshold is applied to)."""
        ngrams = self._features.transform([t.text.strip() for t in turns])
        matrix = hstack([ngrams, dense_features(turns)]).tocsr()
        column = list(self._negative.classes_).index(True)
        return np.asarray(probabilities(self._negative, matrix)[:, column])

    def _predict(self, turns: list[ChatTurn]) -> list[Emotion]:
        p_negative = self.negative_probability(turns)
        negative = [i for i, p in enumerate(p_negative) if p >= self.threshold]
        causes = self.classify_causes([turns[i].text.strip() for i in negative])
        emotions = [_not_negative(t.text, float(p)) for t, p in zip(turns, p_negative, strict=True)]
        for i, cause in zip(negative, causes, strict=True):
            emotions[i] = Emotion("negative", cause, round(float(p_negative[i]), 4))
        return emotions

    def classify_causes(self, texts: list[str]) -> list[str]:
        """The cause of each message read as negative (n-gram model, then the cause rules)."""
        if not texts:
            return []
        probs = probabilities(self._cause, self._features.transform(texts))
        return [
            negative_cause(text, dict(zip(self._cause_classes, (float(x) for x in row), strict=True)))
            for text, row in zip(texts, probs, strict=True)
        ]


def probabilities(classifier: Any, matrix: Any) -> np.ndarray:
    """``classifier.predict_proba(matrix)`` of a fitted logistic regression, the same floats
    computed the same way (the matrix times the coefficients plus the intercept, then the logistic
    function for two classes, softmax for more) without scikit-learn's input checks, which took a
    chat message arriving alone longer than the arithmetic. The reference is ``predict_proba``
    itself (``tests/qc/test_chat_emotion.py::TestProbabilitiesEqualPredictProba``)."""
    scores = matrix @ classifier.coef_.T + classifier.intercept_
    if len(classifier.classes_) <= 2:
        positive = expit(scores.reshape(-1))
        return np.stack([1 - positive, positive], axis=1)
    return np.asarray(softmax(scores, copy=False))


def _not_negative(text: str, p_negative: float) -> Emotion:
    if GRATITUDE.search(text):
        return Emotion("positive", "感激", round(1 - p_negative, 4))
    return Emotion("neutral", NEUTRAL_LABEL, round(1 - p_negative, 4))


@cache
def load_model(path: Path = MODEL_PATH) -> ChatEmotionModel:
    """The shipped chat model; ``aftersales qc train`` writes it. Loaded once per process."""
    if not path.exists():
        raise FileNotFoundError(f"对话情绪模型文件不存在: {path}。请先运行 aftersales qc train")
    jieba.setLogLevel(60)
    model = ChatEmotionModel(joblib.load(path))
    freeze_long_lived()
    return model


def classify(turns: list[ChatTurn]) -> list[Emotion]:
    """Emotion of each customer turn, in order."""
    if not turns:
        return []
    return load_model().classify(list(turns))
