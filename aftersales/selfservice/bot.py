"""The answer bot (机器人应答): classify the question, answer from live order data or the FAQ,
or hand over to a person on low confidence, a negative emotion or a risk phrase.

Every exchange is stored (``bot_exchanges``) and, where the conversations domain is installed,
appended to the conversation as a customer message and a bot message, so QC and analytics count
bot receptions against human ones.
"""

import re
import time
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.kit.refs import require_refs
from aftersales.kit.time import format_local, utcnow
from aftersales.messaging.templates import gift_parcels
from aftersales.orders.couriers import courier_name
from aftersales.orders.models import Order, OrderStatus
from aftersales.orders.tracking import STATUS_LABELS as TRACKING_LABELS
from aftersales.selfservice import faq as faq_answers
from aftersales.selfservice import holds, integrations, invoices, repository
from aftersales.selfservice.intents import Prediction, get_intents, get_model
from aftersales.selfservice.models import BotExchange, PortalRequest, RequestKind
from aftersales.selfservice.settings import get_selfservice_settings

# Phrases that always need a person (the QC risk model adds its own when installed).
RISK_PHRASES = ("投诉", "12315", "举报", "曝光", "律师", "起诉", "消协", "工商局", "差评", "媒体", "报警")
ANGER_PHRASES = (
    "垃圾",
    "骗子",
    "气死",
    "太差",
    "破东西",
    "恶心",
    "坑人",
    "无语",
    "什么玩意",
    "滚",
    "忍无可忍",
    "欺骗",
    "坑爹",
    "愤怒",
    "失望透顶",
)
HANDOVER_TEXT = {
    "risk": "非常抱歉给您带来困扰,已为您优先转接人工客服处理,请稍候。",
    "emotion": "非常抱歉让您不愉快了,已为您转接人工客服,马上为您处理。",
    "low_confidence": "这个问题我还不太确定,已为您转接人工客服,请稍候。",
}
# The dissatisfaction cause each intent is about: reporting it is the question itself, not anger.
INTENT_TOPICS = {
    "missing_item": "少件",
    "where_is_parcel": "少件",
    "quality_issue": "产品",
    "exchange": "产品",
    "how_to_return": "产品",
}


@dataclass
class BotReply:
    exchange_id: int
    intent: str | None
    intent_label: str | None
    confidence: float
    answer: str
    handed_over: bool
    handover_reason: str | None
    ticket_id: int | None
    latency_ms: float = 0.0
    suggestions: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Judgement:
    """What the bot decided without touching the database (the figure's 'without I/O' part)."""

    prediction: Prediction
    handover_reason: str | None
    detail: str | None


def judge(text: str) -> Judgement:
    """Classify and decide: risk, explicit anger, the confidence threshold, then QC's emotion.

    Explicit anger is an insult QC's model reads as neutral (垃圾店铺…) or ``!!!``. QC's emotion
    model hands over a question the bot did understand when it names a cause of dissatisfaction
    (态度, 产品, 少件) with high confidence (``integrations.angry_cause``); a cause that is the
    subject of the intent is not anger ("少发了一件" is the missing-item question itself), and
    plain parcel or refund questions score 物流 / 其他 or neutral. Below the threshold the bot
    hands over anyway, with QC's label in the detail (the model is unreliable on such texts:
    你们老板叫什么名字 reads as 态度 0.98).
    """
    prediction = get_model().predict(text)
    risks = [phrase for phrase in RISK_PHRASES if phrase in text] + integrations.risk_phrases(text)
    if risks:
        return Judgement(prediction, "risk", "、".join(dict.fromkeys(risks)))
    anger = [phrase for phrase in ANGER_PHRASES if phrase in text]
    if anger or re.search(r"[!!]{3,}", text):
        return Judgement(prediction, "emotion", "、".join(anger) or "连续感叹号")
    settings = get_selfservice_settings()
    if prediction.confidence < settings.bot_threshold:
        emotion = integrations.negative_emotion(text)
        detail = f"置信度 {prediction.confidence:.2f}" + (f",情绪: {emotion}" if emotion else "")
        return Judgement(prediction, "low_confidence", detail)
    topic = INTENT_TOPICS.get(prediction.intent)
    cause = integrations.angry_cause(text, threshold=settings.bot_emotion_threshold, topic=topic)
    if cause is not None:
        return Judgement(prediction, "emotion", f"情绪: {cause}")
    return Judgement(prediction, None, None)


def ask(
    session: Session,
    *,
    text: str,
    session_key: str,
    order_id: int | None = None,
    shop_id: int | None = None,
) -> BotReply:
    """Answer one customer question; the caller's unit of work commits the record of it."""
    require_refs(session, {"shop_id": (Shop, shop_id), "order_id": (Order, order_id)})
    started = time.perf_counter()
    judgement = judge(text)
    order = repository.order_for_portal(session, order_id) if order_id is not None else None
    shop_id = order.shop_id if order is not None else shop_id
    intent = judgement.prediction.intent
    label = get_intents()[intent].label if intent in get_intents() else None
    if judgement.handover_reason is None:
        answer = compose_answer(session, intent, order, shop_id=shop_id)
    else:
        answer = HANDOVER_TEXT[judgement.handover_reason]
    exchange = BotExchange(
        shop_id=shop_id,
        order_id=order.id if order is not None else None,
        session_key=session_key,
        question=text,
        intent=intent,
        confidence=round(judgement.prediction.confidence, 4),
        answer=answer,
        handed_over=judgement.handover_reason is not None,
        handover_reason=judgement.handover_reason,
        asked_at=utcnow(),
    )
    session.add(exchange)
    session.flush()
    if judgement.handover_reason is not None:
        exchange.ticket_id = _hand_over(session, exchange, judgement, label, order)
    _record_conversation(session, exchange, order)
    session.flush()
    return BotReply(
        exchange_id=exchange.id,
        intent=intent,
        intent_label=label,
        confidence=exchange.confidence,
        answer=answer,
        handed_over=exchange.handed_over,
        handover_reason=exchange.handover_reason,
        ticket_id=exchange.ticket_id,
        latency_ms=(time.perf_counter() - started) * 1000,
    )


def _hand_over(
    session: Session, exchange: BotExchange, judgement: Judgement, label: str | None, order: Order | None
) -> int | None:
    """A ticket for a person, carrying the conversation so far and the detected intent."""
    if exchange.shop_id is None:
        return None
    history = session.scalars(
        select(BotExchange)
        .where(BotExchange.session_key == exchange.session_key)
        .order_by(BotExchange.asked_at, BotExchange.id)
        .limit(20)
    ).all()
    transcript = "\n".join(f"顾客: {row.question}\n机器人: {row.answer}" for row in history)
    snippets = repository.quick_replies_for(session, [exchange.intent or "general", "general"], limit=3)
    if snippets:
        transcript += "\n\n推荐话术: " + ";".join(f"/{r.shortcut} {r.title}" for r in snippets)
    reasons = {"risk": "风险用语", "emotion": "负面情绪", "low_confidence": "机器人无法确定"}
    reason = judgement.handover_reason or "low_confidence"
    ref = integrations.open_ticket(
        session,
        source="selfservice",
        source_key=f"bot-handover:{exchange.session_key}",
        shop_id=exchange.shop_id,
        order_id=order.id if order is not None else None,
        customer_id=order.customer_id if order is not None else None,
        type="complaint" if reason == "risk" else "consultation",
        category="服务问题" if reason != "low_confidence" else "其他",
        subcategory=None,
        title=f"[机器人转人工]{reasons[reason]}: {exchange.question[:40]}",
        description=(
            f"转人工原因: {reasons[reason]}({judgement.detail})\n识别意图: {label or '未知'}\n\n{transcript}"
        ),
        severity="high" if reason == "risk" else "medium",
        group_code=None,
        data={
            "intent": exchange.intent,
            "confidence": exchange.confidence,
            "reason": reason,
            "detail": judgement.detail,
            "session_key": exchange.session_key,
            "quick_reply_ids": [r.id for r in snippets],
        },
    )
    return ref.id


def _record_conversation(session: Session, exchange: BotExchange, order: Order | None) -> None:
    """The question and the answer as conversation messages, and a hand-over as the session's
    transfer marker, so QC and analytics count it as transferred to a person."""
    if exchange.shop_id is None:
        return
    platform = session.scalar(select(Shop.platform).where(Shop.id == exchange.shop_id))
    common = {
        "shop_id": exchange.shop_id,
        "platform": platform.value if platform is not None else "own",
        "session_key": exchange.session_key,
        "order_id": order.id if order is not None else None,
    }
    integrations.append_message(
        session,
        **common,
        sender="customer",
        text=exchange.question,
        sent_at=exchange.asked_at,
        source_id=f"bot-q:{exchange.id}",
    )
    integrations.append_message(
        session,
        **common,
        sender="bot",
        text=exchange.answer,
        sent_at=exchange.asked_at + timedelta(milliseconds=1),
        source_id=f"bot-a:{exchange.id}",
    )
    if exchange.handed_over:
        integrations.mark_handed_over(
            session,
            shop_id=exchange.shop_id,
            session_key=exchange.session_key,
            at=exchange.asked_at + timedelta(milliseconds=1),
        )


def compose_answer(session: Session, intent: str, order: Order | None, *, shop_id: int | None) -> str:
    """Live data where the intent has it and the order is known; otherwise the shop's FAQ answer."""
    faq = faq_answers.answer_of(session, shop_id=shop_id, intent=intent).answer
    if order is None:
        return faq
    composer = LIVE_ANSWERS.get(intent)
    return composer(session, order, faq) if composer is not None else faq


def _parcels_text(session: Session, order: Order, _faq: str) -> str:
    parcels = repository.parcels(session, order.id)
    if not parcels:
        return _shipping_text(session, order, _faq)
    lines = [f"您的订单分 {len(parcels)} 个包裹发出:" if len(parcels) > 1 else "您的包裹:"]
    now = utcnow()
    for number, parcel in enumerate(parcels, start=1):
        status = TRACKING_LABELS[parcel.status] if parcel.status else "已发货"
        where = f",最新位置 {parcel.last_location}" if parcel.last_location else ""
        contents = f"({parcel.item_summary})" if parcel.item_summary else ""
        carrier = f"{courier_name(parcel.courier)} {parcel.tracking_no}"
        lines.append(f"包裹{number}{contents}: {carrier},{status}{where},{holds.eta_text(parcel, now)}")
    restriction = holds.restriction(session, order)
    if restriction is not None and any(p.delivered_at is None for p in parcels):
        lines.append(restriction.text() + "。")
    return "\n".join(lines)


def _shipping_text(session: Session, order: Order, faq: str) -> str:
    if repository.parcels(session, order.id):
        return _parcels_text(session, order, faq)
    if order.status != OrderStatus.PAID:
        return faq
    restriction = holds.restriction(session, order)
    if restriction is not None:  # a deadline here would be a promise the hold breaks
        return f"您的订单已付款,暂未发货:{restriction.text()}。"
    promised = order.promised_delivery_at or (order.paid_at or order.ordered_at) + timedelta(hours=48)
    deadline = format_local(promised, "%m月%d日 %H:%M")
    return f"您的订单已付款,尚未发货,最晚 {deadline} 前发出,发货后会通知您运单号。"


def _latest_request(session: Session, order: Order, kinds: tuple[RequestKind, ...]) -> PortalRequest | None:
    return repository.latest_request(session, order.id, *kinds)


def _refund_text(session: Session, order: Order, faq: str) -> str:
    request = _latest_request(session, order, (RequestKind.REFUND, RequestKind.RETURN))
    if request is None:
        return "您的订单暂无退款申请。如需退款,可在自助售后中三步提交申请。" + faq
    expected = f",预计 {format_local(request.expected_by)} 前处理完成" if request.expected_by else ""
    refund = ""
    if request.return_request_id is not None:
        progress = integrations.refund_progress(session, return_request_id=request.return_request_id)
        if progress is not None:
            refund = f",退款 ¥{progress[1] / 100:.2f}: {progress[0]}"
    status = request.status.label
    return f"您的{request.kind.label}申请(编号 {request.id})当前状态: {status}{refund}{expected}。{faq}"


def _address_text(session: Session, order: Order, faq: str) -> str:
    if order.status == OrderStatus.PAID and not repository.parcels(session, order.id):
        restriction = holds.restriction(session, order)
        held = f"(当前{restriction.text()})" if restriction is not None else ""
        return f"您的订单还未发货{held},可以在自助售后「修改收货地址」直接提交新地址,仓库会在发货前更新。"
    return "您的订单已发货,无法自助修改地址;已为您记录,如需拦截改派请联系人工客服。"


def _delay_text(session: Session, order: Order, faq: str) -> str:
    """A held order is not shipping anyway: say why, and that a later date can still be asked for."""
    restriction = holds.restriction(session, order)
    if order.status != OrderStatus.PAID or restriction is None:
        return faq
    return f"您的订单目前暂未发出:{restriction.text()}。如需指定更晚的发货日期,可在自助售后「延迟发货」提交。"


def _invoice_text(session: Session, order: Order, faq: str) -> str:
    request = _latest_request(session, order, (RequestKind.INVOICE,))
    if request is None:
        return faq
    issued = invoices.live_invoice(session, request.id)
    if issued is not None:
        return (
            f"您的电子发票已开具(抬头: {issued.title},发票号码 {issued.number}),可在自助售后「查看电子发票」"
            "查看和下载;抬头或税号有误,可在该页面修改后重开。"
        )
    title = request.details.get("title", "")
    status = request.status.label
    return f"您已登记发票(抬头: {title}),当前状态: {status}。电子发票开具后会通知您。"


def _return_text(session: Session, order: Order, faq: str) -> str:
    if order.status == OrderStatus.PAID and not repository.parcels(session, order.id):
        return "您的订单还未发货,可以直接在自助售后申请「仅退款」,无需退货。"
    return faq


def _price_text(session: Session, order: Order, faq: str) -> str:
    """The 保价 answer quotes the difference computed on the server; paying it stays with an agent."""
    quotes = integrations.price_protection_quotes(session, order=order)
    payable = [q for q in quotes if q.eligible]
    if payable:
        lines = [
            f"{q.title}:购买单价 ¥{q.paid_unit_fen / 100:.2f},现价 ¥{q.new_unit_fen / 100:.2f},"
            f"{q.quantity} 件,可退差价 ¥{q.amount_fen / 100:.2f}"
            for q in payable
        ]
        total = sum(q.amount_fen for q in payable)
        return (
            "您的订单在保价期内:\n"
            + "\n".join(lines)
            + f"\n合计可退差价 ¥{total / 100:.2f},客服核实后为您退回。"
        )
    refusals = [q.refusal for q in quotes if q.refusal]
    return f"{refusals[0]}。{faq}" if refusals else faq


def _missing_text(session: Session, order: Order, faq: str) -> str:
    """Seed 001: a gift shipped in its own parcel is often taken for a missing one, so the answer
    names that parcel's tracking number first; a gift truly missing is claimed on the portal's
    少件/漏发 form, which files it under 赠品漏发."""
    items = repository.item_lines(session, order.id)
    gifts = "、".join(i.title for i in items if i.is_gift)
    if not gifts:
        return faq
    claim = f"如赠品({gifts})确实没收到,在自助售后「少件/漏发」勾选【赠品】提交,核实后为您补发。"
    parcels = gift_parcels(items, repository.parcels(session, order.id))
    if not parcels:
        return f"{faq}{claim}"
    parcel = parcels[0]
    shipped = f"{courier_name(parcel.courier)} {parcel.tracking_no}"
    return f"您订单的赠品是单独寄出的:{shipped},和商品分开到达,请留意查收。{claim}"


LIVE_ANSWERS = {
    "where_is_parcel": _parcels_text,
    "urge_shipping": _shipping_text,
    "refund_status": _refund_text,
    "change_address": _address_text,
    "delay_shipping": _delay_text,
    "invoice": _invoice_text,
    "missing_item": _missing_text,
    "how_to_return": _return_text,
    "price_protection": _price_text,
}
