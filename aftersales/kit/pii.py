"""Masking of customer phone numbers and addresses (stored whole, shown masked)."""

import re

_ROAD = re.compile(r"^\D{1,6}")


def mask_phone(phone: str | None) -> str | None:
    """138****5678 for mainland mobiles; other numbers keep their first 3 and last 2 digits."""
    if not phone:
        return phone
    digits = re.sub(r"\D", "", phone)
    if len(digits) == 11:
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) <= 5:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 5)}{digits[-2:]}"


def mask_address(address: str | None) -> str | None:
    """Keep the road name (text before the first digit, at most 6 characters); hide numbers and the rest."""
    if not address:
        return address
    road = _ROAD.match(address)
    keep = road.group(0).rstrip() if road else address[:2]
    return keep + "****"


def mask_name(name: str | None) -> str | None:
    if not name:
        return name
    return name[0] + "*" * max(1, len(name) - 1)
