from aftersales.kit.errors import NotFoundError


class OrderNotFoundError(NotFoundError):
    def __init__(self, ref: object) -> None:
        super().__init__(f"订单不存在: {ref}")
