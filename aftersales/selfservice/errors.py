"""Errors of the portal, the bot and quick replies; each maps to an HTTP status and a Chinese message."""

from aftersales.kit.errors import (
    AftersalesError,
    ConflictError,
    InvalidInputError,
    NotAuthenticatedError,
    NotFoundError,
)


class PortalLinkInvalidError(NotAuthenticatedError):
    def __init__(self, message: str = "链接无效或已过期,请用订单号和手机号重新进入") -> None:
        super().__init__(message)


class PortalLoginError(AftersalesError):
    """Order number and phone do not match, or the code is wrong; never says which."""

    status_code = 400


class PortalLockedError(AftersalesError):
    status_code = 429


class CodeThrottledError(AftersalesError):
    status_code = 429


class UploadRejectedError(AftersalesError):
    status_code = 422


class RequestNotAllowedError(ConflictError):
    """The order's state does not allow this request (e.g. address change after shipping)."""


class PortalRequestNotFoundError(NotFoundError):
    def __init__(self) -> None:
        super().__init__("售后申请不存在")


class InvoiceNotFoundError(NotFoundError):
    def __init__(self) -> None:
        super().__init__("发票不存在")


class QuickReplyNotFoundError(NotFoundError):
    def __init__(self) -> None:
        super().__init__("快捷话术不存在")


class ShortcutTakenError(ConflictError):
    def __init__(self, shortcut: str) -> None:
        super().__init__(f"快捷键 /{shortcut} 已被占用")


class KnowledgeNotFoundError(NotFoundError):
    def __init__(self) -> None:
        super().__init__("知识条目不存在")


class KnowledgeEditConflictError(ConflictError):
    """Someone saved the article after this editor opened it: saving would silently drop their text."""

    def __init__(self, current: int) -> None:
        super().__init__(f"该条目已被他人修改(当前为第 {current} 版),请刷新后再保存")


class SurveyAnswersInvalidError(InvalidInputError):
    """Answers that leave a required question open or out of range; ``errors`` maps each form
    field (``q<question id>``) to a Chinese reason that names the question."""

    def __init__(self, errors: dict[str, str]) -> None:
        field = next(iter(errors))
        super().__init__(field, ";".join(errors.values()))
        self.errors = errors


class SurveyNotFoundError(NotFoundError):
    def __init__(self) -> None:
        super().__init__("问卷不存在")
