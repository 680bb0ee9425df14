"""Request and response shapes of price protection (保价) and appeals (申诉)."""

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from aftersales.kit.time import as_utc
from aftersales.returns.aftercare_models import AppealStatus

EvidenceKind = Literal["timeline", "photo", "tracking", "chat"]


class PriceProtectionRuleIn(BaseModel):
    """A shop's 保价 rule: e.g. 双12 drops within 15 days of payment, every SKU, ≤ ¥200 per order."""

    is_active: bool = True
    window_days: int = Field(ge=1, le=365, description="days after payment a price drop is refunded")
    sku_codes: list[str] = Field(default_factory=list, description="empty: every SKU")
    max_per_order_fen: int = Field(gt=0, description="all differences of one order, fen")


class PriceProtectionRuleRead(PriceProtectionRuleIn):
    model_config = ConfigDict(from_attributes=True)

    shop_id: int


class PriceProtectionIn(BaseModel):
    order_id: int
    sku_code: str = Field(min_length=1, max_length=64)
    new_unit_fen: int = Field(ge=0, description="the SKU's price now, fen per unit")
    ticket_id: int | None = None


class QuoteRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    title: str
    quantity: int
    paid_unit_fen: int
    new_unit_fen: int
    difference_fen: int
    amount_fen: int
    eligible: bool
    refusal: str | None
    field: str | None


class PriceProtectionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    order_id: int
    order_item_id: int
    paid_unit_fen: int
    new_unit_fen: int
    quantity: int
    amount_fen: int
    compensation_id: int
    agent_id: int
    created_at: AwareDatetime


class EvidenceIn(BaseModel):
    """One piece of evidence: a row of the ticket (by id) or, for chat, the excerpt itself."""

    kind: EvidenceKind
    ref_id: int | None = Field(default=None, description="timeline entry, photo or tracking event id")
    text: str | None = Field(default=None, max_length=4000, description="chat excerpt")


class AppealIn(BaseModel):
    order_id: int
    ticket_id: int | None = None
    ruling: str = Field(min_length=2, max_length=4000)
    ruled_at: datetime | None = None
    deadline_at: datetime
    statement: str = Field(default="", max_length=8000)
    evidence: list[EvidenceIn] = Field(default_factory=list, max_length=50)

    @field_validator("ruled_at", "deadline_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return as_utc(value) if value is not None else None


class AppealEvidenceIn(BaseModel):
    statement: str = Field(default="", max_length=8000)
    evidence: list[EvidenceIn] = Field(default_factory=list, max_length=50)


class AppealOutcomeIn(BaseModel):
    won: bool
    note: str = Field(min_length=2, max_length=4000)
    topup_fen: int = Field(default=0, ge=0, description="补款 the buyer paid afterwards, fen")
    good_review: bool = Field(default=False, description="the buyer left a good review afterwards")


class AppealRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    order_id: int
    ticket_id: int | None
    ruling: str
    ruled_at: AwareDatetime | None
    deadline_at: AwareDatetime
    statement: str
    evidence: list[dict[str, object]]
    status: AppealStatus
    outcome_note: str | None
    topup_fen: int
    good_review: bool
    submitted_at: AwareDatetime | None
    decided_at: AwareDatetime | None
