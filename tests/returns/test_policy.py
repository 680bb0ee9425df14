"""Every authority boundary of seed 004, as exact integer-fen arithmetic (no database needed)."""

import pytest

from aftersales.auth.models import Role
from aftersales.kit.errors import InvalidInputError
from aftersales.returns.errors import BeyondAuthorityError, EarlyRefundNotAllowedError
from aftersales.returns.models import Authority
from aftersales.returns.policy import DEFAULTS, authorize_compensation, check_early_refund

ORDER = 10_000  # ¥100.00


def agent_pays(
    amount: int, *, order: int = ORDER, already: int = 0, approved: bool = False, fault: bool = True
) -> Authority:
    return authorize_compensation(
        role=Role.AGENT,
        amount_fen=amount,
        already_paid_fen=already,
        order_paid_fen=order,
        policy=DEFAULTS,
        approved=approved,
        fault_or_risk=fault,
    )


class TestAgentRatio:
    def test_agent_may_pay_49_99_percent_alone(self) -> None:
        assert agent_pays(4999) == Authority.AGENT

    def test_agent_may_pay_exactly_50_percent_alone(self) -> None:
        assert agent_pays(5000) == Authority.AGENT

    def test_agent_is_refused_50_01_percent_and_offered_approval(self) -> None:
        with pytest.raises(BeyondAuthorityError) as caught:
            agent_pays(5001)
        assert caught.value.approval_available is True
        assert "主管审批" in caught.value.message

    def test_one_fen_over_half_of_an_odd_amount_is_refused(self) -> None:
        # 50 % of ¥99.99 is 4999.5 fen: 4999 passes, 5000 does not (no rounding up).
        assert agent_pays(4999, order=9999) == Authority.AGENT
        with pytest.raises(BeyondAuthorityError):
            agent_pays(5000, order=9999)

    def test_earlier_payouts_on_the_order_count_towards_the_limit(self) -> None:
        with pytest.raises(BeyondAuthorityError):
            agent_pays(2001, already=3000)


class TestAgentCap:
    def test_agent_may_pay_exactly_500_yuan_on_a_large_order(self) -> None:
        assert agent_pays(50_000, order=200_000) == Authority.AGENT

    def test_agent_is_refused_one_fen_over_500_yuan_even_within_50_percent(self) -> None:
        with pytest.raises(BeyondAuthorityError) as caught:
            agent_pays(50_001, order=200_000)
        assert caught.value.approval_available is True


class TestSupervisorCeiling:
    def test_300_percent_with_an_approval_is_allowed(self) -> None:
        assert agent_pays(30_000, approved=True) == Authority.SUPERVISOR_APPROVAL

    def test_300_percent_without_an_approval_is_refused_with_approval_offered(self) -> None:
        with pytest.raises(BeyondAuthorityError) as caught:
            agent_pays(30_000)
        assert caught.value.approval_available is True

    def test_above_300_percent_is_refused_even_with_an_approval(self) -> None:
        with pytest.raises(BeyondAuthorityError) as caught:
            agent_pays(30_001, approved=True)
        assert caught.value.approval_available is False
        assert "300%" in caught.value.message

    def test_a_supervisor_may_pay_300_percent_directly(self) -> None:
        authority = authorize_compensation(
            role=Role.SUPERVISOR,
            amount_fen=30_000,
            already_paid_fen=0,
            order_paid_fen=ORDER,
            policy=DEFAULTS,
            fault_or_risk=True,
        )
        assert authority == Authority.SUPERVISOR


class TestThreeHundredPercentTier:
    """Seed 004 reserves 300 % for a product fault or a risk to the shop's score."""

    def test_100_percent_without_a_fault_is_allowed_with_an_approval(self) -> None:
        assert agent_pays(10_000, approved=True, fault=False) == Authority.SUPERVISOR_APPROVAL

    def test_one_fen_over_100_percent_without_a_fault_is_a_422_on_the_reason(self) -> None:
        with pytest.raises(InvalidInputError) as caught:
            agent_pays(10_001, approved=True, fault=False)
        assert caught.value.field == "reason_code"
        assert caught.value.status_code == 422
        assert "产品质量问题或店铺评分风险" in caught.value.message


class TestEarlyRefund:
    def test_150_yuan_order_with_a_pickup_scan_may_be_refunded_early(self) -> None:
        check_early_refund(order_paid_fen=15_000, pickup_scanned=True, policy=DEFAULTS)

    def test_150_yuan_order_without_a_pickup_scan_must_wait(self) -> None:
        with pytest.raises(EarlyRefundNotAllowedError, match="揽收"):
            check_early_refund(order_paid_fen=15_000, pickup_scanned=False, policy=DEFAULTS)

    def test_order_one_fen_over_150_yuan_must_wait_for_the_warehouse(self) -> None:
        with pytest.raises(EarlyRefundNotAllowedError, match="提前退款上限"):
            check_early_refund(order_paid_fen=15_001, pickup_scanned=True, policy=DEFAULTS)
