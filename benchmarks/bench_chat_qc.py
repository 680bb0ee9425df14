"""Issue 19: chat emotion and risk judged on real JD customer-service chats, and their speed.

* accuracy: the shipped chat model (``qc.chat_emotion``) on the held-out 30 % of the hand-labelled
  JDDC sessions (``aftersales qc train``'s split, by session), per customer message: precision and
  recall of "negative", cause accuracy on the true negatives; beside it, from the same run, the
  review-trained model (``qc.emotion``, what inspected chats before) on the same messages;
* risk: precision of the customer-threat detector on all labelled customer messages;
* throughput: distinct messages (labelled texts varied with suffixes and numbers, each with the
  shop's reply before it), so the cache never hits: jieba, features, both classifiers, risk rules,
  pinned to one thread; per CPU-second is what one core does when the machine is shared.
"""

import os
import random
import time

from threadpoolctl import threadpool_limits

from aftersales.qc import chat_emotion, risk
from aftersales.qc.chat_emotion import ChatTurn
from aftersales.qc.chat_training import evaluate, labelled, review_model_baseline, risk_precision, split
from benchmarks.figures import Figure

SUFFIXES = ("", "啊", "呢", "!", "，亲", "??", "。", "，麻烦快点")


def _turns(count: int, seed: int = 19) -> list[ChatTurn]:
    rng = random.Random(seed)
    items = labelled()
    return [
        ChatTurn(
            f"{item.turn.text}{rng.choice(SUFFIXES)} #{n}", item.turn.reply_before, item.turn.said_before
        )
        for n, item in enumerate(rng.choice(items) for _ in range(count))
    ]


def _throughput(turns: list[ChatTurn]) -> tuple[float, float]:
    model = chat_emotion.load_model()
    model.classify([ChatTurn("预热")])
    started, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(turns), 1000):
        batch = turns[start : start + 1000]
        model.classify(batch)
        for turn in batch:
            risk.detect(turn.text)
    return len(turns) / (time.perf_counter() - started), len(turns) / (time.process_time() - cpu)


def run(full: bool) -> list[Figure]:
    count = 200_000 if full else 20_000
    items = labelled()
    _train, test = split(items)
    chat = evaluate(chat_emotion.load_model(), test)
    before = review_model_baseline(test)
    threat = risk_precision(items)
    load = f"load avg {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    with threadpool_limits(1):
        wall, per_cpu = _throughput(_turns(count))
    held_out = f"{chat['messages']} held-out msgs, {chat['negatives']} negative"
    return [
        Figure("chat negative precision, real JD chats", chat["precision"], "", "≥ 0.85", held_out),
        Figure("chat negative recall, real JD chats", chat["recall"], "", "≥ 0.80", held_out),
        Figure("chat cause right on true negatives", chat["cause_accuracy"], "", "≥ 0.80", held_out),
        Figure("  before: review model, negative precision", before["precision"], "", "", "same messages"),
        Figure("  before: review model, negative recall", before["recall"], "", "", "same messages"),
        Figure(
            "risk precision, customer's own threats",
            float("nan") if threat["precision"] is None else threat["precision"],
            "",
            "≥ 0.9",
            f"{threat['flagged']} flagged of {threat['labelled']} labelled msgs, {threat['threats']} threats",
        ),
        Figure(f"chat model + risk, {count:,} distinct msgs, 1 thread", wall, "msgs/s", "", load),
        Figure("chat model + risk, per CPU-second of one core", per_cpu, "msgs/s", "≥ 5,000/s"),
    ]
