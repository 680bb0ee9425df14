"""The one settings object. Nothing else in the code base reads ``os.environ``."""

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Published in the source: anything signed with it (portal links, console cookies' CSRF tokens,
# webhooks) can be forged by anyone, so only the test suite may run with it.
PUBLIC_DEFAULT_SECRET_KEY = "dev-only-secret-change-me"


class InsecureSecretKeyError(RuntimeError):
    """Raised at start-up instead of serving with a key everybody knows."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AFTERSALES_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///aftersales.db"
    # "test" alone may run with the public default key (the suite signs and checks with it).
    mode: Literal["production", "test"] = "production"
    secret_key: str = Field(
        default=PUBLIC_DEFAULT_SECRET_KEY,
        description="Signs console cookies, portal links and outbound webhooks.",
    )
    # Where `aftersales secret-key` (run by `aftersales demo`) keeps a generated key; git-ignored.
    secret_key_file: Path = Path("var/secret_key")
    timezone: str = "Asia/Shanghai"
    token_ttl_hours: int = 24 * 14
    # How long a process keeps a verified bearer token (``auth.tokens``): a revocation, a
    # deactivated user or a new role reaches the other processes within this time; 0 = never kept.
    token_cache_seconds: float = Field(default=5.0, ge=0, le=60)
    # "inline": jobs run in-process from the durable jobs table; "celery": a broker carries job ids.
    job_backend: Literal["inline", "celery"] = "inline"
    broker_url: str = "redis://127.0.0.1:6379/0"
    outbox_max_attempts: int = 8
    # Shards of the daily logistics sweep (shipment id ranges run as separate jobs); 1 = one job.
    logistics_scan_shards: int = Field(default=1, ge=1, le=256)
    webhook_timeout_seconds: float = 5.0
    # Where the console is reached from outside: links back to a ticket and photo links in group cards.
    public_base_url: str = "http://127.0.0.1:8000"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_sender: str = "aftersales@localhost"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    # Where the local platform-IM and SMS providers record what they "sent" (no real gateway).
    outbound_record_dir: str | None = None
    # Spreadsheets uploaded in the console wait here between their preview and their import.
    upload_dir: Path = Path("var/uploads/imports")
    # Roles whose pages and API reads show whole phone numbers and addresses. None by default: a
    # whole number is one audited step away for everyone (the order page's 查看完整信息, or an
    # admin's audited export), so every look at it leaves an audit entry.
    pii_unmasked_roles: list[str] = Field(default_factory=list)
    # Largest request body (uploads, imports): refused before it is read or spooled to disk.
    max_request_bytes: int = Field(default=40 * 1024 * 1024, ge=1024)
    log_level: str = "INFO"
    sql_echo: bool = False

    @model_validator(mode="after")
    def _key_from_file(self) -> "Settings":
        """A key set in the environment wins; otherwise the locally generated one, when present."""
        if self.secret_key == PUBLIC_DEFAULT_SECRET_KEY and self.secret_key_file.is_file():
            self.secret_key = self.secret_key_file.read_text(encoding="utf-8").strip()
        return self

    def require_private_key(self) -> None:
        """Refuse to serve or run jobs with the public default key outside the test suite."""
        if self.mode != "test" and self.secret_key in ("", PUBLIC_DEFAULT_SECRET_KEY):
            raise InsecureSecretKeyError(
                "拒绝启动: AFTERSALES_SECRET_KEY 未设置,仍是源码中公开的默认密钥,"
                "任何人都能伪造自助链接、会话和 webhook 签名。请设置 AFTERSALES_SECRET_KEY,"
                f"或运行 `aftersales secret-key` 生成并保存到 {self.secret_key_file}(make demo 会自动生成)。"
            )


def generate_secret_key_file(settings: "Settings") -> bool:
    """Create the local key file once (owner-only); False when a key already exists."""
    path = settings.secret_key_file
    if path.is_file():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(secrets.token_urlsafe(48) + "\n", encoding="utf-8")
    return True


@lru_cache
def get_settings() -> Settings:
    return Settings()
