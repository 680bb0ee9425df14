"""What a review praises and what it complains about, from jieba tokens and a small aspect lexicon.

The overall polarity of a review comes from the QC emotion model (``sentiment.py``); this module
answers a narrower question that the drafts need: *which* things were liked or disliked, in the
customer's own words. Text is cut into clauses; in each clause an aspect word (屏幕, 物流, 做工…)
takes the polarity of the opinion words around it (好, 慢, 掉毛…), with a preceding negation
(不, 没) flipping it. Some opinion words imply their aspect by themselves (掉毛 is about quality).
"""

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from aftersales.kit.memory import freeze_long_lived

# topic -> words naming that aspect of a product or of the service around it
ASPECT_WORDS: dict[str, tuple[str, ...]] = {
    "质量": ("质量", "品质", "做工", "用料", "材质", "面料", "手感", "质感", "走线", "工艺"),
    "外观": ("外观", "颜值", "颜色", "款式", "样子", "设计", "图案", "花色", "造型"),
    "尺寸": ("尺寸", "大小", "尺码", "码数", "厚度", "重量", "分量", "容量"),
    "性能": ("性能", "运行", "反应", "信号", "功能", "系统", "网速", "配置", "内存", "散热"),
    "画质": ("屏幕", "画质", "画面", "清晰度", "分辨率", "显示", "夜视", "监控"),
    "音质": ("音质", "声音", "降噪", "音效", "通话"),
    "续航": ("续航", "电池", "电量", "待机"),
    "舒适度": ("睡感", "触感", "贴合度", "回弹"),
    "气味": ("味道", "气味", "味儿"),
    "物流": ("物流", "快递", "发货", "送货", "配送", "到货", "快递员"),
    "包装": ("包装", "盒子", "外包装", "箱子", "纸箱"),
    "客服": ("客服", "服务", "态度", "售后", "回复"),
    "价格": ("价格", "性价比", "价钱", "活动", "优惠"),
    "安装使用": ("安装", "使用", "操作", "说明书", "连接", "设置", "配网", "配对", "收车"),
}

POSITIVE_WORDS = frozenset(
    "好 很好 挺好 不错 满意 喜欢 舒服 舒适 柔软 清晰 快 很快 漂亮 好看 精致 结实 耐用 推荐 给力 值 值得 "
    "划算 实惠 赞 棒 完美 热情 耐心 专业 到位 流畅 轻 轻薄 安静 干爽 温和 保暖 好用 方便 香 靠谱 细腻 "
    "厚实 亲肤 透气 稳 稳定 及时 超值 惊喜 高清 持久 顺滑 软 暖和 贴心 周到 严实 完好".split()
)
NEGATIVE_WORDS = frozenset(
    "差 很差 太差 垃圾 失望 慢 太慢 坏 坏了 破 破损 掉毛 起球 异味 臭 刺鼻 模糊 卡 卡顿 断 漏 漏液 贵 "
    "假 劣质 敷衍 冷淡 不理 难用 麻烦 发热 发烫 烫 吵 硬 闷 过敏 红屁屁 少 少件 漏发 错发 褪色 变形 "
    "开线 瑕疵 后悔 骗 坑 糟糕 粗糙 松 晃 断连 掉线 失灵 不灵 没反应 难闻 变质 压扁 压坏 脏 旧 二手 "
    "色差 不符 缩水 偏小 偏大 起皱 掉色 死机 黑屏 闪退 慢吞吞 拖 拖延 不耐用 不清楚".split()
)
NEGATIONS = frozenset(("不", "没", "没有", "别", "无", "不太", "不是", "一点也不", "毫不", "并不"))

# opinion words that name their aspect by themselves
IMPLIED_TOPIC: dict[str, str] = {
    "掉毛": "质量",
    "起球": "质量",
    "开线": "质量",
    "瑕疵": "质量",
    "劣质": "质量",
    "粗糙": "质量",
    "褪色": "质量",
    "掉色": "质量",
    "变形": "质量",
    "缩水": "质量",
    "不耐用": "质量",
    "结实": "质量",
    "耐用": "质量",
    "细腻": "质量",
    "厚实": "质量",
    "异味": "气味",
    "臭": "气味",
    "刺鼻": "气味",
    "难闻": "气味",
    "香": "气味",
    "舒服": "舒适度",
    "舒适": "舒适度",
    "柔软": "舒适度",
    "亲肤": "舒适度",
    "透气": "舒适度",
    "保暖": "舒适度",
    "暖和": "舒适度",
    "干爽": "舒适度",
    "过敏": "舒适度",
    "红屁屁": "舒适度",
    "闷": "舒适度",
    "模糊": "画质",
    "高清": "画质",
    "卡顿": "性能",
    "死机": "性能",
    "黑屏": "性能",
    "闪退": "性能",
    "断连": "性能",
    "掉线": "性能",
    "发烫": "性能",
    "发热": "性能",
    "流畅": "性能",
    "失灵": "性能",
    "没反应": "性能",
    "吵": "音质",
    "少件": "少件",
    "漏发": "少件",
    "错发": "少件",
    "破损": "破损",
    "漏液": "破损",
    "压扁": "破损",
    "压坏": "破损",
    "色差": "描述不符",
    "假": "描述不符",
    "骗": "描述不符",
    "不符": "描述不符",
    "二手": "描述不符",
    "偏小": "尺寸",
    "偏大": "尺寸",
    "划算": "价格",
    "实惠": "价格",
    "超值": "价格",
    "贵": "价格",
    "敷衍": "客服",
    "冷淡": "客服",
    "不理": "客服",
    "热情": "客服",
    "耐心": "客服",
    "贴心": "客服",
    "周到": "客服",
    "严实": "包装",
    "完好": "包装",
}

COMPENSATION = re.compile(r"赔偿|补偿|赔钱|退一赔|假一赔|赔付|投诉|12315|工商|消协|举报|返现|给个说法|不赔")
_CLAUSE_BREAK = frozenset("，,。.！!？?；;、~～…\n\r\t ")
_BUT = frozenset(("但", "但是", "可是", "不过", "就是", "然而", "只是"))


@dataclass(frozen=True)
class Aspect:
    topic: str
    term: str
    polarity: str  # "positive" | "negative"


@dataclass(frozen=True)
class Analysis:
    aspects: tuple[Aspect, ...]
    demands_compensation: bool

    @property
    def praised(self) -> list[str]:
        return _topics(self.aspects, "positive")

    @property
    def complaints(self) -> list[str]:
        return _topics(self.aspects, "negative")

    def terms(self, polarity: str) -> dict[str, str]:
        """First customer word per topic, so a reply can quote what the customer actually said."""
        found: dict[str, str] = {}
        for aspect in self.aspects:
            if aspect.polarity == polarity:
                found.setdefault(aspect.topic, aspect.term)
        return found


def _topics(aspects: tuple[Aspect, ...], polarity: str) -> list[str]:
    return list(dict.fromkeys(a.topic for a in aspects if a.polarity == polarity))


@cache
def _aspect_index() -> dict[str, str]:
    """Word -> topic; registering the words with this module's own jieba tokenizer keeps them
    whole when segmenting. Never with jieba's global one: the QC and review models were trained on
    its default dictionary, and added words would change their tokens, so their judgements would
    depend on whether a review had been analysed earlier in the same process."""
    index = {word: topic for topic, words in ASPECT_WORDS.items() for word in words}
    for word in (*index, *POSITIVE_WORDS, *NEGATIVE_WORDS, *IMPLIED_TOPIC):
        _tokenizer().add_word(word, freq=200_000)
    _tokenizer().initialize()
    freeze_long_lived()
    return index


@cache
def _tokenizer() -> Any:
    """This module's jieba tokenizer (jieba is imported on first use, not with the module)."""
    import jieba

    return jieba.Tokenizer()


def warm_up() -> None:
    """Load jieba's dictionary now (about a second) rather than inside the first request."""
    _aspect_index()


def analyse(text: str) -> Analysis:
    aspects: list[Aspect] = []
    for segment in _PUNCTUATION.split(text or ""):
        if segment:
            aspects += _segment_aspects(segment)
    return Analysis(tuple(dict.fromkeys(aspects)), bool(COMPENSATION.search(text or "")))


_PUNCTUATION = re.compile(r"[,,。.!!??;;、~～…\s]+")


@lru_cache(maxsize=100_000)
def _segment_aspects(segment: str) -> tuple[Aspect, ...]:
    """One punctuation-delimited piece of a review. Buyers reuse the same phrases ("物流很快",
    "质量很好") across thousands of reviews, so segments are cached: jieba runs once per phrase."""
    index = _aspect_index()
    found: list[Aspect] = []
    for clause in _clauses(_tokenizer().lcut(segment, HMM=False)):
        found += _clause_aspects(clause, index)
    return tuple(found)


def _clauses(tokens: list[str]) -> list[list[str]]:
    clauses: list[list[str]] = [[]]
    for token in tokens:
        if token in _CLAUSE_BREAK or token.strip() == "" or token in _BUT:
            if clauses[-1]:
                clauses.append([])
            continue
        clauses[-1].append(token)
    return [c for c in clauses if c]


def _clause_aspects(clause: list[str], index: dict[str, str]) -> list[Aspect]:
    """Aspect words in the clause take its net opinion; opinion words with an implied topic count alone."""
    score = 0
    implied: list[Aspect] = []
    opinions: dict[int, str] = {}
    for position, token in enumerate(clause):
        polarity = _opinion(token, clause[position - 1] if position else "")
        if polarity == 0:
            continue
        score += polarity
        opinions.setdefault(polarity, token)
        if token in IMPLIED_TOPIC:
            implied.append(Aspect(IMPLIED_TOPIC[token], token, "positive" if polarity > 0 else "negative"))
    named = [(index[t], t) for t in clause if t in index]
    if score == 0 or not named:
        return implied
    sign = 1 if score > 0 else -1
    opinion = opinions.get(sign, "")
    label = "positive" if sign > 0 else "negative"
    return [Aspect(topic, _term(word, opinion), label) for topic, word in named] + implied


def _term(aspect_word: str, opinion: str) -> str:
    """``快递`` + ``太慢`` -> ``快递太慢``: the complaint as the customer put it."""
    return aspect_word if opinion in ("", aspect_word) else aspect_word + opinion


def _opinion(token: str, previous: str) -> int:
    if token in POSITIVE_WORDS:
        value = 1
    elif token in NEGATIVE_WORDS:
        value = -1
    elif token.startswith("不") and token[1:] in POSITIVE_WORDS:
        return -1
    else:
        return 0
    return -value if previous in NEGATIONS else value
