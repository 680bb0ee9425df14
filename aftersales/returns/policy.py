"""Compensation authority (seed 004, 权限下放) as exact integer arithmetic, and shop policy defaults.

Ratios are basis points (5000 bp = 50 %): ``amount * 10000 <= base * bp`` never rounds, so 50.00 %
passes and 50.01 % fails on any order amount. Limits apply to the running total already paid on
the order plus the new payout: two 50 % payouts are not one 100 % payout.
"""

from dataclasses import dataclass, fields, replace
from typing import Any

from aftersales.auth.models import Role
from aftersales.kit.errors import InvalidInputError
from aftersales.returns.errors import BeyondAuthorityError, EarlyRefundNotAllowedError
from aftersales.returns.models import Authority, OfferKind, ReturnPolicy

BP = 10_000


@dataclass(frozen=True)
class Policy:
    agent_ratio_bp: int = 5000
    agent_cap_fen: int = 50_000
    supervisor_ratio_bp: int = 30_000
    early_refund_max_fen: int = 15_000
    retention_compensation_bp: int = 1000
    retention_order: tuple[str, ...] = (
        OfferKind.EXCHANGE_FREE_SHIPPING,
        OfferKind.PARTIAL_COMPENSATION,
        OfferKind.REMOTE_GUIDANCE,
    )
    release_refund_on: str = "accepted"
    high_value_fen: int = 100_000
    repeat_window_days: int = 30
    max_extension_days: int = 15
    erp_format: str = "generic"
    erp_url: str | None = None
    erp_shop_no: str | None = None
    gift_sku_code: str | None = None
    standard_ratio_bp: int = 10_000
    gift_cap_30d: int = 1
    gift_cap_90d: int = 2
    compensation_cap_30d_fen: int = 30_000
    compensation_cap_90d_fen: int = 60_000
    serial_returner_requests: int = 5

    @classmethod
    def from_row(cls, row: ReturnPolicy | None) -> "Policy":
        if row is None:
            return DEFAULTS
        values: dict[str, Any] = {f.name: getattr(row, f.name) for f in fields(cls)}
        values["retention_order"] = tuple(values["retention_order"])
        return replace(DEFAULTS, **values)

    def as_columns(self) -> dict[str, Any]:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values["retention_order"] = [str(kind) for kind in self.retention_order]
        return values


DEFAULTS = Policy()


def within_ratio(amount_fen: int, base_fen: int, ratio_bp: int) -> bool:
    return amount_fen * BP <= base_fen * ratio_bp


def ratio_limit_fen(base_fen: int, ratio_bp: int) -> int:
    """The largest amount in whole fen that ``within_ratio`` accepts."""
    return base_fen * ratio_bp // BP


def agent_limit_fen(policy: Policy, paid_fen: int) -> int:
    return min(ratio_limit_fen(paid_fen, policy.agent_ratio_bp), policy.agent_cap_fen)


def yuan(fen: int) -> str:
    return f"¥{fen // 100}.{fen % 100:02d}"


def authorize_compensation(
    *,
    role: Role,
    amount_fen: int,
    already_paid_fen: int,
    order_paid_fen: int,
    policy: Policy,
    approved: bool = False,
    fault_or_risk: bool = False,
) -> Authority:
    """Which rule allows this payout, or ``BeyondAuthorityError`` saying what would.

    Agents act alone within the agent limit; supervisors (and an agent holding an approved
    request) up to the standard ratio, and up to the supervisor ratio (the 300 % tier of seed 004)
    only for a product fault or a risk to the shop's score (``fault_or_risk``); nobody beyond it.
    """
    total = already_paid_fen + amount_fen
    ceiling = ratio_limit_fen(order_paid_fen, policy.supervisor_ratio_bp)
    if not within_ratio(total, order_paid_fen, policy.supervisor_ratio_bp):
        raise BeyondAuthorityError(
            f"超出最高补偿额度:累计补偿不得超过订单实付的{policy.supervisor_ratio_bp / 100:g}%"
            f"(本单最多 {yuan(ceiling)},已补偿 {yuan(already_paid_fen)})",
            approval_available=False,
        )
    if not fault_or_risk and not within_ratio(total, order_paid_fen, policy.standard_ratio_bp):
        raise InvalidInputError(
            "reason_code",
            f"累计补偿超过订单实付的{policy.standard_ratio_bp / 100:g}%"
            f"(本单最多 {yuan(ratio_limit_fen(order_paid_fen, policy.standard_ratio_bp))},"
            f"已补偿 {yuan(already_paid_fen)}):更高的补偿档(最高"
            f"{policy.supervisor_ratio_bp / 100:g}%)仅用于产品质量问题或店铺评分风险",
        )
    if approved:
        return Authority.SUPERVISOR_APPROVAL
    if role.at_least(Role.SUPERVISOR):
        return Authority.SUPERVISOR
    if within_ratio(total, order_paid_fen, policy.agent_ratio_bp) and total <= policy.agent_cap_fen:
        return Authority.AGENT
    limit = agent_limit_fen(policy, order_paid_fen)
    raise BeyondAuthorityError(
        f"超出客服补偿权限:累计补偿不得超过订单实付的{policy.agent_ratio_bp / 100:g}%且不超过"
        f"{yuan(policy.agent_cap_fen)}(本单最多 {yuan(limit)},已补偿 {yuan(already_paid_fen)})。"
        "可提交主管审批,最高可至订单实付的"
        f"{policy.supervisor_ratio_bp / 100:g}%",
        approval_available=True,
    )


def check_early_refund(*, order_paid_fen: int, pickup_scanned: bool, policy: Policy) -> None:
    """Orders up to the shop's threshold may be refunded before the goods arrive, once the
    courier has scanned the customer's return parcel (有揽收可提前处理)."""
    if order_paid_fen > policy.early_refund_max_fen:
        raise EarlyRefundNotAllowedError(
            f"订单实付 {yuan(order_paid_fen)} 超过提前退款上限 {yuan(policy.early_refund_max_fen)},"
            "需仓库签收后退款"
        )
    if not pickup_scanned:
        raise EarlyRefundNotAllowedError("退货包裹尚无快递揽收记录,揽收后才能提前退款")
