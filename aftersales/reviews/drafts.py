"""Reply drafts (seed 003): a review reply is an advertising space that later buyers read.

Positive: thank, answer what was praised, weave in one selling point of the SKU (the "1080P"
example). Negative and middling: address each point raised in the customer's own words, say what
is not the product's fault (courier, environment, usage) and offer the after-sales path.

A shop's replies under one product are read side by side, so no sentence of a draft may repeat a
sentence of the previous draft for the same SKU: every slot rotates among variants and skips the
ones the previous draft used (``previous`` holds their keys).
"""

from collections.abc import Sequence
from dataclasses import dataclass

from aftersales.reviews.aspects import Analysis

OPENINGS = (
    "亲,感谢您的五星好评与认可!",
    "谢谢亲的用心评价,看到您满意我们特别开心!",
    "感谢亲的支持和信任,您的好评是我们最大的动力!",
    "亲爱的顾客,非常感谢您抽空写下这么棒的评价!",
    "收到您的好评,整个团队都很受鼓舞,谢谢亲!",
    "感谢亲的认可,能让您满意是我们一直的追求!",
)

PRAISE: dict[str, tuple[str, ...]] = {
    "质量": ("做工和用料是我们最用心的地方,您能感受到真好。", "品质是我们的底线,每一件都经过质检才发出。"),
    "外观": ("颜值也是设计师反复打磨的,您喜欢就好。", "这款的外观设计确实很受欢迎,您眼光真好。"),
    "尺寸": ("尺寸合适就用得更舒心啦。", "大小合您心意,我们也放心了。"),
    "性能": ("性能表现好是我们最骄傲的一点。", "运行流畅正是这款产品的核心优势。"),
    "画质": ("您的选择非常明智,清晰的画面会让您用得更舒心。", "画面清晰是我们反复调校的结果。"),
    "音质": ("音质是我们调校了很久的部分,您满意就好。", "好声音值得好耳朵,谢谢您的认可。"),
    "续航": ("续航给力,出门也不用担心电量啦。", "长续航是这款产品的一大亮点。"),
    "舒适度": ("用得舒服才是最重要的,祝您天天好心情。", "舒适的体验正是我们想带给您的。"),
    "气味": ("无异味、味道清新是我们一直坚持的标准。", "气味清新说明材料安心,您放心使用。"),
    "物流": ("物流快让您早一天用上,我们也很开心。", "我们会继续保持快速发货,不让您久等。"),
    "包装": ("包装严实是为了让商品完好送到您手中。", "每个包裹我们都用心打包,您满意就好。"),
    "客服": ("您的夸奖我们已转达给客服小伙伴,她会很开心的。", "能为您提供满意的服务是客服团队的荣幸。"),
    "价格": ("能让您买得划算是我们最大的心愿。", "高性价比是我们一直坚持的。"),
    "安装使用": ("上手简单、用着方便是我们设计的初衷。", "操作方便,老人孩子也能轻松使用。"),
}
GENERAL_PRAISE = ("您的满意就是对我们最好的肯定。", "期待这件宝贝陪伴您更久。")

POINT_SENTENCES = (
    "悄悄告诉您,{point}正是这款{name}的一大亮点哦。",
    "您的选择非常明智,这款{name}主打{point},越用越能体会到。",
    "这款{name}的{point}也很值得一试,欢迎您多多体验。",
)

CLOSINGS = (
    "期待您的再次光临!",
    "有任何问题随时找我们,祝您生活愉快!",
    "欢迎常来逛逛,新品上架第一时间通知您!",
    "祝您使用愉快,我们会一直做好品质!",
)

APOLOGIES = (
    "亲,非常抱歉这次没能给您带来满意的体验。",
    "看到您的评价我们很难过,给您添麻烦了,真的很抱歉。",
    "亲,十分抱歉让您失望了,您反映的问题我们都认真看了。",
)
MISMATCH_OPENING = "感谢您给出的好评,不过从您的文字看这次体验还有不满意的地方,我们一一说明。"
PROFESSIONAL_OPENING = "我们尊重每一条真实的评价,以下是本单的实际情况说明。"

# complaint topic -> (what we do about it, what is not the product's fault when it applies)
ADDRESS: dict[str, tuple[str, str | None]] = {
    "质量": ("关于您提到的「{term}」,我们已将批次反馈给品控部门逐一排查。", None),
    "外观": ("关于您提到的「{term}」,不同显示器会有一定色差,我们会更新实拍图。", None),
    "尺寸": (
        "关于您提到的「{term}」,详情页有尺码对照表,下次可以联系客服帮您推荐。",
        "尺寸与个人使用习惯有关,并非商品质量问题。",
    ),
    "性能": (
        "关于您提到的「{term}」,建议先升级到最新版本并重启一次,多数情况即可恢复。",
        "使用环境(网络、温度)也会影响表现,并非都是产品本身的问题。",
    ),
    "画质": (
        "关于您提到的「{term}」,画面清晰度和网络及安装位置有关,建议连接稳定的2.4G Wi-Fi并擦拭镜头。",
        "光线和网络环境会影响画面,这不属于产品故障。",
    ),
    "音质": ("关于您提到的「{term}」,建议检查佩戴和固件版本,我们的技术客服可以远程指导。", None),
    "续航": ("关于您提到的「{term}」,首次使用建议完整充放电一次,低温环境下电量也会消耗更快。", None),
    "舒适度": ("关于您提到的「{term}」,每个人的感受不同,我们会把您的意见反馈给产品部门。", None),
    "气味": (
        "关于您提到的「{term}」,新品拆封后有轻微气味属正常现象,放在通风处1-2天即可散去。",
        "这是新材料的正常现象,不影响使用安全。",
    ),
    "物流": (
        "关于您提到的「{term}」,我们已联系快递公司核实并督促派送。",
        "大促期间快递量激增、部分地区天气影响,派送时效并非商品本身的问题。",
    ),
    "包装": ("关于您提到的「{term}」,我们会加强打包,避免运输途中挤压。", None),
    "客服": ("关于您提到的「{term}」,是我们服务没做好,已安排专人回访并加强培训。", None),
    "价格": ("关于您提到的「{term}」,价格以活动页为准,符合保价规则的客服会为您处理。", None),
    "安装使用": (
        "关于您提到的「{term}」,详细步骤在说明书和详情页视频里,客服也可以一步步指导您。",
        "多数问题来自使用或设置方法,按正确步骤操作即可正常使用。",
    ),
    "少件": ("关于您提到的「{term}」,我们已核对发货记录,确认后第一时间为您补发。", None),
    "破损": ("关于您提到的「{term}」,运输途中的破损我们负责到底,拍照联系客服即可补发或退换。", None),
    "描述不符": ("关于您提到的「{term}」,我们已核对商品信息,与描述不符的我们负责退换。", None),
}
GENERAL_ADDRESS = "您反映的问题我们已经记录,会尽快核实处理。"
# Words that name a fault of the product itself. When the review names one, the draft owns it:
# no "not the product's fault" sentence and no usage advice that would blame the buyer.
FAULT_WORDS = (
    "坏点", "坏了", "故障", "死机", "黑屏", "花屏", "不亮", "开不了机", "无法开机", "自动关机",
    "漏电", "漏水", "漏液", "断了", "断裂", "失灵", "不工作", "没反应", "烧了", "冒烟", "异响", "卡死",
)  # fmt: skip
FAULT_ADDRESS = (
    "关于您提到的「{fault}」,这是商品本身的问题,是我们的责任,非常抱歉!"
    "请联系客服或在订单页申请售后,我们为您换新或维修,来回运费由我们承担。"
)


def named_fault(text: str) -> str | None:
    """The first product-fault word the review uses, if any."""
    return next((word for word in FAULT_WORDS if word in text), None)


# A question about price protection (保价 / 退差价) is answered as one: the difference is refunded
# and the buyer keeps the goods, so return or repair instructions would be the wrong answer.
PRICE_WORDS = ("保价", "价保", "退差价", "补差价", "差价", "降价", "买贵了", "买亏了")
PRICE_PROTECTION = (
    "关于您问的保价/退差价:在活动页写明的保价期内降价的,联系在线客服报上订单号,"
    "核实后差价原路退回,无需退货,商品您继续放心使用。"
)


def asks_price_protection(text: str) -> bool:
    return any(word in text for word in PRICE_WORDS)


AFTERSALES_PATH = (
    "如仍有问题,请在订单页申请售后或联系在线客服,退换货、维修都可以为您安排,一定给您满意的处理。",
    "麻烦您联系在线客服或直接在订单页点击申请售后,我们会优先为您处理退换或维修。",
)
PROFESSIONAL_PATH = "如确有商品问题,请通过平台售后渠道提交凭证,我们将按平台规则处理。"


@dataclass(frozen=True)
class SkuInfo:
    name: str
    selling_points: Sequence[str]


@dataclass(frozen=True)
class Draft:
    text: str
    keys: tuple[str, ...]
    selling_point: str | None


@dataclass(frozen=True)
class ReviewFacts:
    stars: int
    negative: bool
    mismatch: bool
    professional: bool
    analysis: Analysis
    emotion_label: str | None = None
    variant: int = 0
    fault: str | None = None
    """A product fault the review names (``named_fault``): the draft owns it, never denies it."""
    price_question: bool = False
    """The review asks about 保价/退差价 (``asks_price_protection``): answered as price protection."""
    """Where each slot starts rotating (the review id), so neighbouring SKUs' replies differ too."""


# emotion label of the QC model -> complaint topic, when the text named no aspect we know
EMOTION_TOPIC = {"物流": "物流", "产品": "质量", "少件": "少件", "态度": "客服"}


def compose(facts: ReviewFacts, sku: SkuInfo | None, previous: frozenset[str]) -> Draft:
    """``previous``: the sentence keys of the SKU's last draft (``point:1|<selling point>`` for points)."""
    if facts.negative or facts.mismatch or facts.stars == 3:
        return _complaint_draft(facts, _slots(previous))
    return _praise_draft(facts, sku, previous)


def _slots(keys: frozenset[str]) -> frozenset[str]:
    return frozenset(k.split("|", 1)[0] for k in keys)


def _pick(slot: str, variants: Sequence[str], previous: frozenset[str], seed: int = 0) -> tuple[str, str]:
    """The first variant (rotating from ``seed``) whose key the previous draft of the SKU did not use."""
    for step in range(len(variants)):
        index = (seed + step) % len(variants)
        key = f"{slot}:{index}"
        if key not in previous:
            return key, variants[index]
    return f"{slot}:{seed % len(variants)}", variants[seed % len(variants)]


def _praise_draft(facts: ReviewFacts, sku: SkuInfo | None, last_keys: frozenset[str]) -> Draft:
    previous = _slots(last_keys)
    keys: list[str] = []
    parts: list[str] = []

    def add(key: str, sentence: str) -> None:
        keys.append(key)
        parts.append(sentence)

    add(*_pick("open", OPENINGS, previous, facts.variant))
    praised = facts.analysis.praised[:2]
    for topic in praised:
        add(*_pick(f"praise:{topic}", PRAISE[topic], previous, facts.variant))
    if not praised:
        add(*_pick("praise", GENERAL_PRAISE, previous, facts.variant))
    if facts.price_question:
        add("address:price_protection", PRICE_PROTECTION)
    point = _selling_point(sku, praised, last_keys)
    if point is not None and sku is not None:
        key, template = _pick("point", POINT_SENTENCES, previous, facts.variant)
        add(f"{key}|{point}", template.format(point=point, name=sku.name))
    add(*_pick("close", CLOSINGS, previous, facts.variant))
    return Draft("".join(parts), tuple(keys), point)


def _selling_point(sku: SkuInfo | None, praised: list[str], previous: frozenset[str]) -> str | None:
    """A point related to what was praised if one is, otherwise the next one not used last time."""
    if sku is None or not sku.selling_points:
        return None
    used = {k.split("|", 1)[1] for k in previous if k.startswith("point:") and "|" in k}
    fresh = [p for p in sku.selling_points if p not in used] or list(sku.selling_points)
    for point in fresh:
        if any(_related(point, topic) for topic in praised):
            return point
    return fresh[0]


_TOPIC_HINTS = {
    "画质": ("高清", "画质", "屏", "1080P", "2.8K", "夜视"),
    "续航": ("续航", "电"),
    "舒适度": ("软", "亲肤", "回弹", "透气", "贴合", "保暖", "干爽"),
    "质量": ("不掉毛", "面料", "材质", "玻璃", "加厚", "丝"),
    "音质": ("降噪", "音"),
    "性能": ("内存", "快充", "低延迟"),
    "安装使用": ("一键", "便携", "易", "收车"),
}


def _related(point: str, topic: str) -> bool:
    return any(hint in point for hint in _TOPIC_HINTS.get(topic, (topic,)))


def _complaint_draft(facts: ReviewFacts, previous: frozenset[str]) -> Draft:
    keys: list[str] = []
    parts: list[str] = []
    if facts.professional:
        keys.append("open:professional")
        parts.append(PROFESSIONAL_OPENING)
    elif facts.mismatch:
        keys.append("open:mismatch")
        parts.append(MISMATCH_OPENING)
    else:
        key, sentence = _pick("apology", APOLOGIES, previous, facts.variant)
        keys.append(key)
        parts.append(sentence)
    terms = facts.analysis.terms("negative")
    if not terms and facts.emotion_label in EMOTION_TOPIC:
        topic = EMOTION_TOPIC[facts.emotion_label]
        terms = {topic: topic + "问题"}
    if facts.fault is not None:
        keys.append("address:fault")
        parts.append(FAULT_ADDRESS.format(fault=facts.fault))
    if facts.price_question:
        keys.append("address:price_protection")
        parts.append(PRICE_PROTECTION)
        terms = {topic: term for topic, term in terms.items() if topic != "价格"}
    for topic, term in terms.items():
        action, not_our_fault = ADDRESS[topic]
        if facts.fault is not None and not_our_fault:
            continue  # its advice and its "not a fault" would contradict the fault just owned
        keys.append(f"address:{topic}")
        parts.append(action.format(term=term))
        if not_our_fault:
            parts.append(not_our_fault)
    if not terms and facts.fault is None and not facts.price_question:
        keys.append("address:general")
        parts.append(GENERAL_ADDRESS)
    path = _path(facts, previous)
    if path is not None:
        keys.append(path[0])
        parts.append(path[1])
    return Draft("".join(parts), tuple(keys), None)


def _path(facts: ReviewFacts, previous: frozenset[str]) -> tuple[str, str] | None:
    """The after-sales path; none after a price-protection answer (it is the path: a refund of
    the difference, no return or repair) unless the review also names a fault."""
    if facts.price_question and facts.fault is None:
        return None
    if facts.professional:
        return "path:professional", PROFESSIONAL_PATH
    return _pick("path", AFTERSALES_PATH, previous, facts.variant)
