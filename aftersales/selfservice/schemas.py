"""Input and output shapes of the portal, the bot and quick replies."""

import re
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from aftersales.kit.types import MAX_ROW_ID, RowId
from aftersales.selfservice.invoice_models import InvoiceStatus
from aftersales.selfservice.models import RequestKind, RequestStatus, ReturnMethod

MOBILE = re.compile(r"^1[3-9]\d{9}$")
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# Reason codes shared with the returns domain (returns/reasons.py), with the portal's wording.
RETURN_REASONS: dict[str, str] = {
    "damaged": "商品破损",
    "defective": "功能故障/质量问题",
    "not_as_described": "与描述不符",
    "wrong_item": "发错商品",
    "not_fit": "尺寸/款式不合适",
    "no_reason": "七天无理由",
    "changed_mind": "拍错/不想要了",
    "other": "其他",
}
QUALITY_REASONS = {"damaged", "defective", "not_as_described", "wrong_item"}
PICKUP_SLOTS = {"09-12": (9, 12), "12-15": (12, 15), "15-18": (15, 18), "18-21": (18, 21)}


def valid_tax_id(value: str) -> bool:
    """统一社会信用代码 (GB 32100-2015, 18 characters with a check character), or a legacy
    15-digit 税号 still printed on older invoices."""
    value = value.strip().upper()
    if re.fullmatch(r"\d{15}", value):
        return True
    if len(value) != 18 or any(ch not in USCC_CHARS for ch in value):
        return False
    total = sum(USCC_CHARS.index(ch) * weight for ch, weight in zip(value[:17], USCC_WEIGHTS, strict=True))
    check = (31 - total % 31) % 31
    return USCC_CHARS[check] == value[17]


def _mobile(value: str) -> str:
    digits = re.sub(r"[\s-]", "", value)
    if not MOBILE.match(digits):
        raise ValueError("请填写 11 位手机号")
    return digits


class ReturnApply(BaseModel):
    """Step 2 of a return, exchange or refund: why, and how the goods come back."""

    kind: Literal[RequestKind.RETURN, RequestKind.EXCHANGE, RequestKind.REFUND]
    reason: str
    description: str | None = Field(default=None, max_length=500)
    return_method: ReturnMethod | None = None
    pickup_date: date | None = None
    pickup_slot: str | None = None
    exchange_spec: str | None = Field(default=None, max_length=100, description="换成的规格,换货时填写")

    @field_validator("reason")
    @classmethod
    def _known_reason(cls, value: str) -> str:
        if value not in RETURN_REASONS:
            raise ValueError("请选择售后原因")
        return value

    @model_validator(mode="after")
    def _method_complete(self) -> "ReturnApply":
        if self.kind != RequestKind.REFUND and self.return_method is None:
            raise ValueError("return_method: 请选择退回方式")
        if self.return_method == ReturnMethod.PICKUP:
            if self.pickup_date is None or self.pickup_slot not in PICKUP_SLOTS:
                raise ValueError("pickup_date: 上门取件请选择日期和时间段")
        return self


class AddressChange(BaseModel):
    receiver_name: str = Field(min_length=1, max_length=32)
    receiver_phone: str
    province: str = Field(min_length=2, max_length=32)
    city: str = Field(min_length=2, max_length=32)
    district: str = Field(min_length=2, max_length=32)
    address: str = Field(min_length=4, max_length=200)

    _phone = field_validator("receiver_phone")(_mobile)


class QuestionIn(BaseModel):
    """One question of a shop's questionnaire; the service checks the whole list (one 整体满意度)."""

    kind: Literal["overall", "stars", "yes_no", "text"]
    text: str = Field(min_length=1, max_length=100)
    required: bool = True


class QuestionnaireIn(BaseModel):
    questions: list[QuestionIn] = Field(min_length=1, max_length=10)


class QuestionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    shop_id: int | None
    version: int
    position: int
    kind: str
    text: str
    required: bool


class InvoiceRegistration(BaseModel):
    invoice_type: Literal["personal", "company"]
    title: str = Field(min_length=2, max_length=100, description="发票抬头")
    tax_id: str | None = Field(default=None, max_length=20, description="税号/统一社会信用代码")
    email: str | None = Field(default=None, max_length=120)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}", value):
            raise ValueError("邮箱格式不正确")
        return value or None

    @model_validator(mode="after")
    def _company_needs_tax_id(self) -> "InvoiceRegistration":
        if self.invoice_type == "company":
            if not self.tax_id or not valid_tax_id(self.tax_id):
                raise ValueError("tax_id: 税号格式不正确(18 位统一社会信用代码)")
            self.tax_id = self.tax_id.strip().upper()
        else:
            self.tax_id = None
        return self


class InstallationRequest(BaseModel):
    preferred_date: date
    contact_phone: str
    note: str | None = Field(default=None, max_length=300)

    _phone = field_validator("contact_phone")(_mobile)


class DelayShipping(BaseModel):
    ship_after: date
    note: str | None = Field(default=None, max_length=300)


class MissingItem(BaseModel):
    line_nos: list[int] = Field(min_length=1, description="少收的商品行")
    description: str | None = Field(default=None, max_length=500)


class StepRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    occurred_at: datetime
    status: RequestStatus
    message: str


class PortalRequestRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    order_id: int
    kind: RequestKind
    status: RequestStatus
    reason: str | None
    return_method: ReturnMethod | None
    ticket_id: int | None
    return_request_id: int | None
    expected_by: datetime | None
    created_at: datetime


class InvoiceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    request_id: int
    order_id: int
    number: str
    status: InvoiceStatus
    invoice_type: str
    title: str
    tax_id: str | None
    amount_fen: int
    issued_at: datetime
    voided_at: datetime | None
    replaced_by_id: int | None


class RequestAdvance(BaseModel):
    status: RequestStatus
    message: str = Field(min_length=1, max_length=500)


class BotQuestion(BaseModel):
    text: str = Field(min_length=1, max_length=500)
    session_key: str = Field(min_length=1, max_length=128)
    order_id: int | None = None
    shop_id: int | None = None


class BotAnswerRead(BaseModel):
    exchange_id: int
    intent: str | None
    intent_label: str | None
    confidence: float
    answer: str
    handed_over: bool
    handover_reason: str | None
    ticket_id: int | None


class FaqAnswerIn(BaseModel):
    answer: str = Field(min_length=1, max_length=2000)
    shop_id: int | None = Field(default=None, description="空 = 所有店铺的默认回答")


class FaqAnswerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    intent: str
    label: str
    answer: str
    source: str = Field(description="shop(本店) / default(默认) / packaged(随包数据)")


class QuickReplyIn(BaseModel):
    scenario: str = Field(min_length=1, max_length=32)
    shortcut: str = Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_]+$")
    title: str = Field(min_length=1, max_length=64)
    body: str = Field(min_length=1, max_length=2000)
    # 20 words of at most 20 characters fit the 500-character keywords column with their spaces.
    keywords: list[Annotated[str, Field(max_length=20)]] = Field(default_factory=list, max_length=20)
    shop_id: int | None = None


class QuickReplyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    shop_id: int | None
    scenario: str
    shortcut: str
    title: str
    body: str
    keywords: list[str]
    usage_count: int
    is_active: bool

    @field_validator("keywords", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        return value.split() if isinstance(value, str) else value


class QuickReplyUseIn(BaseModel):
    order_id: int | None = None
    ticket_id: int | None = None


class QuickReplyRendered(BaseModel):
    id: int
    text: str
    usage_count: int


class KnowledgeArticleIn(BaseModel):
    kind: Literal["policy", "answer"]
    title: str = Field(min_length=1, max_length=120)
    body: str = Field(min_length=1, max_length=5000)
    shop_id: RowId | None = None


class KnowledgeEdit(BaseModel):
    title: str = Field(min_length=1, max_length=120)
    body: str = Field(min_length=1, max_length=5000)
    base_version: int = Field(ge=1, le=MAX_ROW_ID, description="the version the editor started from")


class KnowledgeRestore(BaseModel):
    version: int = Field(ge=1, le=MAX_ROW_ID)


class KnowledgeArticleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    shop_id: int | None
    kind: str
    intent: str | None
    title: str
    body: str
    version: int
    quick_reply_id: int | None
    updated_at: datetime


class KnowledgeVersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    title: str
    body: str
    note: str
    author_id: int | None
    created_at: datetime
