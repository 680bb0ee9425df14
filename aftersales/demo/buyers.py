"""A demo buyer's name, phone and address, drawn from the buyer's own random stream, so a buyer
who comes back (in the promotion or in the year before it) is the same person at the same address."""

import random

from aftersales.demo import catalog_data as data

_PROVINCE_WEIGHTS = [p[1] for p in data.PROVINCES]


def person(index: int, buyer: random.Random) -> tuple[str, str, str]:
    """(account nick, receiver name, mobile)."""
    name = buyer.choice(data.SURNAMES) + "".join(buyer.choices(data.GIVEN, k=buyer.choice((1, 2))))
    nick = f"{buyer.choice(data.NICK_PREFIX)}{index:05d}{buyer.randint(10, 99)}"
    phone = f"1{buyer.choice('3456789')}{buyer.randint(0, 999999999):09d}"
    return nick, name, phone


def address(buyer: random.Random) -> tuple[str, str, str, str, int]:
    """(province, city, district, street, distance class 0 near .. 3 remote), weighted by where
    a shop's orders go."""
    province, _w, cities, distance = buyer.choices(data.PROVINCES, weights=_PROVINCE_WEIGHTS)[0]
    city, districts = buyer.choice(cities)
    street = f"{buyer.choice(data.STREETS)} {buyer.randint(1, 999)}号 {buyer.randint(1, 30)}幢"
    return province, city, buyer.choice(districts), street, distance


def receiver(index: int, buyer: random.Random) -> tuple[str, int, dict[str, str]]:
    """(account nick, distance class, the order's receiver fields) of buyer ``index``."""
    nick, name, phone = person(index, buyer)
    province, city, district, street, distance = address(buyer)
    fields = {
        "receiver_name": name,
        "receiver_phone": phone,
        "province": province,
        "city": city,
        "district": district,
        "address": street,
    }
    return nick, distance, fields
