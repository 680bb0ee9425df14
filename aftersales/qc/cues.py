"""Words and turns that show a customer's displeasure in a chat, and the context around a message.

The chat emotion model (``qc.chat_emotion``) learns from few real negative messages (a few hundred),
too few for n-grams alone to see that "都六天了", "说好的…", "无语" or "!!!" carry displeasure
whatever the topic. These hand-written cue groups (from docs/qc-labelling.md) are dense features
next to the n-grams, and the context flags say what the shop's last reply was: an answer to
"还有其他问题吗" is a closing, a message after an apology usually continues a complaint.
"""

import re
from functools import lru_cache

from aftersales.qc import risk

DISPLEASURE_CUES: dict[str, tuple[str, ...]] = {
    "broken_promise": (
        r"说好的",
        r"不是说",
        r"明明",
        r"本来(应该|说|是)",
        r"本應",
        r"原来说",
        r"之前说",
        r"当时说",
        r"可是说",
        r"承诺",
        r"说了.{0,6}(还|又|却)",
    ),
    "still_not": (
        r"怎么(还|又|这么|老是|总是)",
        r"为(啥|什么|何)(还|又|这么)",
        r"還",
        r"还(没|不)(有)?(到|发|送|更新|动静|消息|处理|回复|给)",
    ),
    "waited_long": (
        r"(都|已经|好|这都)([0-9一二两三四五六七八九十几]|\[数字x\])+(天|个?礼拜|周|个?星期|个?月|次)了?",
        r"好几天",
        r"等了(好|很)?(久|半天)",
        r"(这|那)么久",
        r"太久",
        r"多久了",
        r"花儿都谢了",
        r"等死了",
    ),
    "too_bad": (
        r"太(慢|差|久|坑|麻烦|不方便|离谱|过分|垃圾|劣质)",
        r"(真|好|很|特别)(慢|差|失望|麻烦)",
        r"效率.{0,3}(低|差)",
        r"这么(慢|差|低)",
        r"没效率",
    ),
    "exasperation": (
        r"无语",
        r"晕",
        r"醉",
        r"崩溃",
        r"郁闷",
        r"头大",
        r"失望",
        r"扯淡",
        r"坑人",
        r"忽悠",
        r"套路",
        r"耍我",
        r"搞什么",
        r"服了",
        r"呵呵",
        r"气死",
        r"烦死",
        r"受不了",
        r"悲催",
        r"肉疼",
        r"伤心",
        r"唉",
    ),
    "ignored": (
        r"没人(理|回|管|接)",
        r"不理",
        r"不回(复|消息)?",
        r"无人接听",
        r"联系不上",
        r"敷衍",
        r"踢皮球",
        r"态度",
    ),
    "blame": (
        r"你们.{0,8}(怎么|凭什么|根本|都这么|太)",
        r"根本(没|不)",
        r"到底(怎么|能不能|是)",
        r"凭什么",
        r"什么意思",
        r"专业水平",
        r"竟然",
        r"居然",
        r"不给(我)?(退|换|处理|解决)",
        r"拒绝",
    ),
    "faulty": (
        r"坏了",
        r"劣质",
        r"质量(太|问题|差|不好)",
        r"不能用",
        r"用不了",
        r"没反应",
        r"不通电",
        r"烂的",
        r"破了",
        r"划痕",
        r"被(人|别人)用过",
        r"不亮",
        r"松动",
    ),
    "leaving": (  # and the customer's own threat, read by ``qc.risk`` (negation-aware)
        r"换(别家|其他|别的)",
        r"不敢.{0,6}买",
        r"再也不",
        r"以后(不|怎么)",
    ),
    "punctuation": (r"[!！]{2,}", r"[?？]{3,}", r"。{3,}"),
}
_CUES = tuple(re.compile("|".join(words)) for words in DISPLEASURE_CUES.values())
_LEAVING = list(DISPLEASURE_CUES).index("leaving")

CLOSING_QUESTION = re.compile(r"还有(其他|什么|别的)|请问还有|还有.{0,6}(帮|效劳|问题)")
APOLOGY = re.compile(r"抱歉|不便|见谅|谅解|理解您|着急|不好意思|久等")
ASKED_TO_WAIT = re.compile(r"耐心等待|稍等|请您等")


def cue_flags(text: str) -> list[float]:
    """1.0 per cue group found in the text, in ``DISPLEASURE_CUES`` order.

    A threat counts with leaving only when ``qc.risk`` reads it as the customer's own: "不会给差评"
    and "差评处" name a bad review without threatening one, and used to raise the cue."""
    flags = [1.0 if found else 0.0 for found in _cue_groups(text)]
    if risk.detect(text):
        flags[_LEAVING] = 1.0
    return flags


def context_flags(reply_before: str, said_before: str) -> list[float]:
    """The shop's last reply (closing question, apology, asked to wait) and whether the customer's
    previous message already showed a displeasure cue."""
    return [*_reply_flags(reply_before), 1.0 if any(_cue_groups(said_before)) else 0.0]


@lru_cache(maxsize=risk.TEXT_CACHE)
def _cue_groups(text: str) -> tuple[bool, ...]:
    """Which cue groups the text shows. Remembered per text: a customer's message is read again as
    the context of the next one, and shops' replies repeat."""
    return tuple(pattern.search(text) is not None for pattern in _CUES)


@lru_cache(maxsize=risk.TEXT_CACHE)
def _reply_flags(reply: str) -> tuple[float, float, float]:
    return (
        1.0 if CLOSING_QUESTION.search(reply) else 0.0,
        1.0 if APOLOGY.search(reply) else 0.0,
        1.0 if ASKED_TO_WAIT.search(reply) else 0.0,
    )


CUE_COUNT = len(_CUES)
CONTEXT_COUNT = 4
