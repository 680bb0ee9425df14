"""Events the logistics domain publishes (returns reacts to them)."""

from dataclasses import dataclass

from aftersales.kit.events import DomainEvent


@dataclass(frozen=True)
class InterceptResolved(DomainEvent):
    """The courier answered an interception (accepted, returned or failed); ``request_id`` is
    the refund request behind it, if any."""

    order_id: int
    request_id: int | None
    intercept_id: int
    status: str
