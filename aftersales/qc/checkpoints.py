"""The built-in checkpoints (质检点) in seed 001's five areas, and their evaluation on one session.

Evaluation is pure: it reads a ``SessionView`` (messages with their emotion and risk, the session
metrics, facts about the order and ticket) and a shop's settings, and returns one ``Outcome`` per
applicable checkpoint. A checkpoint that does not apply (no agent spoke, the customer was never
upset) is left out of the score rather than counted as passed.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, cached_property
from typing import Any

from aftersales.qc.models import Area


@dataclass(frozen=True)
class MessageView:
    id: int
    sender: str
    text: str
    sent_at: datetime
    response_seconds: int | None = None
    polarity: str | None = None
    label: str | None = None
    risks: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class SessionView:
    messages: list[MessageView]
    first_response_seconds: int | None
    max_response_seconds: int | None
    has_ticket: bool = False
    times_known: bool = True
    no_reason_return_days: int | None = None
    voc_topics: list[str] = field(default_factory=list)

    # each computed once per view: every checkpoint reads them, some twice
    @cached_property
    def replies(self) -> list[MessageView]:
        return [m for m in self.messages if m.sender in ("agent", "bot")]

    @cached_property
    def agent_messages(self) -> list[MessageView]:
        return [m for m in self.messages if m.sender == "agent"]

    @cached_property
    def customer_messages(self) -> list[MessageView]:
        return [m for m in self.messages if m.sender == "customer"]


@dataclass(frozen=True)
class Outcome:
    """``passed`` is None when the checkpoint applies but cannot be measured (无法计算)."""

    code: str
    passed: bool | None
    message_id: int | None = None
    evidence: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class Checkpoint:
    code: str
    area: Area
    name: str
    weight: int
    params: dict[str, Any]
    evaluate: Callable[[SessionView, dict[str, Any]], Outcome | None]
    description: str


GREETING = re.compile(r"您好|你好|亲[，,!！~]?|在的|欢迎|很高兴为您")
CLOSING = re.compile(
    r"还有(什么|其他|别的)|祝您|感谢(您的)?(支持|光临|耐心)|再见|随时(联系|找)|有问题(随时|再)|生活愉快"
)
BANNED = re.compile(
    r"滚|神经病|有病|爱买不买|关我(什么|啥)事|你自己(看|去查)|烦不烦|不知道[。!]*$|闭嘴|智障|活该|穷鬼|事儿?真多|傻"
)
PROMISE = re.compile(
    r"保证|百分之百|100%|一定(给您|会|能)(赔|退|到|补)|包赔|双倍赔|全额赔偿|(明天|今天|马上)(一定|肯定)(到|发)|肯定没问题"
)
SOLUTION = re.compile(
    r"补发|退款|换货|退货|补偿|赔付|打款|登记|申请|安排|处理|催(促|一下)|加急|联系快递|为您(核实|查|跟进)|工单|优惠券|退差价"
)
POLICY_QUESTION = re.compile(
    r"七天无理由|7天无理由|能退(吗|货)|可以退|怎么退|退货(政策|规则)|运费(谁出|险)|保修|换货政策"
)
POLICY_ANSWER = re.compile(
    r"七天无理由|7天无理由|签收|运费险|质量问题|保修|退货(地址|流程|政策)|不影响二次销售|包装完好"
)
SETTLED = re.compile(
    r"谢|好的|好滴|好吧|好哒|可以|行|明白|知道了|了解|没有了|没了|没事|不用了|ok|OK|👌|再见|拜拜|辛苦"
)
WRONG_NO_RETURN = re.compile(r"不支持(七天|7天)?无理由|不(能|可以|给)退|不退不换|概不退换")


def _greeting(view: SessionView, _p: dict[str, Any]) -> Outcome | None:
    replies = view.replies[:2]
    if not replies:
        return None
    hit = next((m for m in replies if GREETING.search(m.text)), None)
    if hit:
        return Outcome("greeting", True, hit.id)
    return Outcome("greeting", False, replies[0].id, detail="开场未问候顾客")


def _closing(view: SessionView, _p: dict[str, Any]) -> Outcome | None:
    if not view.replies:
        return None
    last = view.replies[-1]
    if CLOSING.search(last.text):
        return Outcome("closing", True, last.id)
    return Outcome("closing", False, last.id, detail="结束时未使用结束语")


UNTIMED = "无法计算: 聊天记录没有发送时间"


def _untimed(code: str, view: SessionView) -> Outcome | None:
    """An export with only the order of messages: a person answered, but how fast is unknown."""
    return Outcome(code, None, detail=UNTIMED) if view.agent_messages else None


def _first_response(view: SessionView, params: dict[str, Any]) -> Outcome | None:
    if not view.times_known:
        return _untimed("first_response", view)
    if view.first_response_seconds is None:
        return None
    limit = int(params["seconds"])
    passed = view.first_response_seconds <= limit
    first = view.agent_messages[0]
    return Outcome(
        "first_response", passed, first.id, detail=f"首响 {view.first_response_seconds} 秒(标准 {limit} 秒)"
    )


def _response_time(view: SessionView, params: dict[str, Any]) -> Outcome | None:
    if not view.times_known:
        return _untimed("response_time", view)
    if view.max_response_seconds is None:
        return None
    limit = int(params["seconds"])
    slowest = max(
        (m for m in view.agent_messages if m.response_seconds is not None),
        key=lambda m: m.response_seconds or 0,
    )
    passed = view.max_response_seconds <= limit
    return Outcome(
        "response_time",
        passed,
        slowest.id,
        detail=f"最长回复 {view.max_response_seconds} 秒(标准 {limit} 秒)",
    )


def _long_silence(view: SessionView, params: dict[str, Any]) -> Outcome | None:
    if not view.times_known:
        return _untimed("long_silence", view)
    if not view.agent_messages:
        return None
    limit = int(params["seconds"])
    silent = [m for m in view.agent_messages if (m.response_seconds or 0) > limit]
    if silent:
        worst = max(silent, key=lambda m: m.response_seconds or 0)
        return Outcome(
            "long_silence", False, worst.id, detail=f"顾客等待 {worst.response_seconds} 秒无人回复"
        )
    return Outcome("long_silence", True)


def _phrase_check(
    code: str, pattern: re.Pattern[str], detail: str
) -> Callable[[SessionView, dict[str, Any]], Outcome | None]:
    def check(view: SessionView, _p: dict[str, Any]) -> Outcome | None:
        if not view.replies:
            return None
        for message in view.replies:
            match = pattern.search(message.text)
            if match:
                return Outcome(code, False, message.id, match.group(0), detail)
        return Outcome(code, True)

    return check


def _first_negative(view: SessionView) -> MessageView | None:
    return next((m for m in view.customer_messages if m.polarity == "negative" or m.risks), None)


def _offered_solution(view: SessionView, _p: dict[str, Any]) -> Outcome | None:
    upset = _first_negative(view)
    if upset is None or not view.agent_messages:
        return None
    after = [m for m in view.agent_messages if m.sent_at >= upset.sent_at]
    hit = next((m for m in after if SOLUTION.search(m.text)), None)
    if hit:
        return Outcome("offered_solution", True, hit.id)
    return Outcome("offered_solution", False, upset.id, detail="顾客不满后客服未给出解决方案")


def _explained_policy(view: SessionView, _p: dict[str, Any]) -> Outcome | None:
    question = next((m for m in view.customer_messages if POLICY_QUESTION.search(m.text)), None)
    if question is None or not view.agent_messages:
        return None
    after = [m for m in view.agent_messages if m.sent_at >= question.sent_at]
    if view.no_reason_return_days:
        wrong = next((m for m in after if WRONG_NO_RETURN.search(m.text)), None)
        if wrong:
            match = WRONG_NO_RETURN.search(wrong.text)
            return Outcome(
                "explained_policy",
                False,
                wrong.id,
                match.group(0) if match else None,
                f"政策解释错误: 该商品支持 {view.no_reason_return_days} 天无理由退货",
            )
    hit = next((m for m in after if POLICY_ANSWER.search(m.text)), None)
    if hit:
        return Outcome("explained_policy", True, hit.id)
    return Outcome("explained_policy", False, question.id, detail="顾客询问退换政策,客服未作说明")


@cache
def _ticket_issues() -> tuple[re.Pattern[str], ...]:
    """The emotion model's product-fault and missing-item cues (its module loads scikit-learn,
    so on first use rather than at import)."""
    from aftersales.qc.emotion import CAUSE_RULES

    return tuple(pattern for cause, pattern in CAUSE_RULES if cause in ("产品", "少件"))


def _ticket_when_needed(view: SessionView, _p: dict[str, Any]) -> Outcome | None:
    """A product fault or a missing item needs a ticket whether or not the customer sounds upset
    ("少了一个配件" said calmly is still a missing item), and so does a complaint threat."""
    needs = [
        m
        for m in view.customer_messages
        if m.label in ("产品", "少件")
        or any(p.search(m.text) for p in _ticket_issues())
        or any(r["level"] in ("medium", "high") for r in m.risks)
    ]
    if not needs or not view.agent_messages:
        return None
    if view.has_ticket:
        return Outcome("ticket_when_needed", True)
    return Outcome("ticket_when_needed", False, needs[0].id, detail="产品/少件问题或投诉风险未建工单")


def _emotion_resolved(view: SessionView, _p: dict[str, Any]) -> Outcome | None:
    """Applies once the customer was upset, and the end of the conversation decides: it passes when,
    after their last negative message, the customer settles (thanks, agrees or closes: 谢谢, 好的,
    没有了) and fails when they end upset or say nothing but order numbers or "嗯" after it."""
    said = [m for m in view.customer_messages if m.polarity is not None]
    upset = [i for i, m in enumerate(said) if m.polarity == "negative"]
    if not upset:
        return None
    last_upset = said[upset[-1]]
    settled = next(
        (m for m in said[upset[-1] + 1 :] if m.polarity == "positive" or SETTLED.search(m.text)), None
    )
    if settled is not None:
        return Outcome("emotion_resolved", True, settled.id)
    if last_upset is said[-1]:
        return Outcome(
            "emotion_resolved", False, last_upset.id, detail=f"会话结束时顾客仍不满({last_upset.label})"
        )
    return Outcome("emotion_resolved", False, last_upset.id, detail=f"顾客不满({last_upset.label})后未见缓和")


def _no_risk(view: SessionView, _p: dict[str, Any]) -> Outcome | None:
    for message in view.customer_messages:
        if message.risks:
            first = message.risks[0]
            return Outcome("no_risk", False, message.id, first["phrase"], f"风险: {first['label']}")
    return Outcome("no_risk", True)


def _voc(view: SessionView, _p: dict[str, Any]) -> Outcome | None:
    if not view.voc_topics:
        return None
    return Outcome("voc", True, detail="顾客提及: " + "、".join(view.voc_topics))


CHECKPOINTS: tuple[Checkpoint, ...] = (
    Checkpoint("greeting", Area.BASIC, "问候语", 5, {}, _greeting, "开场两句回复内问候顾客"),
    Checkpoint("closing", Area.BASIC, "结束语", 5, {}, _closing, "最后一句回复使用结束语"),
    Checkpoint(
        "first_response",
        Area.BASIC,
        "首响及时",
        10,
        {"seconds": 20},
        _first_response,
        "首次人工回复不超过 N 秒",
    ),
    Checkpoint(
        "response_time", Area.BASIC, "回复及时", 10, {"seconds": 60}, _response_time, "每次回复不超过 N 秒"
    ),
    Checkpoint(
        "long_silence", Area.BASIC, "无长时间沉默", 5, {"seconds": 180}, _long_silence, "顾客等待不超过 N 秒"
    ),
    Checkpoint(
        "banned_words",
        Area.BASIC,
        "无禁用/不文明用语",
        15,
        {},
        _phrase_check("banned_words", BANNED, "客服使用了禁用或不文明用语"),
        "回复中不出现禁用词、不文明用语",
    ),
    Checkpoint(
        "promise",
        Area.BASIC,
        "无违规承诺",
        10,
        {},
        _phrase_check("promise", PROMISE, "客服做出了超出权限的承诺"),
        "不作超出权限的保证与赔付承诺",
    ),
    Checkpoint(
        "offered_solution", Area.COMPETENCE, "提供解决方案", 10, {}, _offered_solution, "顾客不满后给出方案"
    ),
    Checkpoint(
        "explained_policy", Area.COMPETENCE, "政策解释正确", 10, {}, _explained_policy, "正确说明退换政策"
    ),
    Checkpoint(
        "ticket_when_needed",
        Area.COMPETENCE,
        "需要时建工单",
        10,
        {},
        _ticket_when_needed,
        "产品/少件/投诉须建工单",
    ),
    Checkpoint(
        "emotion_resolved", Area.EMOTION, "顾客情绪安抚", 10, {}, _emotion_resolved, "结束时顾客不再不满"
    ),
    Checkpoint("no_risk", Area.RISK, "无投诉/差评风险", 10, {}, _no_risk, "顾客未出现投诉、举报、差评威胁"),
    Checkpoint("voc", Area.VOC, "VOC 记录", 0, {}, _voc, "记录顾客提及的商品问题(不计分)"),
)
BY_CODE = {checkpoint.code: checkpoint for checkpoint in CHECKPOINTS}


@dataclass(frozen=True)
class Configured:
    checkpoint: Checkpoint
    weight: int
    params: dict[str, Any]


def evaluate(view: SessionView, configured: list[Configured]) -> list[tuple[Configured, Outcome]]:
    """Outcomes of the enabled checkpoints that apply to this session."""
    results = []
    for item in configured:
        outcome = item.checkpoint.evaluate(view, item.params)
        if outcome is not None:
            results.append((item, outcome))
    return results


def score(results: list[tuple[int, bool | None]]) -> int:
    """Weighted share of passed checkpoints, 0-100; a session with nothing scorable scores 100.
    A checkpoint that could not be measured (``None``, 无法计算) counts neither way."""
    results = [(weight, passed) for weight, passed in results if passed is not None]
    total = sum(weight for weight, _ in results)
    if total == 0:
        return 100
    return round(100 * sum(weight for weight, passed in results if passed) / total)
