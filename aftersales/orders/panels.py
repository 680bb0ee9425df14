"""Order panels: what lower domains show on the pages about one order (order detail, ticket detail).

orders and tickets sit above logistics, returns and the rest in ``registry.DOMAINS``, so they cannot
import them. Instead a domain's ``console`` module lists builders in ``ORDER_PANELS``; each takes
the session, the order id and the reader and returns a panel (its own template and context) or
``None`` when it has nothing to say about that order. The pages render whatever comes back.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from aftersales.auth.models import User
from aftersales.registry import import_domain_modules


@dataclass(frozen=True)
class OrderPanel:
    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    tone: str = ""  # "" | "warn" | "bad": how loudly the panel should read


PanelBuilder = Callable[[Session, int, User], OrderPanel | None]


def order_panels(session: Session, *, order_id: int, user: User) -> list[OrderPanel]:
    panels = []
    for module in import_domain_modules("console"):
        builders: list[PanelBuilder] = getattr(module, "ORDER_PANELS", [])
        panels += [panel for build in builders if (panel := build(session, order_id, user)) is not None]
    return panels
