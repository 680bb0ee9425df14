"""Customers' data never reaches the logs: mobile numbers are masked (``138****5678``), query
string values in request lines (``/api/orders?q=…``: a searched phone, name or address) are
replaced unless plainly harmless (``page=2``, ``status=open``), and the SQL parameters and failing
rows that database errors quote are dropped, in messages and in the tracebacks of 500s.

Installed as a log-record factory, so it covers every logger (uvicorn's access log, Celery,
SQLAlchemy echo) without knowing their handlers. Arguments are masked in place, keeping their
positions: formatters such as uvicorn's access formatter unpack ``record.args``. A traceback is
formatted and masked when the record is created, and the formatter reuses that text.
"""

import logging
import re
from typing import Any

_MOBILE = re.compile(r"(?<!\d)((?:\+?86)?1[3-9]\d)\d{4}(\d{4})(?!\d)")
_QUERY_PAIR = re.compile(r"([?&][^=&\s#\"?]+=)([^&\s#\"]*)")
_HARMLESS_VALUE = re.compile(r"[A-Za-z_\-]{0,32}|\d{1,6}|\d{4}-\d{2}-\d{2}")
# SQLAlchemy: "[parameters: (...)]" before "(Background on this error…"; psycopg's DETAIL lines.
_SQL_PARAMETERS = re.compile(r"\[parameters: .*?\](?=\s*(?:\(Background on this error|$))", re.S)
_FAILING_ROW = re.compile(r"(Failing row contains |Key \([^)]*\)=)\(.*?\)(?=\.?\s*$)", re.M)
_formatter = logging.Formatter()
_installed = False


def mask_mobiles(text: str) -> str:
    return _MOBILE.sub(r"\1****\2", text)


def _mask_query_value(match: re.Match[str]) -> str:
    value = match.group(2)
    return match.group(0) if _HARMLESS_VALUE.fullmatch(value) else match.group(1) + "***"


def mask_text(text: str) -> str:
    """Every masking rule applied to one piece of log text."""
    text = _SQL_PARAMETERS.sub("[parameters: hidden]", text)
    text = _FAILING_ROW.sub(r"\1(hidden)", text)
    text = _QUERY_PAIR.sub(_mask_query_value, text)
    return mask_mobiles(text)


def _mask(value: Any) -> Any:
    return mask_text(value) if isinstance(value, str) else value


def _needs_masking(text: str) -> bool:
    return mask_text(text) != text


def _collapse_if_still_visible(record: logging.LogRecord) -> None:
    """Objects formatted with %s (httpx URLs, exceptions) can still carry customer data: then
    the record keeps only its masked, formatted message."""
    try:
        message = record.getMessage()
    except Exception:  # a malformed record is the logging module's to report, not ours
        return
    if _needs_masking(message):
        record.msg = mask_text(message)
        record.args = None


def _mask_traceback(record: logging.LogRecord) -> None:
    if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
        record.exc_text = mask_text(_formatter.formatException(record.exc_info))


def install() -> None:
    """Idempotent: wraps the current record factory once per process."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if not record.args:  # with arguments, msg is a format string: checked once formatted
            record.msg = _mask(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_mask(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _mask(v) for k, v in record.args.items()}
        _collapse_if_still_visible(record)
        _mask_traceback(record)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
