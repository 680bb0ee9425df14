from aftersales.kit.errors import ConflictError, NotFoundError


class FindingNotFoundError(NotFoundError):
    def __init__(self, finding_id: int) -> None:
        super().__init__(f"质检结果 {finding_id} 不存在")


class AlertNotFoundError(NotFoundError):
    def __init__(self, alert_id: int) -> None:
        super().__init__(f"告警 {alert_id} 不存在")


class AlertTransitionError(ConflictError):
    def __init__(self, current: str, action: str) -> None:
        super().__init__(f"告警当前为「{current}」,不能{action}")


class UnknownCheckpointError(NotFoundError):
    def __init__(self, code: str) -> None:
        super().__init__(f"质检点 {code} 不存在")


class NotOverruledError(ConflictError):
    def __init__(self) -> None:
        super().__init__("复核结论与当前结论相同,无需改判")
