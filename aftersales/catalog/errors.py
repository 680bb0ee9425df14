from aftersales.kit.errors import ConflictError, NotFoundError


class ShopNotFoundError(NotFoundError):
    def __init__(self, ref: object) -> None:
        super().__init__(f"店铺不存在: {ref}")


class DuplicateShopError(ConflictError):
    def __init__(self, code: str) -> None:
        super().__init__(f"店铺编码 {code} 已存在")


class DuplicateSkuError(ConflictError):
    def __init__(self, code: str) -> None:
        super().__init__(f"SKU 编码 {code} 在该店铺已存在")
