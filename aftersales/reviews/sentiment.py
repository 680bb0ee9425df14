"""The seam to the QC emotion model (``qc.emotion.classify``, docs/contracts.md).

Reviews do not ship a classifier of their own: the five-star-negative check uses the QC model.
The import is deferred so that the reviews package stays importable while the QC package is
absent (it is built in parallel); without the model, triage still sorts by stars but cannot
flag mismatches, and says so in the log once.
"""

import importlib
import logging
from dataclasses import dataclass
from functools import cache
from types import ModuleType

log = logging.getLogger(__name__)

MISMATCH_CONFIDENCE = 0.6
"""A 4-5-star review naming a complaint is a mismatch when the model calls it negative this surely."""
UNSUPPORTED_CONFIDENCE = 0.9
"""Without any aspect named ("会回购的"), the model alone must be this sure."""


@dataclass(frozen=True)
class TextEmotion:
    polarity: str
    label: str
    confidence: float


@cache
def _model() -> ModuleType | None:
    try:
        return importlib.import_module("aftersales.qc.emotion")
    except ImportError as exc:
        log.warning("emotion model unavailable (%s): five-star-negative detection is off", exc)
        return None


def available() -> bool:
    return _model() is not None


def classify(texts: list[str]) -> list[TextEmotion | None]:
    """One emotion per text, or ``None`` for every text when the QC model is not installed."""
    model = _model()
    if model is None or not texts:
        return [None] * len(texts)
    return [
        TextEmotion(str(e.polarity), str(e.label), float(e.confidence)) for e in model.classify(list(texts))
    ]


def is_mismatch(stars: int, emotion: TextEmotion | None, *, praised: bool, complained: bool) -> bool:
    """五星差评: high stars, negative text, judged by the model and checked against the aspects.

    The model misreads short praise with a negation ("没有异味", "不起球") as negative; when the
    aspects found are all praise, the text is not a complaint whatever the model says.
    """
    if stars < 4 or emotion is None or emotion.polarity != "negative":
        return False
    if complained:
        return emotion.confidence >= MISMATCH_CONFIDENCE
    if praised:
        return False
    return emotion.confidence >= UNSUPPORTED_CONFIDENCE
