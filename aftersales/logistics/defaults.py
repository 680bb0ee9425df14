"""Default message templates and rule rows, added when missing (never overwriting a shop's edits).

Only templates something sends are seeded: the gift-parcel notice goes when a parcel holding only
gift lines is shipped (``gifts.py``), the invoice notice when the portal's invoice registration is
completed, with the link to the portal's invoice page; the returns domain's refund and price
protection notices use theirs when present.
"""

from sqlalchemy.orm import Session

from aftersales.logistics.rules import seed_default_rules
from aftersales.messaging.templates import add_missing

# code, name, channel, body
TEMPLATES: tuple[tuple[str, str, str, str], ...] = (
    (
        "eta_apology",
        "延误致歉",
        "platform_im",
        "亲,您在{{ shop_name }}的订单 {{ order_no }} 中,{{ courier_name }}运单 {{ tracking_no }}"
        "({{ parcel_status }})比预计慢了一些{% if eta_date %}(原预计 {{ eta_date }} 送达){% endif %},"
        "真的很抱歉!我们已联系{{ courier_name }}加急处理,有任何进展会第一时间告诉您~"
        "{% if is_split %}\n本单共 {{ parcel_count }} 个包裹:\n{% for p in parcels %}{{ loop.index }}. "
        "{{ p.courier_name }} {{ p.tracking_no }}({{ p.status }}{% if p.eta_date %},预计 {{ p.eta_date }}"
        "{% endif %})\n{% endfor %}{% endif %}",
    ),
    (
        "restricted_notice",
        "停发地区通知",
        "platform_im",
        "亲,因{{ restricted_reason }},快递暂时无法派送到{{ region }},"
        "您的订单 {{ order_no }} 将在恢复派送后({{ restricted_until }})第一时间为您发出/派送。"
        "如需改地址或取消订单,直接回复我们就好~",
    ),
    (
        "split_notice",
        "拆单发货说明",
        "platform_im",
        "亲,您的订单 {{ order_no }} 分成 {{ parcel_count }} 个包裹发出:\n"
        "{% for p in parcels %}{{ loop.index }}. {{ p.courier_name }} {{ p.tracking_no }}"
        "({{ p.contents }},{{ p.status }})\n{% endfor %}"
        "其余包裹还在路上,请您耐心等待,签收一个不代表订单全部到齐哦~",
    ),
    (
        "shipping_notice",
        "发货通知(含预计送达)",
        "sms",
        "【{{ shop_name }}】您的订单{{ order_no }}已由{{ courier_name }}发出,运单号{{ tracking_no }}"
        "{% if eta_date %},预计{{ eta_date }}送达(约{{ eta_days }}天){% endif %}。",
    ),
    (
        "reshipment_notice",
        "补发通知",
        "platform_im",
        "亲,给您补发的商品已通过{{ reshipment_courier }}寄出,"
        "运单号 {{ reshipment_tracking_no }},给您添麻烦了!",
    ),
    (
        "gift_notice",
        "赠品发货通知",
        "platform_im",
        "亲,您订单 {{ order_no }} 的赠品已单独寄出:{{ courier_name }} {{ tracking_no }},"
        "和商品分开到达,请留意查收~",
    ),
    (
        "invoice_notice",
        "发票开具通知",
        "platform_im",
        "亲,订单 {{ order_no }} 的电子发票(抬头:{{ invoice_title }})已开具,点击查看: {{ invoice_link }}",
    ),
    (
        "refund_completed",
        "退款完成",
        "platform_im",
        "亲,订单 {{ order_no }} 的退款 {{ refund_amount }} 元已于 {{ refund_completed_at }} 原路退回,"
        "请注意查收~",
    ),
    (
        "price_protection_refunded",
        "保价退差价到账",
        "platform_im",
        "亲,订单 {{ order_no }} 中「{{ protected_item }}」降价了,"
        "按保价规则已为您退回差价 {{ refund_amount }} 元,请注意查收~",
    ),
    (
        "care_care",
        "签收关怀",
        "platform_im",
        "亲,您的{{ item_titles }}已经签收啦~ 商品有任何问题随时找我们,祝您使用愉快!",
    ),
    (
        "care_usage",
        "使用回访",
        "platform_im",
        "亲,{{ item_titles }}用了几天感觉怎么样?有不会用或不满意的地方直接回复我们哦~",
    ),
    (
        "care_feedback",
        "评价邀请",
        "platform_im",
        "亲,感谢您选择{{ shop_name }}!方便的话给我们的服务提点意见吧"
        "{% if survey_link %}: {{ survey_link }}{% endif %}",
    ),
)


def seed_templates(session: Session) -> None:
    add_missing(session, TEMPLATES)


def ensure_defaults(session: Session) -> None:
    seed_default_rules(session)
    seed_templates(session)
