"""The ordered list of domain packages, and discovery of what each one contributes.

A domain joins the application by appearing in ``DOMAINS``; its optional modules are found by
name: ``models`` (tables), ``api`` (``router``), ``console`` (``router``), ``jobs`` (``@job``),
``cli`` (``app``, a Typer sub-command group), ``demo`` (``extend`` for the demo generator),
``handlers`` (domain event subscriptions). Order matters: a package imports only those above it.
"""

import importlib
import importlib.util
from functools import cache
from types import ModuleType

DOMAINS: tuple[str, ...] = (
    "jobs",
    "auth",
    "web",
    "audit",
    "catalog",
    "orders",
    "messaging",
    "tickets",
    "logistics",
    "returns",
    "connectors",
    "conversations",
    "qc",
    "reviews",
    "selfservice",
    "analytics",
)


@cache
def import_domain_modules(kind: str) -> tuple[ModuleType, ...]:
    modules = []
    for domain in DOMAINS:
        name = f"aftersales.{domain}.{kind}"
        if importlib.util.find_spec(name) is not None:
            modules.append(importlib.import_module(name))
    return tuple(modules)


def load_all_models() -> None:
    """Every table registered on ``Base.metadata`` (for Alembic and the test database)."""
    import_domain_modules("models")
    import_domain_modules("handlers")
