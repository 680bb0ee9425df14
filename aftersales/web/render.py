"""Jinja2 rendering for console pages, shared by every domain's ``console.py``."""

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, FileSystemLoader
from markupsafe import Markup, escape

from aftersales.auth.models import Role
from aftersales.auth.schemas import UserRead
from aftersales.kit.time import format_local
from aftersales.registry import DOMAINS, import_domain_modules
from aftersales.web.csrf import add_token_to_forms, request_token
from aftersales.web.filters import export_link, page_link
from aftersales.web.panels import cards_for

PACKAGE_DIR = Path(__file__).resolve().parent.parent


# The navigation's groups, in the order of a day's work.
NAV_GROUPS = ("工单", "物流", "售后", "质检", "评价", "数据", "设置")


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    min_role: Role = Role.AGENT
    group: str = "设置"  # one of NAV_GROUPS


_IDENTIFIER = re.compile(r"\b[a-z][a-z_]*\b")


def identifiers_as_code(text: str) -> Markup:
    """``每项有 title、quantity`` with each template field name set as code, not as prose."""
    return Markup(_IDENTIFIER.sub(lambda m: f"<code>{m.group(0)}</code>", str(escape(text))))


def yuan(fen: int | None) -> str:
    """``¥1,234.50``; a negative amount (a discount or refund line) is ``-¥200.00``, as printed."""
    if fen is None:
        return ""
    return f"{'-' if fen < 0 else ''}¥{abs(fen) / 100:,.2f}"


@cache
def templates() -> Jinja2Templates:
    dirs = [PACKAGE_DIR / "web" / "templates"] + [PACKAGE_DIR / d / "templates" for d in DOMAINS]
    env_templates = Jinja2Templates(directory=str(dirs[0]))
    env_templates.env.loader = ChoiceLoader([FileSystemLoader(str(d)) for d in dirs if d.is_dir()])
    env_templates.env.filters["local"] = format_local
    env_templates.env.filters["yuan"] = yuan
    env_templates.env.filters["identifiers_as_code"] = identifiers_as_code
    env_templates.env.globals["panel_cards"] = cards_for
    env_templates.env.globals["page_link"] = page_link
    env_templates.env.globals["export_link"] = export_link
    return env_templates


def nav_for(user: UserRead | None) -> list[tuple[str, list[NavItem]]]:
    """The user's pages by group (工单, 物流 …); a group with no page for the role is left out."""
    if user is None:
        return []
    items: list[NavItem] = []
    for module in import_domain_modules("console"):
        items += [item for item in getattr(module, "NAV", []) if user.role.at_least(item.min_role)]
    grouped = [(group, [item for item in items if item.group == group]) for group in NAV_GROUPS]
    return [(group, members) for group, members in grouped if members]


def render_page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """Any HTML page (console or portal): its POST forms and htmx requests carry the CSRF token."""
    token = request_token(request)
    context = {"csrf_token": token, **context}
    response = templates().TemplateResponse(request, name, context, status_code=status_code)
    return add_token_to_forms(response, token)


def current_href(nav: list[tuple[str, list[NavItem]]], path: str) -> str | None:
    """The navigation item this page belongs to: the longest ``href`` the path starts with, so
    /console/orders/import marks 导入订单, not 订单查询 as well."""
    matching = [item.href for _group, items in nav for item in items if path.startswith(item.href)]
    return max(matching, key=len, default=None)


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    user = getattr(request.state, "user", None)
    nav = nav_for(user)
    context = {"user": user, "nav": nav, "current_href": current_href(nav, request.url.path), **context}
    return render_page(request, name, context, status_code)


def render_error(request: Request, status_code: int, detail: str) -> HTMLResponse:
    return render(request, "error.html", status_code=status_code, status=status_code, detail=detail)
