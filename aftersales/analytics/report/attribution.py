"""归因及提升: sentences naming the main causes in a section's numbers, and the action they suggest.

Rules are plain functions over already-aggregated rows, so a test can give numbers and read the
sentence. A lead edits the proposed action before the report is sent (``service.save_action``).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from aftersales.analytics.report.repository import Subject
from aftersales.analytics.results import percent

# A subject with fewer cases than this is ranked only when no subject has as many.
MIN_CASES = 5
# Negative customer emotions (qc.emotion's labels): who should act on each.
EMOTION_NAMES = {
    "态度": "对客服态度不满",
    "物流": "对发货物流不满",
    "产品": "对产品不满",
    "少件": "对收货少件不满",
    "其他": "其他不满",
}
POSITIVE_NAMES = {"满意": "满意", "感激": "感激", "期待": "期待"}
EMOTION_ACTIONS = {
    "态度": "开展服务态度专项培训(共情安抚、禁用语),由质检组抽检复核",
    "物流": "与物流部对接发货时效与异常预警,客服主动告知物流进度",
    "产品": "向产品部反馈质量问题,补充商品知识培训",
    "少件": "与仓库核对打包复核流程,少件问题优先补发",
    "其他": "抽检其他不满会话,补充场景话术",
}
# 协同部门: the emotions another department causes, and that department.
DEPARTMENTS = {"产品": "产品部", "物流": "物流部", "少件": "仓库"}


@dataclass(frozen=True)
class Ranked:
    subject: Subject
    value: float
    cases: int
    detail: str = ""


def extremes(ranked: Sequence[Ranked]) -> tuple[Ranked, Ranked] | None:
    """The lowest and the highest value among named subjects with enough cases (or among all
    named ones when none has enough); ``None`` with fewer than two to compare or all equal.
    未分配 (bot-only chats, rows without an agent) is nobody to praise or coach."""
    named = [r for r in ranked if r.subject.ident is not None]
    enough = [r for r in named if r.cases >= MIN_CASES] or named
    if len(enough) < 2 or len({r.value for r in enough}) < 2:
        return None
    ordered = sorted(enough, key=lambda r: (r.value, -r.cases, r.subject.name))
    return ordered[0], ordered[-1]


def compare_sentence(
    ranked: Sequence[Ranked],
    measure: str,
    *,
    fmt: Callable[[float], str] = percent,
    lower_is_worse: bool = True,
) -> str | None:
    """「店铺中 A 合格率最低(62.0%),主要失分项「X」;B 最高(90.0%)」 for one level."""
    pair = extremes(ranked)
    if pair is None:
        return None
    low, high = pair
    worst, best = (low, high) if lower_is_worse else (high, low)
    worst_word, best_word = ("最低", "最高") if lower_is_worse else ("最高", "最低")
    detail = f",{worst.detail}" if worst.detail else ""
    return (
        f"{worst.subject.level_label}中「{worst.subject.name}」{measure}{worst_word}({fmt(worst.value)}){detail};"
        f"「{best.subject.name}」{best_word}({fmt(best.value)})"
    )


def top_items(counts: dict[str, int], most: int = 3) -> list[tuple[str, int]]:
    """The most frequent items, ties by name so the sentence is stable."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:most]


def joined_names(items: Sequence[tuple[str, int]]) -> str:
    return "、".join(f"「{name}」" for name, _n in items)
