"""Demo chats for the demo orders: the after-sales conversations of a Double 11 fortnight.

Most chats are routine (where is my parcel, invoices, sizes) answered by the bot alone or by the
shift agent; some customers are upset about slow parcels, missing parts or faulty goods, a few
threaten a bad review, a complaint to 12315 or media exposure, and some agents answer slowly or
badly. Some customers come back about the same order within 24 hours. Everything is ingested
through ``service.ingest_messages``, so QC inspects it exactly as it would live traffic and the
QC dashboard and the alert inbox are populated after ``make demo``.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.auth.models import User
from aftersales.catalog.models import Shop, Sku
from aftersales.conversations import conversion_demo
from aftersales.conversations.schemas import MessageIn
from aftersales.conversations.service import ingest_messages
from aftersales.demo.context import DemoContext
from aftersales.orders.models import Order, OrderItem

SHARE = 0.08
MAX_SESSIONS = 480
AGENTS = ("agent1", "agent2", "agent3")

Script = list[tuple[str, str]]

# (weight, name, lines): sender "customer" / "agent" / "bot"; {item} is the first item's title,
# {fault} and {detail} what typically goes wrong with its category (VOC topics per SKU).
SCENARIOS: list[tuple[int, str, Script]] = [
    (
        16,
        "where",
        [
            ("customer", "在吗，我买的{item}到哪了"),
            ("agent", "亲，您好，这边帮您查询一下物流"),
            ("agent", "包裹已到达本地转运中心，预计明天送达，请您留意电话哦"),
            ("customer", "好的，谢谢"),
            ("agent", "不客气，还有其他问题随时联系我们，祝您生活愉快"),
        ],
    ),
    (
        12,
        "bot_only",
        [
            ("customer", "请问什么时候发货"),
            ("bot", "亲，您好，大促期间订单将在48小时内按付款顺序发出，请耐心等待"),
            ("customer", "好的"),
        ],
    ),
    (
        8,
        "bot_invoice",
        [
            ("customer", "可以开发票吗"),
            ("bot", "您好，支持开具电子发票，确认收货后在订单详情页申请即可"),
            ("customer", "知道了"),
        ],
    ),
    (
        9,
        "transferred",
        [
            ("customer", "这个尺码怎么选"),
            ("bot", "您好，请参考详情页的尺码表哦"),
            ("customer", "转人工"),
            ("agent", "您好，我是人工客服，请问您的身高体重是多少呢"),
            ("customer", "170，65公斤"),
            ("agent", "建议您选L码，还有其他问题随时联系我们"),
        ],
    ),
    (
        10,
        "slow_parcel",
        [
            ("customer", "都五天了快递还没到，物流一直不更新"),
            ("agent", "亲，您好，非常抱歉让您久等了，已为您联系快递加急处理"),
            ("customer", "再不到我就给差评了"),
            ("agent", "理解您的心情，已经登记催促，有进展第一时间通知您，还有其他问题随时联系"),
        ],
    ),
    (
        7,
        "missing",
        [
            ("customer", "收到货少了一个配件，{item}的包装里没有"),
            ("agent", "您好，非常抱歉，麻烦提供一下开箱照片，这边马上为您登记补发"),
            ("customer", "[图片]"),
            ("agent", "已为您安排补发，单号稍后同步给您，还有其他问题随时联系"),
            ("customer", "好的，谢谢你"),
        ],
    ),
    (
        6,
        "faulty",
        [
            ("customer", "{item}用了两天就坏了，{fault}"),
            ("agent", "您好，这边帮您申请换货，麻烦拍个视频给我们"),
            ("customer", "{detail}，质量太差了"),
            ("agent", "非常抱歉，已为您登记换新，还有其他问题随时联系"),
        ],
    ),
    (
        4,
        "angry_12315",
        [
            ("customer", "{item}收到就是坏的，{fault}"),
            ("agent", "你自己看说明书"),
            ("customer", "什么态度啊，太差了，再不处理我就打12315投诉你们"),
            ("agent", "您好，非常抱歉，马上为您安排退款"),
        ],
    ),
    (
        3,
        "media",
        [
            ("customer", "你们客服态度太差了，问了半天没人理"),
            ("customer", "我要发微博曝光你们"),
            ("agent", "亲，您好，实在抱歉，我是售后主管，已为您申请补偿"),
        ],
    ),
    (
        5,
        "policy_ok",
        [
            ("customer", "这个支持七天无理由吗"),
            ("agent", "您好，支持七天无理由退货，商品包装完好、不影响二次销售即可"),
            ("customer", "好的，明白了"),
        ],
    ),
    (
        2,
        "policy_wrong",
        [
            ("customer", "{item}不喜欢，可以退吗"),
            ("agent", "您好，活动商品不支持无理由退货哦"),
            ("customer", "不合理吧，我要投诉"),
            ("agent", "那我帮您申请一下"),
        ],
    ),
    (
        6,
        "happy",
        [
            ("customer", "东西收到了，质量很好，很满意"),
            ("agent", "亲，您好，感谢您的支持，祝您生活愉快"),
        ],
    ),
    (
        3,
        "promise",
        [
            ("customer", "明天能到吗，急用"),
            ("agent", "您好，我保证明天一定到"),
            ("customer", "好的，期待早点收到"),
        ],
    ),
]


FAULTS: dict[str, tuple[str, str]] = {
    "电脑": ("开机就黑屏", "运行慢还经常卡顿"),
    "摄像头": ("画面花屏", "连不上wifi，说明书也看不懂"),
    "耳机": ("一边没声音", "续航很差，充电慢"),
    "配件": ("按键失灵", "做工粗糙"),
    "床垫": ("有股刺鼻的味道", "中间塌陷，还有异味"),
    "床品": ("洗了一次就掉色", "起球严重，还有线头"),
    "被芯": ("有股难闻的味道", "棉絮跑出来了，做工差"),
    "枕头": ("回弹很慢，一压就扁", "有异味，做工粗糙"),
    "毯子": ("掉毛很厉害", "洗完起球还缩水"),
    "洗护": ("瓶盖裂了漏液", "用了过敏，味道刺鼻"),
    "纸尿裤": ("宝宝用了红屁股", "尺码偏小，侧漏"),
    "喂养": ("奶嘴有异味", "刻度和图片不一样"),
    "出行": ("轮子异响", "推起来松松垮垮，做工差"),
}
DEFAULT_FAULT = ("有破损", "做工粗糙还有线头")


@dataclass(frozen=True)
class OrderFacts:
    id: int
    shop_id: int
    platform: str
    paid_at: datetime
    item: str
    category: str


def extend(session: Session, ctx: DemoContext) -> None:
    rng = ctx.rng("conversations")
    orders = _orders(session, ctx, rng)
    agents = [user for name in AGENTS if (user := session.scalar(select(User).where(User.username == name)))]
    messages: list[MessageIn] = []
    for index, order in enumerate(orders):
        start = _start(rng, order, ctx.config.as_of)
        if start is None:
            continue
        agent = rng.choice(agents) if agents else None
        scenario = rng.choices(SCENARIOS, weights=[w for w, _n, _l in SCENARIOS])[0]
        messages += _session(rng, order, f"demo-{ctx.config.seed}-{index}", scenario[2], start, agent)
        if scenario[1] in ("slow_parcel", "missing", "faulty") and rng.random() < 0.3:
            again = start + timedelta(hours=rng.uniform(3, 20))
            if again < ctx.config.as_of:
                follow = [
                    ("customer", "还是没有进展吗"),
                    ("agent", "您好，这边再帮您催一下，还有其他问题随时联系"),
                ]
                messages += _session(rng, order, f"demo-{ctx.config.seed}-{index}-b", follow, again, agent)
    result = ingest_messages(session, messages)
    ctx.summary["chat_sessions"] = result.sessions
    ctx.summary["chat_messages"] = result.created
    ctx.summary["conversion"] = conversion_demo.extend(session, ctx, agents)


def _orders(session: Session, ctx: DemoContext, rng: random.Random) -> list[OrderFacts]:
    count = min(MAX_SESSIONS, int(len(ctx.order_ids) * SHARE))
    chosen = sorted(rng.sample(ctx.order_ids, k=min(count, len(ctx.order_ids))))
    rows = session.execute(
        select(Order.id, Order.shop_id, Shop.platform, Order.paid_at, OrderItem.title, Sku.category)
        .join(Shop, Shop.id == Order.shop_id)
        .join(OrderItem, OrderItem.order_id == Order.id)
        .outerjoin(Sku, Sku.id == OrderItem.sku_id)
        .where(Order.id.in_(chosen), Order.paid_at.is_not(None))
        .order_by(Order.id, OrderItem.line_no)
    )
    facts: dict[int, OrderFacts] = {}
    for order_id, shop_id, platform, paid_at, title, category in rows:
        if order_id not in facts and paid_at is not None:
            facts[order_id] = OrderFacts(
                order_id, shop_id, platform.value, paid_at, title[:12], category or ""
            )
    return list(facts.values())


def _start(rng: random.Random, order: OrderFacts, as_of: datetime) -> datetime | None:
    start = order.paid_at + timedelta(days=rng.uniform(0.5, 6), hours=rng.uniform(0, 3))
    return start if start < as_of - timedelta(hours=1) else None


def _session(
    rng: random.Random,
    order: OrderFacts,
    key: str,
    script: Script,
    start: datetime,
    agent: User | None,
) -> list[MessageIn]:
    """Timed messages: bots answer in a second or two, agents usually in seconds, sometimes minutes."""
    slow = rng.random() < 0.15
    fault, detail = FAULTS.get(order.category, DEFAULT_FAULT)
    at, result = start, []
    for sender, text in script:
        if sender == "bot":
            at += timedelta(seconds=rng.uniform(1, 3))
        elif sender == "agent":
            at += timedelta(
                seconds=rng.uniform(70, 400) if slow and rng.random() < 0.6 else rng.uniform(4, 25)
            )
        else:
            at += timedelta(seconds=rng.uniform(5, 60))
        result.append(
            MessageIn(
                shop_id=order.shop_id,
                platform=order.platform,
                session_key=key,
                sender=sender,
                text=text.format(item=order.item, fault=fault, detail=detail),
                sent_at=at,
                agent_id=agent.id if agent and sender == "agent" else None,
                agent_account=agent.username if agent and sender == "agent" else None,
                order_id=order.id,
            )
        )
    return result
