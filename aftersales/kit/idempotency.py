"""The ``Idempotency-Key`` request header, as the money endpoints and submits accept it.

A client that may retry (a timeout, a double click, a parallel copy) sends one key per intended
action; the service that moves money stores it per order and kind, and a repeat gets the first
result instead of a second payout.
"""

from typing import Annotated

from fastapi import Header

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="One key per intended action: a repeat returns the first result instead of paying again",
    ),
]
