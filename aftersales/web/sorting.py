"""Sorting a console list: the orders a page offers, by key, each an ``ORDER BY``.

The chosen key travels as the ``sort`` query parameter beside the filters, so the URL keeps it,
the pager's links carry it and an export lists rows in the same order. No key: the page's own
default order (the repository's). A key the page does not offer is a Chinese 422 on ``sort``.
"""

from dataclasses import dataclass
from typing import Any, TypeVar

from aftersales.kit.errors import InvalidInputError
from aftersales.kit.pagination import AnySelect

S = TypeVar("S", bound=AnySelect)


@dataclass(frozen=True)
class SortChoice:
    label: str
    order: tuple[Any, ...]
    """ORDER BY expressions: columns, ``column.desc()``, …"""


def sorted_by(statement: S, choices: dict[str, SortChoice], key: str | None) -> S:
    """``statement`` in the order of ``choices[key]``; unchanged without a key."""
    if not key:
        return statement
    if key not in choices:
        raise InvalidInputError("sort", "不是可选的排序方式")
    return statement.order_by(None).order_by(*choices[key].order)
