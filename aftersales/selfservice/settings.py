"""Settings of the self-service domain (``AFTERSALES_SELFSERVICE_*``), read by pydantic-settings.

Kept beside the domain so the foundation's settings object stays small; the secret that signs
portal links is the application's one (``AFTERSALES_SECRET_KEY``).
"""

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class SelfServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AFTERSALES_SELFSERVICE_", env_file=".env", extra="ignore")

    upload_dir: Path = Path("var/uploads/selfservice")
    upload_max_bytes: int = 5 * 1024 * 1024
    upload_max_files: int = 6
    link_ttl_hours: int = 72
    survey_ttl_days: int = 14
    session_ttl_hours: int = 12
    code_ttl_minutes: int = 10
    code_resend_seconds: int = 60
    codes_per_hour: int = 5
    max_failures: int = 5
    lockout_minutes: int = 30
    otp_channel: str = "sms"
    bot_threshold: float = 0.45
    bot_emotion_threshold: float = 0.98
    default_expected_hours: int = 24
    public_base_url: str = "http://127.0.0.1:8000"
    return_courier: str = "sf"
    invoice_provider: str = "local"
    return_address: str = "浙江省杭州市余杭区仓前街道良睦路 1399 号 售后仓(收件人: 售后组 0571-88880000)"


@lru_cache
def get_selfservice_settings() -> SelfServiceSettings:
    return SelfServiceSettings()
