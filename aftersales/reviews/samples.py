"""Realistic review texts for the demo and the benchmark: clauses as buyers write them, recombined.

Each kind draws two or three clauses, so texts vary the way real reviews do (many phrasings of
the same few topics) rather than repeating a handful of strings.
"""

import random
from dataclasses import dataclass

PRAISE = (
    "质量很好",
    "做工精致",
    "物流很快",
    "快递很快,第二天就到了",
    "包装很严实",
    "客服很耐心",
    "客服态度很好,有问必答",
    "性价比很高",
    "颜色好看",
    "跟描述的一样",
    "非常满意",
    "用了一周了,很好用",
    "家人都说好",
    "会回购的",
    "手感很舒服",
    "没有异味",
    "安装很方便",
)
CATEGORY_PRAISE = {
    "床品": ("睡着很舒服", "面料很柔软", "不掉毛", "很保暖"),
    "被芯": ("很轻盈透气", "盖着很舒服"),
    "枕头": ("回弹很好", "睡着很舒服,颈椎轻松多了"),
    "毯子": ("很亲肤", "洗了也不起球"),
    "床垫": ("睡感很好", "回弹很舒服"),
    "电脑": ("屏幕很清晰", "运行很流畅", "续航很给力", "很轻薄"),
    "摄像头": ("画面很清晰", "夜视效果不错", "安装很方便"),
    "耳机": ("音质很好", "降噪效果很好", "续航很给力"),
    "配件": ("充电很快", "小巧方便"),
    "洗护": ("很温和", "味道很香", "宝宝用了不过敏"),
    "纸尿裤": ("很干爽", "不闷,宝宝没有红屁屁"),
    "喂养": ("很好清洗", "宝宝很喜欢"),
    "出行": ("收车很方便", "推着很稳"),
}
COMPLAINTS = (
    "物流太慢了",
    "快递太慢,等了一个星期",
    "包装破损",
    "收到少件了",
    "质量太差",
    "用了两天就坏了",
    "有异味",
    "客服态度很差,不理人",
    "跟图片色差很大",
    "做工粗糙",
)
CATEGORY_COMPLAINTS = {
    "床品": ("掉毛严重", "洗了就起球"),
    "电脑": ("屏幕有亮点", "运行卡顿", "发热很严重"),
    "摄像头": ("画面模糊", "经常掉线"),
    "耳机": ("降噪效果很差", "蓝牙经常断连"),
    "纸尿裤": ("很闷,宝宝红屁屁了",),
    "洗护": ("味道刺鼻",),
}
MIDDLING = ("东西还行吧", "一般般", "凑合用", "中规中矩", "没有想象中好")
DEMANDS = ("必须赔偿", "不给说法就投诉12315", "要求退一赔三")
ENDINGS = ("", "", "。", "!", "~", "。下次还来", "。推荐购买", "。好评")


@dataclass(frozen=True)
class SampleReview:
    stars: int
    text: str
    kind: str


def _clauses(rng: random.Random, pool: tuple[str, ...], count: int) -> list[str]:
    return rng.sample(pool, min(count, len(pool)))


def sample_review(rng: random.Random, *, category: str | None, kind: str) -> SampleReview:
    """``kind``: positive, middling, negative, mismatch (five stars, negative text) or professional."""
    praise = PRAISE + CATEGORY_PRAISE.get(category or "", ())
    complaints = COMPLAINTS + CATEGORY_COMPLAINTS.get(category or "", ())
    if kind == "positive":
        parts, stars = _clauses(rng, praise, rng.choice((1, 2, 2, 3))), rng.choice((4, 5, 5, 5))
    elif kind == "middling":
        parts, stars = [rng.choice(MIDDLING), *_clauses(rng, complaints, 1)], 3
    elif kind == "mismatch":
        parts, stars = ["给五星是因为快递小哥", *_clauses(rng, complaints, 2)], 5
    elif kind == "professional":
        parts, stars = [*_clauses(rng, complaints, 2), rng.choice(DEMANDS)], 1
    else:
        parts, stars = _clauses(rng, complaints, rng.choice((1, 2, 2))), rng.choice((1, 1, 2))
    ending = rng.choice(ENDINGS) if kind == "positive" else ""
    return SampleReview(stars, ",".join(parts) + ending, kind)


def draw_kind(rng: random.Random) -> str:
    """Mostly positive, as a real shop's reviews are; a few five-star-negatives."""
    roll = rng.random()
    if roll < 0.84:
        return "positive"
    if roll < 0.90:
        return "middling"
    if roll < 0.97:
        return "negative"
    return "mismatch"
