"""What a review's text says: polarity from the review model, the cause from the chat model.

Polarity (正面 / 负面 / 未判定) comes from ``reviews.polarity``, trained on real reviews of several
categories (``aftersales reviews train``). For a negative text the cause (物流, 产品, 少件, 态度 …)
comes from the QC emotion model's cause rules and label model (``qc.emotion``, docs/contracts.md),
which drafts and review tickets use to name the complaint. Text with no Chinese in it is 未判定:
never a five-star-negative, never a ticket.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # both models' modules load jieba and scikit-learn: imported where first used
    from aftersales.qc import emotion as chat_emotion
    from aftersales.reviews import polarity as review_polarity

MISMATCH_CONFIDENCE = 0.6
"""A 4-5-star review naming a complaint is a mismatch when the model calls it negative this surely."""
UNSUPPORTED_CONFIDENCE = 0.9
"""Without any aspect named ("会回购的"), the model alone must be this sure."""
UNDETERMINED_LABEL = "未判定"
POSITIVE_LABEL = "满意"
OTHER_CAUSE = "其他"


@dataclass(frozen=True)
class TextEmotion:
    polarity: str
    label: str
    confidence: float


def classify(texts: list[str]) -> list[TextEmotion]:
    """One emotion per text; the chat model is asked only about the negative ones' cause."""
    from aftersales.qc import emotion as chat_emotion
    from aftersales.reviews import polarity as review_polarity

    judged = review_polarity.judge(texts)
    negative = [t for t, p in zip(texts, judged, strict=True) if p.polarity == review_polarity.NEGATIVE]
    causes = iter(chat_emotion.classify(negative))
    return [_emotion(p, causes) for p in judged]


def _emotion(judged: "review_polarity.Polarity", causes: Iterator["chat_emotion.Emotion"]) -> TextEmotion:
    from aftersales.reviews import polarity as review_polarity

    if judged.polarity == review_polarity.UNDETERMINED:
        return TextEmotion(judged.polarity, UNDETERMINED_LABEL, 0.0)
    if judged.polarity == review_polarity.POSITIVE:
        return TextEmotion(judged.polarity, POSITIVE_LABEL, judged.confidence)
    cause = next(causes)
    return TextEmotion(judged.polarity, cause.label if cause.is_negative else OTHER_CAUSE, judged.confidence)


def is_mismatch(stars: int, emotion: TextEmotion | None, *, praised: bool, complained: bool) -> bool:
    """五星差评: high stars, negative text, judged by the model and checked against the aspects.

    The model misreads short praise with a negation ("没有异味", "不起球") as negative; when the
    aspects found are all praise, the text is not a complaint whatever the model says.
    """
    from aftersales.reviews import polarity as review_polarity

    if stars < 4 or emotion is None or emotion.polarity != review_polarity.NEGATIVE:
        return False
    if complained:
        return emotion.confidence >= MISMATCH_CONFIDENCE
    if praised:
        return False
    return emotion.confidence >= UNSUPPORTED_CONFIDENCE
