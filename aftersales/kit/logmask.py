"""Mobile numbers never reach the logs whole: request paths (``/api/orders?q=138…``), SQL
parameters and error messages are masked (``138****5678``) when each log record is created.

Installed as a log-record factory, so it covers every logger (uvicorn's access log, Celery,
SQLAlchemy echo) without knowing their handlers. Arguments are masked in place, keeping their
positions: formatters such as uvicorn's access formatter unpack ``record.args``.
"""

import logging
import re
from typing import Any

_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_installed = False


def mask_mobiles(text: str) -> str:
    return _MOBILE.sub(r"\1****\2", text)


def _mask(value: Any) -> Any:
    return mask_mobiles(value) if isinstance(value, str) else value


def _collapse_if_still_visible(record: logging.LogRecord) -> None:
    """Objects formatted with %s (httpx URLs, exceptions) can still carry a number: then the
    record keeps only its masked, formatted message."""
    try:
        message = record.getMessage()
    except Exception:  # a malformed record is the logging module's to report, not ours
        return
    if _MOBILE.search(message):
        record.msg = mask_mobiles(message)
        record.args = None


def install() -> None:
    """Idempotent: wraps the current record factory once per process."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.msg = _mask(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_mask(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _mask(v) for k, v in record.args.items()}
        _collapse_if_still_visible(record)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
