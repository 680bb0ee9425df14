"""Links a message may carry to pages a domain above messaging serves (the buyer portal's invoice
and survey pages). That domain registers how to build them, as a lower domain registers a panel,
so messaging never imports it; with no builder registered the variable is empty and a text that
prints it is held (待处理), never sent with a dead link."""

from collections.abc import Callable

LINK_VARIABLES = ("invoice_link", "survey_link")
_builders: dict[str, Callable[[int], str]] = {}


def register_link(name: str, build: Callable[[int], str]) -> None:
    """``build(order_id)`` returns the absolute URL of the order's page."""
    if name not in LINK_VARIABLES:
        raise ValueError(f"unknown link variable: {name}")
    _builders[name] = build


def link(name: str, order_id: int) -> str:
    build = _builders.get(name)
    return build(order_id) if build is not None else ""
