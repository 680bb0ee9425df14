from aftersales.kit.errors import AftersalesError, ConflictError, NotAuthenticatedError


class InvalidCredentialsError(NotAuthenticatedError):
    def __init__(self) -> None:
        super().__init__("用户名或密码错误")


class InvalidTokenError(NotAuthenticatedError):
    def __init__(self) -> None:
        super().__init__("未登录或登录已过期")


class UsernameTakenError(ConflictError):
    def __init__(self, username: str) -> None:
        super().__init__(f"用户名 {username} 已存在")


class LoginThrottledError(AftersalesError):
    """Too many wrong passwords for this user name from this address: wait, even with the right one."""

    status_code = 429

    def __init__(self, wait_seconds: int) -> None:
        super().__init__(f"密码错误次数过多,请 {max(1, -(-wait_seconds // 60))} 分钟后再试")
        self.wait_seconds = wait_seconds
