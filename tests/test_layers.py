"""The layer order lives in one place: ``registry.DOMAINS``. The import-linter contract that
``make lint`` checks must list the same packages in the same order (top first, kit at the bottom),
so a domain added or moved in the registry cannot escape the check."""

import tomllib
from pathlib import Path

from aftersales.registry import DOMAINS

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_the_import_contract_lists_the_registry_order() -> None:
    config = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]
    (contract,) = [c for c in config["contracts"] if c["type"] == "layers"]
    expected = [f"aftersales.{name}" for name in reversed(DOMAINS)] + ["aftersales.kit"]
    assert contract["layers"] == expected
