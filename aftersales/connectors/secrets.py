"""Provider credentials at rest: Fernet (AES-128-CBC + HMAC-SHA256) from the ``cryptography`` package.

The Fernet key is derived from ``AFTERSALES_SECRET_KEY`` with HKDF-SHA256 and a fixed purpose
label, so nothing else has to be configured and the key never sits in the database beside what
it protects. Changing the secret key makes stored credentials unreadable: they must be entered
again (``aftersales connect add``), which ``decrypt`` reports as such rather than as a crash.
"""

import base64
import json

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from aftersales.config import get_settings
from aftersales.connectors.errors import CredentialsUnreadableError

PURPOSE = b"aftersales connector credentials v1"


def _fernet() -> Fernet:
    secret = get_settings().secret_key.encode()
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=PURPOSE).derive(secret)
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(credentials: dict[str, str]) -> str:
    return _fernet().encrypt(json.dumps(credentials, sort_keys=True).encode()).decode()


def decrypt(token: str) -> dict[str, str]:
    try:
        data = _fernet().decrypt(token.encode())
    except InvalidToken:
        raise CredentialsUnreadableError() from None
    loaded: dict[str, str] = json.loads(data)
    return loaded


def mask(value: str) -> str:
    """What a page or log may show of a secret: its length class and last four characters."""
    return "****" + value[-4:] if len(value) > 8 else "****"
