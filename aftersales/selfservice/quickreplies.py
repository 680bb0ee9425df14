"""Quick replies for agents (快捷话术): snippets per scenario with order variables, found by
keyword or ``/shortcut``, suggested by the intent the bot detects, counted on every use.

Bodies use the messaging template engine (Jinja2 sandbox, ``{{ order_no }}``), so a snippet and a
customer-message template accept the same variables and unknown variables are refused on save.
"""

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.kit.refs import require_refs
from aftersales.kit.time import utcnow
from aftersales.selfservice import integrations, repository
from aftersales.selfservice.errors import QuickReplyNotFoundError, ShortcutTakenError
from aftersales.selfservice.intents import get_model
from aftersales.selfservice.models import QuickReply, QuickReplyUse
from aftersales.selfservice.schemas import QuickReplyIn


def create(session: Session, *, data: QuickReplyIn) -> QuickReply:
    require_refs(session, {"shop_id": (Shop, data.shop_id)})
    integrations.template_validate(data.body)
    taken = session.scalar(select(QuickReply.id).where(QuickReply.shortcut == data.shortcut))
    if taken is not None:
        raise ShortcutTakenError(data.shortcut)
    reply = QuickReply(
        shop_id=data.shop_id,
        scenario=data.scenario,
        shortcut=data.shortcut,
        title=data.title,
        body=data.body,
        keywords=" ".join(k.strip() for k in data.keywords if k.strip()),
        usage_count=0,
        is_active=True,
    )
    session.add(reply)
    session.flush()
    return reply


def get(session: Session, reply_id: int) -> QuickReply:
    reply = session.get(QuickReply, reply_id)
    if reply is None:
        raise QuickReplyNotFoundError()
    return reply


def suggest(
    session: Session, *, text: str | None = None, intent: str | None = None, limit: int = 5
) -> list[QuickReply]:
    """Snippets for the intent detected in the customer's last message (or the intent given)."""
    scenario = intent or (get_model().predict(text).intent if text else None)
    if scenario is None:
        return []
    return repository.quick_replies_for(session, [scenario, "general"], limit=limit)


def render(session: Session, *, reply: QuickReply, order_id: int | None) -> str:
    """The snippet with the order's variables filled; without an order, variables render empty."""
    context = integrations.order_context(session, order_id) if order_id is not None else {}
    return integrations.template_render(reply.body, context)


def use(
    session: Session, *, reply_id: int, user_id: int | None, order_id: int | None, ticket_id: int | None
) -> tuple[QuickReply, str]:
    """Render for the order and count the use (atomic increment: two agents never lose a count)."""
    reply = get(session, reply_id)
    text = render(session, reply=reply, order_id=order_id)
    session.execute(
        update(QuickReply).where(QuickReply.id == reply_id).values(usage_count=QuickReply.usage_count + 1)
    )
    session.add(
        QuickReplyUse(quick_reply_id=reply_id, user_id=user_id, order_id=order_id, ticket_id=ticket_id)
    )
    session.flush()
    session.refresh(reply)
    return reply, text


def update_text(session: Session, *, reply_id: int, title: str, body: str) -> QuickReply:
    """New title and body for a snippet (the knowledge base keeps its published articles' replies current)."""
    integrations.template_validate(body)
    reply = get(session, reply_id)
    reply.title, reply.body, reply.updated_at = title, body, utcnow()
    session.flush()
    return reply


def deactivate(session: Session, *, reply_id: int) -> QuickReply:
    reply = get(session, reply_id)
    reply.is_active = False
    reply.updated_at = utcnow()
    session.flush()
    return reply


DEFAULT_REPLIES: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "where_is_parcel",
        "wl",
        "物流查询(拆单)",
        "亲,您的订单共 {{ parcel_count }} 个包裹:{% for p in parcels %}"
        "{{ p.courier_name }} {{ p.tracking_no }}({{ p.status }});{% endfor %}"
        "预计 {{ eta_date }} 送达,请留意派送电话哦~",
        "物流 快递 到哪 包裹",
    ),
    (
        "urge_shipping",
        "cfh",
        "催发货安抚",
        "亲,订单 {{ order_no }} 已在加急安排,发货后第一时间同步运单号给您,感谢耐心等待~",
        "发货 催单 什么时候发",
    ),
    (
        "refund_status",
        "tk",
        "退款进度",
        "亲,退款审核通过后原路退回,支付宝/微信一般即时到账,银行卡 1-3 个工作日,请留意~",
        "退款 到账 钱",
    ),
    (
        "how_to_return",
        "th",
        "退货指引",
        "亲,您可以在自助售后页面三步提交退货:选原因并上传照片,选择上门取件/自行寄回/同城跑腿即可~",
        "退货 退回 七天无理由",
    ),
    (
        "exchange",
        "hh",
        "换货引导",
        "亲,换货比退货更快哦:提交换货并寄回后,我们收到揽收信息即可优先为您换出~",
        "换货 尺码 颜色",
    ),
    (
        "change_address",
        "gdz",
        "修改地址",
        "亲,订单 {{ order_no }} 未发货前可在自助页面修改地址;已发货的我们帮您联系快递拦截改派~",
        "地址 改地址 收货人",
    ),
    (
        "invoice",
        "fp",
        "发票登记",
        "亲,请在自助页面登记抬头和税号,电子发票开具后会发送到您的邮箱;抬头: {{ invoice_title }}",
        "发票 抬头 税号",
    ),
    (
        "missing_item",
        "sj",
        "少件安抚",
        "非常抱歉亲!麻烦拍一下包裹和面单照片,核实后马上为您补发,补发单号会同步给您~",
        "少件 漏发 赠品",
    ),
    (
        "quality_issue",
        "zl",
        "质量问题致歉",
        "非常抱歉给您带来不好的体验!麻烦拍下问题部位的照片,质量问题退换运费由我们承担~",
        "质量 破损 坏了",
    ),
    ("general", "hi", "欢迎语", "亲,您好,我是{{ shop_name }}售后客服,很高兴为您服务~", "你好 欢迎 在吗"),
)


def seed_defaults(session: Session) -> int:
    """The stock library (seed 004 售后话术FAQ); existing shortcuts are left as the shop edited them."""
    existing = set(session.scalars(select(QuickReply.shortcut)))
    added = 0
    for scenario, shortcut, title, body, keywords in DEFAULT_REPLIES:
        if shortcut in existing:
            continue
        data = QuickReplyIn(
            scenario=scenario, shortcut=shortcut, title=title, body=body, keywords=keywords.split()
        )
        create(session, data=data)
        added += 1
    return added
