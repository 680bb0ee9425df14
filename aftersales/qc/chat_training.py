"""Reproducible training and held-out evaluation of the chat emotion model (``aftersales qc train``).

Data (all shipped in the package, nothing downloaded):
* ``data/jddc-labels.tsv``: every customer message of 532 real JD customer-service sessions
  (JDDC 2019), labelled by hand per docs/qc-labelling.md: negative or neutral, the cause, and
  whether the customer threatens a complaint; with the shop's reply just before each message;
* the authored utterances of ``data/utterances.tsv`` (their negative ones help the cause model).

The labelled sessions are split 70/30 by session with a fixed seed, so no conversation is in both
parts; the shipped file is fitted on the training part and the figures printed are those of the
test part. The decision threshold is chosen by cross-validation inside the training part.
"""

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jieba
import joblib
import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, train_test_split

from aftersales.qc import risk
from aftersales.qc.chat_emotion import MODEL_PATH, MODEL_VERSION, ChatEmotionModel, ChatTurn, dense_features
from aftersales.qc.emotion import NEGATIVE_LABELS, tokenize
from aftersales.qc.features import Features
from aftersales.qc.training import authored_corpus

SEED = 20261111
LABELS = Path(__file__).resolve().parent / "data" / "jddc-labels.tsv"
TEST_SHARE = 0.3
FOLDS = 5
THRESHOLDS = tuple(round(x, 2) for x in np.arange(0.3, 0.86, 0.05))


@dataclass(frozen=True)
class Labelled:
    session_id: str
    turn: ChatTurn
    negative: bool
    cause: str
    risk: bool


def labelled(path: Path = LABELS) -> list[Labelled]:
    """The labelled customer messages in session order, each with the customer's previous message."""
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()[1:] if line]
    said: dict[str, str] = defaultdict(str)
    items = []
    for session_id, _index, reply_before, text, label, cause, threat in rows:
        turn = ChatTurn(text=text, reply_before=reply_before, said_before=said[session_id])
        items.append(Labelled(session_id, turn, label == "negative", cause, threat == "1"))
        said[session_id] = text
    return items


def split(items: list[Labelled]) -> tuple[list[Labelled], list[Labelled]]:
    """The fixed 70/30 split by session."""
    sessions = sorted({item.session_id for item in items})
    _train, test = train_test_split(sessions, test_size=TEST_SHARE, random_state=SEED)
    held_out = set(test)
    return [i for i in items if i.session_id not in held_out], [i for i in items if i.session_id in held_out]


def _vectorisers(texts: list[str]) -> tuple[TfidfVectorizer, TfidfVectorizer]:
    words = TfidfVectorizer(token_pattern=r"(?u)\S+", ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    chars = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True)
    words.fit([tokenize(t) for t in texts])
    chars.fit(texts)
    return words, chars


def _negative_classifier() -> LogisticRegression:
    return LogisticRegression(C=3.0, max_iter=3000, class_weight="balanced")


def _threshold(matrix: Any, items: list[Labelled]) -> float:
    """The threshold with the best F1 of "negative" over cross-validated predictions (by session)."""
    y = np.array([i.negative for i in items])
    predicted = np.zeros(len(items))
    for fit, hold in GroupKFold(FOLDS).split(matrix, y, groups=[i.session_id for i in items]):
        predicted[hold] = _negative_classifier().fit(matrix[fit], y[fit]).predict_proba(matrix[hold])[:, 1]
    return max(THRESHOLDS, key=lambda t: _f1(predicted >= t, y))


def _f1(predicted: np.ndarray, truth: np.ndarray) -> float:
    hits = float((predicted & truth).sum())
    return 2 * hits / max(float(predicted.sum() + truth.sum()), 1.0)


def fit(train: list[Labelled]) -> dict[str, Any]:
    """The model bundle fitted on the training messages (plus the authored utterances for causes)."""
    jieba.setLogLevel(60)
    authored = authored_corpus()
    texts = [i.turn.text for i in train]
    words, chars = _vectorisers(texts + authored.texts)
    features = Features(words, chars)
    matrix = hstack([features.transform(texts), dense_features([i.turn for i in train])]).tocsr()
    y = np.array([i.negative for i in train])
    negative = _negative_classifier().fit(matrix, y)
    cause_texts = [i.turn.text for i in train if i.negative] + [
        t for t, label in zip(authored.texts, authored.labels, strict=True) if label in NEGATIVE_LABELS
    ]
    cause_labels = [i.cause for i in train if i.negative] + [
        label for label in authored.labels if label in NEGATIVE_LABELS
    ]
    cause = LogisticRegression(C=1.0, max_iter=3000, class_weight="balanced").fit(
        features.transform(cause_texts), cause_labels
    )
    return {
        "version": MODEL_VERSION,
        "metrics": {},
        "words": words,
        "chars": chars,
        "negative": negative,
        "cause": cause,
        "threshold": _threshold(matrix, train),
    }


def evaluate(model: Any, test: list[Labelled]) -> dict[str, Any]:
    """Per customer message: precision and recall of "negative", cause accuracy on true negatives."""
    predicted = model.classify([i.turn for i in test])
    truth = np.array([i.negative for i in test])
    said = np.array([p.polarity == "negative" for p in predicted])
    hits = int((said & truth).sum())
    causes = model.classify_causes([i.turn.text for i in test if i.negative])
    right = sum(c == i.cause for c, i in zip(causes, [i for i in test if i.negative], strict=True))
    return {
        "messages": len(test),
        "negatives": int(truth.sum()),
        "said_negative": int(said.sum()),
        "precision": round(hits / max(int(said.sum()), 1), 4),
        "recall": round(hits / max(int(truth.sum()), 1), 4),
        "cause_accuracy": round(right / max(int(truth.sum()), 1), 4),
    }


def risk_precision(items: list[Labelled]) -> dict[str, Any]:
    """How many of the customer messages the risk detector flags are the customer's own threat."""
    flagged = [i for i in items if risk.detect(i.turn.text)]
    true = sum(i.risk for i in flagged)
    return {
        "labelled": len(items),
        "flagged": len(flagged),
        "threats": sum(i.risk for i in items),
        "true_flags": true,
        "precision": round(true / len(flagged), 4) if flagged else None,
    }


def review_model_baseline(test: list[Labelled]) -> dict[str, Any]:
    """The review-trained model (``qc.emotion``) on the same test messages, text only."""
    from aftersales.qc import emotion

    predicted = emotion.load_model().classify([i.turn.text for i in test])
    truth = np.array([i.negative for i in test])
    said = np.array([p.polarity == "negative" for p in predicted])
    hits = int((said & truth).sum())
    return {
        "precision": round(hits / max(int(said.sum()), 1), 4),
        "recall": round(hits / max(int(truth.sum()), 1), 4),
    }


def train(output: Path = MODEL_PATH) -> dict[str, Any]:
    """Fit on the training part, evaluate on the test part, save the file; returns the metrics."""
    items = labelled()
    train_part, test_part = split(items)
    bundle = fit(train_part)
    metrics = {
        "seed": SEED,
        "train_messages": len(train_part),
        "threshold": bundle["threshold"],
        "test": evaluate(ChatEmotionModel(bundle), test_part),
        "risk": risk_precision(items),
        "review_model_on_test": review_model_baseline(test_part),
    }
    bundle["metrics"] = metrics
    output.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(bundle, output, compress=("xz", 3))
    return metrics
