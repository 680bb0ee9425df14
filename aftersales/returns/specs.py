"""Equal-or-better replacement for a discontinued model (seed 004 五: 更换性能≥原型号的产品).

A spec whose value is a performance quantity (storage, resolution, battery, runtime, power) must
be at least the original's; every other spec (size, material, colour) must be identical, because
a bigger bed or another fabric is a different product, not a better one.
"""

import re
from collections.abc import Iterable
from typing import Any

from aftersales.catalog.models import Sku

_QUANTITY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z小时]+)\s*$")
# unit -> (family, factor to the family's base unit)
_UNITS: dict[str, tuple[str, float]] = {
    "m": ("storage", 1 / 1024),
    "mb": ("storage", 1 / 1024),
    "g": ("storage", 1),
    "gb": ("storage", 1),
    "t": ("storage", 1024),
    "tb": ("storage", 1024),
    "p": ("resolution", 1),
    "k": ("resolution", 720),
    "mah": ("battery", 1),
    "h": ("runtime", 1),
    "小时": ("runtime", 1),
    "w": ("power", 1),
}


def quantity(value: Any) -> tuple[str, float] | None:
    """``"512G"`` -> ("storage", 512.0); ``"2K"`` -> ("resolution", 1440.0); text -> None."""
    match = _QUANTITY.match(str(value))
    if not match:
        return None
    unit = _UNITS.get(match.group(2).lower())
    if unit is None:
        return None
    family, factor = unit
    return family, float(match.group(1)) * factor


def at_least(candidate: dict[str, Any], original: dict[str, Any]) -> bool:
    """True when every spec of the original is matched or bettered by the candidate."""
    for key, wanted in original.items():
        if key not in candidate:
            return False
        mine, theirs = quantity(candidate[key]), quantity(wanted)
        if mine is not None and theirs is not None and mine[0] == theirs[0]:
            if mine[1] < theirs[1]:
                return False
        elif str(candidate[key]).strip() != str(wanted).strip():
            return False
    return True


def available(sku: Sku) -> bool:
    return sku.is_active and not sku.is_discontinued


def choose_replacement(original: Sku, candidates: Iterable[Sku]) -> Sku | None:
    """The cheapest available SKU of the same category whose specs are equal or better."""
    fitting = [
        sku
        for sku in candidates
        if sku.id != original.id
        and available(sku)
        and sku.category == original.category
        and at_least(sku.specs or {}, original.specs or {})
    ]
    fitting.sort(key=lambda sku: (sku.price_fen < original.price_fen, sku.price_fen, sku.id))
    return fitting[0] if fitting else None
