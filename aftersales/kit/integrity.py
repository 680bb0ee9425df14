"""Reading a database's integrity error: was a foreign key broken, and on which column.

``kit.refs.require_refs`` checks ids before they reach a foreign key; this is the safety net for
paths that do not, so a missing reference is still a 422 naming the field.
"""

import re

from sqlalchemy.exc import IntegrityError

_FK_SQLSTATE = "23503"
_KEY_DETAIL = re.compile(r"Key \(([^)]+)\)=")


def is_foreign_key_violation(exc: IntegrityError) -> bool:
    if getattr(exc.orig, "sqlstate", None) == _FK_SQLSTATE:  # PostgreSQL (psycopg)
        return True
    return "FOREIGN KEY constraint failed" in str(exc.orig)  # SQLite names neither key nor column


def foreign_key_field(exc: IntegrityError) -> str | None:
    """The column PostgreSQL names in its detail (``Key (ticket_id)=(999999) is not present…``)."""
    detail = getattr(getattr(exc.orig, "diag", None), "message_detail", None) or ""
    match = _KEY_DETAIL.search(detail)
    return match.group(1) if match else None
