"""Errors of the reviews domain, each with a message a shop's staff can act on."""

from aftersales.kit.errors import ConflictError, NotFoundError, PermissionDeniedError


class ReviewNotFoundError(NotFoundError):
    def __init__(self, review_id: int) -> None:
        super().__init__(f"评价不存在: {review_id}")


class ReplyAlreadyPostedError(ConflictError):
    def __init__(self) -> None:
        super().__init__("回复已发布,不能再修改")


class ReplyMissingError(ConflictError):
    def __init__(self) -> None:
        super().__init__("该评价还没有回复草稿,请先生成或填写回复")


class ReplyApprovalRequiredError(PermissionDeniedError):
    """Seed 003: replies to bad reviews are written by a supervisor or a product expert."""

    def __init__(self) -> None:
        super().__init__("中差评及五星差评的回复须由主管审核后发布,客服不能直接发布")


class InvitationNotFoundError(NotFoundError):
    def __init__(self, ref: object) -> None:
        super().__init__(f"邀评记录不存在: {ref}")


class NotInvitedError(ConflictError):
    def __init__(self) -> None:
        super().__init__("该服务未发出邀评,不能记录评价")


class AlreadyRatedError(ConflictError):
    def __init__(self) -> None:
        super().__init__("顾客已评价;只有挽回后再次邀评才能重新评价")


class RecoveryNotFoundError(NotFoundError):
    def __init__(self, recovery_id: int) -> None:
        super().__init__(f"差评挽回单不存在: {recovery_id}")


class RecoveryClosedError(ConflictError):
    def __init__(self) -> None:
        super().__init__("该挽回单已处理完毕")
