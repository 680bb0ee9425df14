"""Spreadsheets uploaded in the console, kept between the preview and the import.

The preview step runs the import as a dry run and rolls it back; the confirm step imports the
same file, which a browser cannot send a second time. So the upload is kept under a random name
that embeds the uploader's id (another user's token finds nothing) and removed once imported;
leftovers of abandoned previews are swept after a day.
"""

import re
import secrets
import time
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from aftersales.config import get_settings
from aftersales.kit.errors import InvalidInputError
from aftersales.kit.tables import read_table

SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx")
PREVIEW_ROWS = 8
_TOKEN = re.compile(r"^[0-9a-f]{32}$")
_STALE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class KeptFile:
    token: str
    name: str
    path: Path


@dataclass(frozen=True)
class Preview:
    headers: list[str]
    rows: list[dict[str, Any]]
    total: int | None


def _dir() -> Path:
    directory = get_settings().upload_dir
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def keep_upload(*, user_id: int, filename: str, data: bytes) -> KeptFile:
    """Store an uploaded sheet; refuses other file kinds and empty files by the ``file`` field."""
    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise InvalidInputError("file", "只支持 CSV、TSV 或 XLSX 文件")
    if not data:
        raise InvalidInputError("file", "文件为空")
    _sweep()
    token = secrets.token_hex(16)
    path = _dir() / f"{user_id}-{token}{suffix}"
    path.write_bytes(data)
    return KeptFile(token, Path(filename).name, path)


def kept_file(*, user_id: int, token: str, name: str) -> KeptFile:
    """The upload behind ``token``, only for the user who uploaded it."""
    if _TOKEN.match(token):
        for path in _dir().glob(f"{user_id}-{token}.*"):
            return KeptFile(token, name, path)
    raise InvalidInputError("token", "上传的文件已过期或不存在,请重新选择文件")


def discard(kept: KeptFile) -> None:
    kept.path.unlink(missing_ok=True)


def preview(kept: KeptFile, *, header: bool = True) -> Preview:
    """The header row and the first rows, as the file has them (before any mapping)."""
    table = read_table(kept.path, header=header)
    return Preview(table.headers, [row for _n, row in islice(table.rows, PREVIEW_ROWS)], table.total)


def _sweep() -> None:
    """Remove uploads whose preview was never confirmed."""
    cutoff = time.time() - _STALE_SECONDS
    for path in _dir().glob("*-*.*"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
