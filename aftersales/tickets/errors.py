"""Tickets' domain errors, with the Chinese messages agents see."""

from aftersales.kit.errors import ConflictError, InvalidInputError, NotFoundError


class TicketNotFoundError(NotFoundError):
    def __init__(self, ticket_id: object) -> None:
        super().__init__(f"工单不存在: {ticket_id}")


class GroupNotFoundError(NotFoundError):
    def __init__(self, code: object) -> None:
        super().__init__(f"处理组不存在: {code}")


class InvalidTransitionError(ConflictError):
    """The status machine does not allow this move."""

    def __init__(self, current: str, target: str) -> None:
        super().__init__(f"工单状态不能从「{current}」变为「{target}」")


class TicketClosedError(ConflictError):
    def __init__(self) -> None:
        super().__init__("工单已关闭,请先重新打开")


class UnknownCategoryError(InvalidInputError):
    def __init__(self, field: str, value: str) -> None:
        super().__init__(field, f"不在问题分类中: {value}")


class FeedbackAlreadyAnsweredError(ConflictError):
    def __init__(self) -> None:
        super().__init__("该反馈已答复")


class FeedbackClosedError(ConflictError):
    def __init__(self) -> None:
        super().__init__("该反馈已关闭")
