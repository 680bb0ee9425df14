"""Server-rendered SVG charts (matplotlib, Agg) with a CJK font, for the console, the PDF and Excel.

SVG text is kept as text (``svg.fonttype = none``) so the browser and WeasyPrint draw the Chinese
labels with the installed Noto Sans CJK; no JavaScript charting library and no CDN.
"""

import io
from collections.abc import Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "WenQuanYi Zen Hei", "SimHei", "DejaVu Sans")
PALETTE = ("#2563eb", "#f97316", "#16a34a", "#dc2626", "#7c3aed", "#0891b2")


@cache
def _pyplot() -> Any:
    """pyplot on the Agg backend with the Noto CJK faces registered (without them Chinese labels
    render as boxes). Imported with the first chart: matplotlib costs every process half a second
    at start otherwise."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    for path in font_manager.findSystemFonts():
        if "NotoSansCJK" in path or "wqy" in path.lower():
            font_manager.fontManager.addfont(path)
    plt.rcParams["font.sans-serif"] = list(CJK_FONTS)
    plt.rcParams["font.family"] = "sans-serif"
    plt.rcParams["axes.unicode_minus"] = False
    plt.rcParams["svg.fonttype"] = "none"
    return plt


def _svg(figure: "Figure") -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    _pyplot().close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _figure(title: str) -> tuple["Figure", "Axes"]:
    figure, axes = _pyplot().subplots(figsize=(8, 3.2), dpi=100)
    axes.set_title(title, fontsize=11)
    axes.grid(axis="y", alpha=0.3)
    axes.spines[["top", "right"]].set_visible(False)
    return figure, axes


def line_chart(title: str, labels: Sequence[str], series: Mapping[str, Sequence[float | None]]) -> str:
    figure, axes = _figure(title)
    positions = range(len(labels))
    for (name, values), color in zip(series.items(), PALETTE, strict=False):
        axes.plot(
            positions, [float("nan") if v is None else v for v in values], label=name, color=color, lw=1.6
        )
    _ticks(axes, labels)
    if len(series) > 1:
        axes.legend(fontsize=8, frameon=False)
    return _svg(figure)


def band_chart(
    title: str,
    labels: Sequence[str],
    actual: Sequence[float | None],
    mean: Sequence[float | None],
    lower: Sequence[float | None],
    upper: Sequence[float | None],
) -> str:
    """History and forecast with its prediction interval shaded."""
    figure, axes = _figure(title)
    positions = list(range(len(labels)))
    nan = float("nan")
    axes.plot(positions, [nan if v is None else v for v in actual], color=PALETTE[0], lw=1.4, label="实际")
    axes.plot(positions, [nan if v is None else v for v in mean], color=PALETTE[1], lw=1.4, label="预测")
    axes.fill_between(
        positions,
        [nan if v is None else v for v in lower],
        [nan if v is None else v for v in upper],
        color=PALETTE[1],
        alpha=0.2,
        label="预测区间",
    )
    _ticks(axes, labels)
    axes.legend(fontsize=8, frameon=False)
    return _svg(figure)


def bar_chart(title: str, labels: Sequence[str], values: Sequence[float], *, horizontal: bool = False) -> str:
    figure, axes = _figure(title)
    if horizontal:
        axes.barh(list(labels)[::-1], list(values)[::-1], color=PALETTE[0])
        axes.grid(axis="x", alpha=0.3)
    else:
        axes.bar(range(len(labels)), values, color=PALETTE[0])
        _ticks(axes, labels)
    return _svg(figure)


def _ticks(axes: "Axes", labels: Sequence[str], most: int = 14) -> None:
    step = max(1, len(labels) // most)
    axes.set_xticks(range(0, len(labels), step))
    axes.set_xticklabels(
        [labels[i] for i in range(0, len(labels), step)], rotation=30, ha="right", fontsize=8
    )
