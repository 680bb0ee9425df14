"""Review and complaint risk in a customer's message (seed 001: 投诉、举报、差评威胁).

Only the customer's own threat counts: QC runs this on customer messages only (an agent's "差评处理"
or "请给个好评" is never a risk), and within a message the phrase must be a threat, not a topic:
"我要投诉" and "给你们差评" are, "投诉电话多少" and "客户给了差评怎么处理" (a merchant asking about
its buyer) are not. A negation just before the phrase ("不会给差评", "不投诉了") is not a threat.
Each kind is a set of phrase patterns with an alert level; hits carry the character span so the
console can highlight the evidence inside the message.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

LEVELS = ("low", "medium", "high")
TEXT_CACHE = 4096  # a chat batch's customer messages, read by the emotion model's cues and by QC
LEVEL_RANK = {level: rank for rank, level in enumerate(LEVELS, start=1)}

RISK_KINDS = {
    "regulator": "向12315/消协/市场监管投诉",
    "legal": "法律威胁",
    "media": "媒体曝光",
    "report": "举报",
    "platform_complaint": "向平台投诉",
    "bad_review": "差评威胁",
    "escalation": "要求升级/找领导",
}

_PATTERNS: tuple[tuple[str, str, str], ...] = (
    ("regulator", "high", r"12315|12345|消协|消费者协会|工商局|工商部门|市场监(督|管)(管理)?局?"),
    ("legal", "high", r"律师函?|起诉|告你们|法院|打官司|报警|诉讼|法律途径|维权"),
    ("media", "high", r"曝光|媒体|记者|发(到)?(微博|抖音|小红书|朋友圈)|上热搜|黑猫投诉"),
    ("report", "high", r"举报"),
    (
        "platform_complaint",
        "medium",
        r"(我|要|会|去|就|必须|肯定|直接|再)(要)?(去)?投诉|投诉(你们?|他们|商家|客服|快递|店家)"
        r"|找(平台|小二|官方)|平台介入|申请介入|客服小二",
    ),
    (
        "bad_review",
        "medium",
        r"(给|打|写|留|上)(你们?|你家|他们?)?(个|一个|了)?(差评|中评|一星|1星)"
        r"|(就|要|会|必须|肯定|直接|我)(给)?(差评|中评)(?!处)|差评(伺候|警告)|一星好评|追评.{0,4}(曝光|说|写)",
    ),
    ("escalation", "low", r"(找|叫|让)(你们?)?(的)?(领导|主管|经理|负责人|老板)"),
)
_COMPILED = tuple((kind, level, re.compile(pattern)) for kind, level, pattern in _PATTERNS)
_NEGATION = re.compile(r"(不会|不想|不用|不|没|别|没有|不打算|不至于)(再|去|要|给你们?|跟你们?)?$")
_NEGATION_WINDOW = 6
# The phrase is about someone else's complaint or review (a merchant asking about its buyer's).
_THIRD_PARTY = re.compile(r"(客户|顾客|买家|用户|别人|有人|他)[^，。,.!?！？]{0,6}$")


@dataclass(frozen=True)
class RiskHit:
    kind: str
    level: str
    phrase: str
    start: int
    end: int

    @property
    def kind_label(self) -> str:
        return RISK_KINDS[self.kind]


def _negated(text: str, start: int) -> bool:
    return bool(_NEGATION.search(text[max(0, start - _NEGATION_WINDOW) : start]))


def _someone_else(text: str, start: int) -> bool:
    return bool(_THIRD_PARTY.search(text[max(0, start - 8) : start]))


def detect(text: str) -> list[RiskHit]:
    """Every threat in the text, at most one per kind, highest level first.

    Remembered per text: the chat emotion model's cue features (``qc.cues``) and the inspection
    right after them read the same messages; the hits are frozen, the list is the caller's."""
    return list(_detect(text))


@lru_cache(maxsize=TEXT_CACHE)
def _detect(text: str) -> tuple[RiskHit, ...]:
    hits: list[RiskHit] = []
    for kind, level, pattern in _COMPILED:
        for match in pattern.finditer(text):
            if not _negated(text, match.start()) and not _someone_else(text, match.start()):
                hits.append(RiskHit(kind, level, match.group(0), match.start(), match.end()))
                break
    return tuple(sorted(hits, key=lambda hit: (-LEVEL_RANK[hit.level], hit.start)))


def highest_level(hits: list[RiskHit]) -> str | None:
    return max((hit.level for hit in hits), key=LEVEL_RANK.__getitem__, default=None)
