"""What analyses return: tables (for the page, the PDF and Excel alike) and the inputs they missed."""

from dataclasses import dataclass, field
from typing import Any


@dataclass
class DataTable:
    """One table of an analysis. ``links[r][c]`` is a drill-down URL for that cell, or ``None``."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    links: dict[tuple[int, int], str] = field(default_factory=dict)
    note: str = ""

    def link(self, row: int, column: int) -> str | None:
        return self.links.get((row, column))


@dataclass
class Analysis:
    """Tables, charts (SVG text), sentences and the missing inputs of one analysis."""

    key: str
    title: str
    tables: list[DataTable] = field(default_factory=list)
    charts: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    # 归因及提升 (复盘 sections): the causes found in the data, as sentences, and the proposed
    # action, derived from them until a lead edits it (``edited``).
    causes: list[str] = field(default_factory=list)
    action: str = ""
    edited: bool = False


def rate(part: float | None, whole: float | None) -> float | None:
    """``part / whole``, or ``None`` when there is nothing to divide by (shown as 「—」, never 0%)."""
    if not whole or part is None:
        return None
    return part / whole


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.{digits}f}"
