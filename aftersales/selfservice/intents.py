"""The answer bot's intent classifier: jieba tokens (+ character n-grams) into TF-IDF, a logistic
regression, and cosine similarity to the FAQ questions and examples.

The confidence of a prediction blends the classifier's probability with the best similarity to
that intent's phrasings, so an unseen wording close to a known one still scores, and a question
about something else entirely scores low and goes to a person.

``aftersales selfservice train-bot`` writes the model file shipped in the package; the bot loads it
once per process (and trains in memory if the file is missing or from another dataset version).
"""

import hashlib
import logging
import random
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from aftersales.kit.memory import freeze_long_lived

DATA_DIR = Path(__file__).resolve().parent / "data"
DATASET = DATA_DIR / "bot_faq.yaml"
MODEL_FILE = DATA_DIR / "bot_model.joblib"
PROBABILITY_WEIGHT = 0.6
FAQ_HIT = 0.9
HELD_OUT_SHARE = 0.25
SPLIT_SEED = 11

# jieba, NumPy, SciPy and scikit-learn take over a second to import: they are imported by the
# functions that use them, so the console and API start without them (the model loads on first use).


@lru_cache
def _jieba() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def tokenize(text: str) -> list[str]:
    """jieba words without punctuation and whitespace (module-level so the model file can pickle it)."""
    return [token for token in _jieba().lcut(text.lower()) if token.strip() and not _punctuation(token)]


def _punctuation(token: str) -> bool:
    return all(not ch.isalnum() for ch in token)


@dataclass(frozen=True)
class Intent:
    code: str
    label: str
    answer: str
    faq: list[str]
    examples: list[str]


@dataclass(frozen=True)
class Prediction:
    intent: str
    confidence: float
    probability: float
    similarity: float
    matched: str


def load_dataset(path: Path = DATASET) -> dict[str, Intent]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {
        code: Intent(code, spec["label"], spec["answer"], list(spec["faq"]), list(spec["examples"]))
        for code, spec in raw["intents"].items()
    }


def dataset_digest(path: Path = DATASET) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def labelled(intents: dict[str, Intent]) -> list[tuple[str, str]]:
    """(text, intent) pairs: every FAQ question and example."""
    return [(text, intent.code) for intent in intents.values() for text in intent.faq + intent.examples]


def split(pairs: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """A stratified, seeded split: the same quarter of each intent's phrasings is always held out."""
    by_intent: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for pair in pairs:
        by_intent[pair[1]].append(pair)
    rng = random.Random(SPLIT_SEED)
    train: list[tuple[str, str]] = []
    test: list[tuple[str, str]] = []
    for code in sorted(by_intent):
        group = sorted(by_intent[code])
        rng.shuffle(group)
        cut = max(1, round(len(group) * HELD_OUT_SHARE))
        test += group[:cut]
        train += group[cut:]
    return train, test


class IntentModel:
    """Vectoriser + classifier + the phrasings' vectors for similarity."""

    def __init__(self, pairs: list[tuple[str, str]], digest: str = "") -> None:
        import numpy as np
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import FeatureUnion

        texts = [text for text, _ in pairs]
        self.digest = digest
        self.vectorizer = FeatureUnion(
            [
                ("words", TfidfVectorizer(tokenizer=tokenize, token_pattern=None, sublinear_tf=True)),
                ("chars", TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True)),
            ],
            transformer_weights={"words": 0.5, "chars": 1.0},
        )
        matrix = self.vectorizer.fit_transform(texts)
        self.classifier = LogisticRegression(C=20.0, max_iter=3000)
        self.classifier.fit(matrix, [code for _, code in pairs])
        self.phrase_matrix = _normalise(matrix)
        self.phrase_texts = texts
        self.phrase_intents = np.array([code for _, code in pairs])

    def predict(self, text: str) -> Prediction:
        """The classifier's intent, unless the text is a near copy of a known phrasing (FAQ hit)."""
        import numpy as np

        vector = _normalise(self.vectorizer.transform([text]))
        probabilities = self.classifier.predict_proba(vector)[0]
        similarities = (self.phrase_matrix @ vector.T).toarray().ravel()
        nearest = int(np.argmax(similarities))
        if similarities[nearest] >= FAQ_HIT:
            code = str(self.phrase_intents[nearest])
        else:
            code = str(self.classifier.classes_[int(np.argmax(probabilities))])
        probability = float(probabilities[list(self.classifier.classes_).index(code)])
        position = int(np.argmax(np.where(self.phrase_intents == code, similarities, -1.0)))
        similarity = float(similarities[position])
        confidence = PROBABILITY_WEIGHT * probability + (1 - PROBABILITY_WEIGHT) * similarity
        return Prediction(code, confidence, probability, similarity, self.phrase_texts[position])


def _normalise(matrix: Any) -> Any:
    """Row-wise L2 normalisation so a dot product is a cosine similarity."""
    import numpy as np
    from scipy.sparse import diags

    norms = np.sqrt(matrix.multiply(matrix).sum(axis=1)).A.ravel()
    norms[norms == 0] = 1.0
    return diags(1.0 / norms) @ matrix


@dataclass(frozen=True)
class Evaluation:
    accuracy: float
    train_size: int
    test_size: int
    mistakes: list[tuple[str, str, str]]


def evaluate(path: Path = DATASET) -> Evaluation:
    """Train on the training split, score the held-out split (what ``train-bot`` prints)."""
    train, test = split(labelled(load_dataset(path)))
    model = IntentModel(train)
    mistakes = []
    for text, expected in test:
        predicted = model.predict(text).intent
        if predicted != expected:
            mistakes.append((text, expected, predicted))
    accuracy = 1 - len(mistakes) / len(test)
    return Evaluation(accuracy, len(train), len(test), mistakes)


def train(path: Path = DATASET, output: Path = MODEL_FILE) -> IntentModel:
    """The shipped model learns from every phrasing; its accuracy is the held-out figure above."""
    import joblib

    model = IntentModel(labelled(load_dataset(path)), digest=dataset_digest(path))
    joblib.dump(model, output, compress=3)
    return model


@lru_cache
def get_model() -> IntentModel:
    """The shipped model, or one trained now when the file is missing or the dataset changed."""
    import joblib

    digest = dataset_digest()
    model = joblib.load(MODEL_FILE) if MODEL_FILE.exists() else None
    if not isinstance(model, IntentModel) or model.digest != digest:
        model = IntentModel(labelled(load_dataset()), digest=digest)
    freeze_long_lived()
    return model


@lru_cache
def get_intents() -> dict[str, Intent]:
    return load_dataset()
