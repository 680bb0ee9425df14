"""Errors of the returns domain, each with a Chinese message an agent can act on."""

from aftersales.kit.errors import AftersalesError, ConflictError, NotFoundError, PermissionDeniedError


class ReturnRequestNotFoundError(NotFoundError):
    def __init__(self, request_id: int) -> None:
        super().__init__(f"售后申请不存在: {request_id}")


class ApprovalNotFoundError(NotFoundError):
    def __init__(self, approval_id: int) -> None:
        super().__init__(f"补偿审批不存在: {approval_id}")


class ReshipmentNotFoundError(NotFoundError):
    def __init__(self, reshipment_id: int) -> None:
        super().__init__(f"补发单不存在: {reshipment_id}")


class ApprovalMayAllowError(AftersalesError):
    """A refusal a supervisor's approval may lift: the console offers the approval instead."""

    approval_available: bool


class BeyondAuthorityError(PermissionDeniedError, ApprovalMayAllowError):
    """The payout exceeds what this user may do alone; ``approval_available`` says whether a
    supervisor's approval could allow it, so the console and API can offer that instead."""

    def __init__(self, message: str, *, approval_available: bool) -> None:
        super().__init__(message)
        self.approval_available = approval_available


class EarlyRefundNotAllowedError(AftersalesError):
    status_code = 409


class ApprovalAlreadyDecidedError(ConflictError):
    def __init__(self) -> None:
        super().__init__("该审批已处理,不能重复审批")


class RequestClosedError(ConflictError):
    def __init__(self) -> None:
        super().__init__("该售后申请已结束,不能再操作")


class WarehouseCheckRequiredError(ConflictError):
    def __init__(self) -> None:
        super().__init__("退回商品需仓库检测通过后才能换新")


class NoReplacementError(ConflictError):
    def __init__(self, sku_code: str) -> None:
        super().__init__(f"没有性能不低于 {sku_code} 的在售商品可换新,请联系产品部")


class InvalidSignatureError(AftersalesError):
    status_code = 401


class RefundExceedsPaidError(ConflictError):
    """Refunds of an order, paid and asked for, would exceed what the customer paid."""


class CustomerCapError(ConflictError, ApprovalMayAllowError):
    """A payout or gift would take one customer past the shop's 30/90-day cap; a supervisor's
    approval may still allow it."""

    approval_available = True


class AppealNotFoundError(NotFoundError):
    def __init__(self, appeal_id: int) -> None:
        super().__init__(f"申诉不存在: {appeal_id}")


class AppealStateError(ConflictError):
    """The appeal is not in the state this step needs (e.g. an outcome for a draft)."""
