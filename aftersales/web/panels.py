"""Detail-page panels: an extension point through which a lower domain adds a card to a page of
a domain above it, without that domain importing it.

The upper page includes ``_panels.html`` with its page name and ids; each registered panel becomes
a card that loads its content from the lower domain's own console route (htmx ``load``), so the
page's route and data stay untouched and a panel's failure never breaks the page.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Panel:
    title: str
    url: str  # a format string over the page's ids, e.g. "/console/x/panels/ticket/{ticket_id}"


_registry: dict[str, list[Panel]] = {}


def register_panel(page: str, panel: Panel) -> None:
    """Add ``panel`` to ``page`` (e.g. "ticket_detail"); registering the same panel twice is a no-op."""
    panels = _registry.setdefault(page, [])
    if panel not in panels:
        panels.append(panel)


def panels_for(page: str) -> list[Panel]:
    return list(_registry.get(page, []))
