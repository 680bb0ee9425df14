from aftersales.kit.errors import AftersalesError, ConflictError, InvalidInputError, NotFoundError


class ChatSessionNotFoundError(NotFoundError):
    def __init__(self, session_id: int | str) -> None:
        super().__init__(f"会话 {session_id} 不存在")


class ShopPlatformMismatchError(AftersalesError):
    status_code = 422

    def __init__(self, shop: str, platform: str) -> None:
        super().__init__(f"platform: 店铺 {shop} 不在平台 {platform} 上")


class SkuNotInShopError(InvalidInputError):
    def __init__(self, sku_code: str) -> None:
        super().__init__("sku_code", f"该会话的店铺没有商品 {sku_code}")


class OrderNotUnpaidError(ConflictError):
    """跟单 is for orders still waiting for payment: a paid or closed one has nothing to recover."""

    def __init__(self, order_no: str) -> None:
        super().__init__(f"订单 {order_no} 不是待付款状态,无需跟单")
