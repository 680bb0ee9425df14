"""What the platforms' request signatures share: the parameters sorted by name and written as
``name + value`` with nothing between them (淘宝 TOP, 拼多多, 抖店 and 聚水潭 all start from this
string; they differ in which parameters take part, what wraps it and which digest runs over it)."""

import hashlib
import hmac


def joined(params: dict[str, str], *, skip: frozenset[str] = frozenset({"sign"})) -> str:
    """Sorted ``name + value`` of every non-empty parameter not in ``skip``."""
    return "".join(f"{key}{params[key]}" for key in sorted(params) if key not in skip and params[key] != "")


def md5_hex(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def hmac_hex(secret: str, text: str, digest: str) -> str:
    return hmac.new(secret.encode(), text.encode(), digest).hexdigest()


def wrapped_md5(params: dict[str, str], secret: str) -> str:
    """TOP's and 拼多多's ``md5`` signature: upper-case MD5 of ``secret + joined + secret``."""
    return md5_hex(f"{secret}{joined(params)}{secret}").upper()
