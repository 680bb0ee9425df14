"""Photo uploads: size and type checks by magic bytes (never by the file name), stored on disk.

Files go under ``AFTERSALES_SELFSERVICE_UPLOAD_DIR`` with a random name and the extension of the
detected type, so a file called ``a.jpg`` that is really HTML is refused and nothing the customer
names ever becomes a path.
"""

import hashlib
import uuid
from pathlib import Path

from sqlalchemy.orm import Session

from aftersales.kit.images import sniff_image
from aftersales.kit.time import utcnow
from aftersales.selfservice.errors import UploadRejectedError
from aftersales.selfservice.models import PortalUpload
from aftersales.selfservice.settings import get_selfservice_settings

ACCEPTED = "JPG、PNG、WebP、HEIC"


def check_image(data: bytes, filename: str | None) -> tuple[str, str]:
    settings = get_selfservice_settings()
    name = filename or "图片"
    if not data:
        raise UploadRejectedError(f"{name}: 文件为空")
    if len(data) > settings.upload_max_bytes:
        limit = settings.upload_max_bytes / 1024 / 1024
        raise UploadRejectedError(f"{name}: 图片超过 {limit:.0f} MB")
    kind = sniff_image(data)
    if kind is None:
        raise UploadRejectedError(f"{name}: 不是有效的图片(仅支持 {ACCEPTED})")
    return kind


def upload_path(stored_name: str) -> Path:
    return get_selfservice_settings().upload_dir / stored_name


def store_upload(session: Session, *, order_id: int, data: bytes, filename: str | None) -> PortalUpload:
    """Check, write to disk, record. A rolled-back request leaves an orphan file, never a dangling row."""
    content_type, extension = check_image(data, filename)
    now = utcnow()
    stored_name = f"{now:%Y%m}/{uuid.uuid4().hex}.{extension}"
    path = upload_path(stored_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".part")
    temporary.write_bytes(data)
    temporary.replace(path)
    upload = PortalUpload(
        order_id=order_id,
        stored_name=stored_name,
        original_name=(filename or "")[:255] or None,
        content_type=content_type,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        created_at=now,
    )
    session.add(upload)
    session.flush()
    return upload


def check_batch(files: list[tuple[bytes, str | None]]) -> None:
    """Every file of a form is checked before any is written."""
    limit = get_selfservice_settings().upload_max_files
    if len(files) > limit:
        raise UploadRejectedError(f"最多上传 {limit} 张图片")
    for data, name in files:
        check_image(data, name)
