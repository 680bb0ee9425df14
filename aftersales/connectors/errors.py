from aftersales.kit.errors import AftersalesError, NotFoundError


class ConnectorNotFoundError(NotFoundError):
    def __init__(self, provider: str, shop_code: str | None = None) -> None:
        where = f"店铺 {shop_code} 的" if shop_code else "全局"
        super().__init__(f"没有{where} {provider} 连接")


class ProviderError(AftersalesError):
    """The provider refused or could not be reached; ``retry`` says whether trying later may help.

    The message never carries credentials: it holds the provider's code and text only.
    """

    status_code = 502

    def __init__(self, message: str, *, code: str = "", retry: bool = True) -> None:
        super().__init__(message)
        self.code = code
        self.retry = retry


class CredentialsUnreadableError(ProviderError):
    """A ``ProviderError`` so that every caller that handles a provider failing handles this too
    (the job goes on with other accounts, the outbox retries later)."""

    status_code = 409

    def __init__(self) -> None:
        super().__init__("连接凭证无法解密(密钥 AFTERSALES_SECRET_KEY 已更换?),请重新录入凭证", retry=False)
