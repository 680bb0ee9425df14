from aftersales.kit.errors import AftersalesError, NotFoundError


class ChatSessionNotFoundError(NotFoundError):
    def __init__(self, session_id: int | str) -> None:
        super().__init__(f"会话 {session_id} 不存在")


class ShopPlatformMismatchError(AftersalesError):
    status_code = 422

    def __init__(self, shop: str, platform: str) -> None:
        super().__init__(f"platform: 店铺 {shop} 不在平台 {platform} 上")
