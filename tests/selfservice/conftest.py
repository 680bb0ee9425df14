from collections.abc import Iterator
from pathlib import Path

import pytest

from aftersales.selfservice.settings import get_selfservice_settings


@pytest.fixture(autouse=True)
def upload_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Uploads of each test go to its own directory."""
    directory = tmp_path / "uploads"
    monkeypatch.setenv("AFTERSALES_SELFSERVICE_UPLOAD_DIR", str(directory))
    get_selfservice_settings.cache_clear()
    yield directory
    get_selfservice_settings.cache_clear()
