"""The one settings object. Nothing else in the code base reads ``os.environ``."""

from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AFTERSALES_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///aftersales.db"
    secret_key: str = Field(
        default="dev-only-secret-change-me",
        description="Signs console cookies, portal links and outbound webhooks.",
    )
    timezone: str = "Asia/Shanghai"
    token_ttl_hours: int = 24 * 14
    # "inline": jobs run in-process from the durable jobs table; "celery": a broker carries job ids.
    job_backend: Literal["inline", "celery"] = "inline"
    broker_url: str = "redis://127.0.0.1:6379/0"
    outbox_max_attempts: int = 8
    # Shards of the daily logistics sweep (shipment id ranges run as separate jobs); 1 = one job.
    logistics_scan_shards: int = Field(default=1, ge=1, le=256)
    webhook_timeout_seconds: float = 5.0
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_sender: str = "aftersales@localhost"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    # Where the local platform-IM and SMS providers record what they "sent" (no real gateway).
    outbound_record_dir: str | None = None
    log_level: str = "INFO"
    sql_echo: bool = False


@lru_cache
def get_settings() -> Settings:
    return Settings()
