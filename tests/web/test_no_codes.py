"""Every console page, rendered over a small demo promotion, shows Chinese to its reader: no
English identifiers, no ``None``/``True``, no ISO timestamps and no internal codes in visible text.

Numbers a user pastes or reads off a parcel (SKU codes, tracking and order numbers, buyer accounts)
contain digits or capitals and are allowed; a lowercase ASCII word is a code unless listed below.
"""

import re
from datetime import date, datetime
from html.parser import HTMLParser

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.analytics.drill import KINDS as DRILL_KINDS
from aftersales.auth.models import Role
from aftersales.conversations.models import ChatSession
from aftersales.demo.generator import DemoConfig, generate
from aftersales.orders.models import Order
from aftersales.returns.aftercare_models import Appeal
from aftersales.returns.models import ReturnRequest
from aftersales.reviews.models import Review
from aftersales.tickets.models import Ticket, TicketStatus
from tests.security.routes import discover
from tests.web.test_console import log_in

# Words a Chinese team reads as words: product names, units and the platform's own terms.
ALLOWED_WORDS = {"aftersales", "webhook", "wifi", "app", "vip"}
SKIPPED = {
    "/console/login",
    "/console/returns/reshipments/new",
    "/console/analytics/report.pdf",
    "/console/analytics/report.xlsx",
}
SNAKE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
WORD = re.compile(r"(?<![A-Za-z0-9_.@/-])[a-z]{3,}(?![A-Za-z0-9_@/-])")
LITERALS = re.compile(r"\b(?:None|True|False|null)\b")
URL = re.compile(r"https?://\S+")
TEMPLATE_SYNTAX = re.compile(r"{{.*?}}|{%.*?%}")
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


HIDDEN = ("script", "style", "template", "metadata", "code", "pre", "textarea")


class VisibleText(HTMLParser):
    """The text a reader sees as prose: no tags, attributes, scripts, styles or SVG metadata, and not
    what a page deliberately shows as code (``<code>``: a template's code, a command line; ``<pre>``:
    a template's source an admin edits)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN:
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(parser.parts)


def codes_in(text: str) -> set[str]:
    text = TEMPLATE_SYNTAX.sub(" ", text)  # message templates shown as their authors write them
    text = URL.sub(" ", text)  # a link inside a message
    found = set(SNAKE.findall(text)) | set(LITERALS.findall(text)) | set(ISO_TIME.findall(text))
    return found | {w for w in WORD.findall(text) if w not in ALLOWED_WORDS}


def page_paths(app: FastAPI, session: Session) -> list[str]:
    """Every console GET page, with path parameters filled from the demo's rows."""
    ids = {
        "order_id": session.scalar(select(Order.id).order_by(Order.id)),
        "ticket_id": session.scalar(
            select(Ticket.id)
            .where(Ticket.status == TicketStatus.RESOLVED, Ticket.order_id.is_not(None))
            .order_by(Ticket.id)
        ),
        "return_id": session.scalar(select(ReturnRequest.id).order_by(ReturnRequest.id)),
        "appeal_id": session.scalar(select(Appeal.id).order_by(Appeal.id)),
        "review_id": session.scalar(select(Review.id).order_by(Review.id)),
        "session_id": session.scalar(select(ChatSession.id).order_by(ChatSession.id)),
    }
    paths = []
    for route in discover(app):
        if route.method != "GET" or not route.path.startswith("/console") or route.path in SKIPPED:
            continue
        if "{kind}" in route.path:
            paths += [route.path.replace("{kind}", kind) for kind in DRILL_KINDS]
            continue
        names = re.findall(r"{(\w+)}", route.path)
        if all(ids.get(name) for name in names):
            paths.append(re.sub(r"{(\w+)}", lambda m: str(ids[m.group(1)]), route.path))
    paths.append(f"/console/returns/reshipments/new?ticket_id={ids['ticket_id']}")
    return paths


@pytest.fixture
def demo(session: Session) -> None:
    generate(
        DemoConfig.build(seed=5, orders=400, peak_day=date(2026, 11, 11), as_of=datetime(2026, 11, 20, 20))
    )


@pytest.mark.usefixtures("demo")
def test_no_console_page_shows_codes_english_or_raw_values(
    app: FastAPI, client: TestClient, session: Session
) -> None:
    log_in(client, session, Role.ADMIN)
    scope = "start=2026-11-01&end=2026-11-20"
    found: dict[str, set[str]] = {}
    for path in page_paths(app, session):
        url = f"{path}?{scope}" if path.startswith("/console/analytics") else path
        response = client.get(url)
        assert response.status_code == 200, (url, response.text[:300])
        codes = codes_in(visible_text(response.text))
        if codes:
            found[url] = codes
    assert found == {}
