"""Detail-page panels: the one extension point through which a lower domain adds a card to a page
of a domain above it (orders, tickets, qc …), without that domain importing it.

A lower domain registers a ``Panel`` for a page name (``register_panel("order_detail", …)``) in its
``console`` module; the panel's ``url`` is a format string over the page's ids. The upper page
includes ``_panels.html`` with its ``page`` and ``ids`` (e.g. ticket detail passes ``ticket_id`` and
``order_id``); a panel whose URL needs an id the page lacks or has as ``None`` is skipped. Every
other panel becomes a placeholder card that loads from the lower domain's own console route (htmx
``load``, ``hx-swap="outerHTML"``), so the page's route and data stay untouched and a panel's failure
never breaks the page.

The route returns the whole card: ``render_panel`` (the card from ``_panel.html``, with the panel's
title and an optional ``tone`` — "warn" or "bad") or ``no_panel`` (an empty body, which removes the
card when the domain has nothing to say about that page).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from string import Formatter
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

TONES = ("", "warn", "bad")  # how loudly a card should read


@dataclass(frozen=True)
class Panel:
    title: str
    url: str  # a format string over the page's ids, e.g. "/console/x/panels/ticket/{ticket_id}"

    @property
    def needs(self) -> frozenset[str]:
        """The page ids the URL is formatted with."""
        return frozenset(name for _, name, _, _ in Formatter().parse(self.url) if name)

    def url_for(self, ids: Mapping[str, Any]) -> str | None:
        """The URL over the page's ``ids``, or ``None`` when one it needs is missing (no order …)."""
        if any(ids.get(name) is None for name in self.needs):
            return None
        return self.url.format(**ids)


@dataclass(frozen=True)
class PanelCard:
    """A registered panel placed on one page: what ``_panels.html`` renders as a placeholder."""

    title: str
    url: str


_registry: dict[str, list[Panel]] = {}


def register_panel(page: str, panel: Panel) -> None:
    """Add ``panel`` to ``page`` (e.g. "ticket_detail"); registering the same panel twice is a no-op."""
    panels = _registry.setdefault(page, [])
    if panel not in panels:
        panels.append(panel)


def panels_for(page: str) -> list[Panel]:
    return list(_registry.get(page, []))


def cards_for(page: str, ids: Mapping[str, Any]) -> list[PanelCard]:
    """The cards ``page`` shows for its ``ids``, in registration order (domain order)."""
    return [
        PanelCard(panel.title, url) for panel in panels_for(page) if (url := panel.url_for(ids)) is not None
    ]


def render_panel(
    request: Request, panel: Panel, template: str, *, tone: str = "", **context: Any
) -> HTMLResponse:
    """The whole card for ``panel``: ``template`` extends ``_panel.html`` and fills its ``body``."""
    from aftersales.web.render import render  # render's environment uses this module

    if tone not in TONES:
        raise ValueError(f"unknown panel tone: {tone!r}")
    return render(request, template, panel=panel, tone=tone, **context)


def no_panel() -> HTMLResponse:
    """Nothing to say: an empty body, which removes the placeholder card (``outerHTML`` swap)."""
    return HTMLResponse("")
