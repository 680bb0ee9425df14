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
"""A 4-5-star review is a mismatch when the model calls its text negative at least this surely."""
PRAISE_VETO_CONFIDENCE = 0.95
"""...unless the text only praises named aspects (画面很清晰): then the model must be this sure."""


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


def is_mismatch(stars: int, emotion: TextEmotion | None, *, praise_only: bool = False) -> bool:
    """五星差评: high stars, negative text. Short praise the model doubts is vetoed by the aspects found."""
    if stars < 4 or emotion is None or emotion.polarity != "negative":
        return False
    return emotion.confidence >= (PRAISE_VETO_CONFIDENCE if praise_only else MISMATCH_CONFIDENCE)
