"""Analytics' domain errors."""

from aftersales.kit.errors import InvalidInputError


class UnknownMetricError(InvalidInputError):
    def __init__(self, metric: str) -> None:
        super().__init__("metric", f"未知指标 {metric}")
