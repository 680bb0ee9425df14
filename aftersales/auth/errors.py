from aftersales.kit.errors import ConflictError, NotAuthenticatedError


class InvalidCredentialsError(NotAuthenticatedError):
    def __init__(self) -> None:
        super().__init__("用户名或密码错误")


class InvalidTokenError(NotAuthenticatedError):
    def __init__(self) -> None:
        super().__init__("未登录或登录已过期")


class UsernameTakenError(ConflictError):
    def __init__(self, username: str) -> None:
        super().__init__(f"用户名 {username} 已存在")
