"""A local HTTP server that records what it receives, for outbox and webhook tests: the provider
server of the connector tests with a handler that acknowledges every JSON post (or fails the next
``fail_next`` with 503)."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.connectors.provider_server import Answer, Call, provider_server

ACK = b'{"errcode":0,"errmsg":"ok","code":0,"StatusCode":0}'


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: Any
    raw: bytes = b""


@dataclass
class Receiver:
    url: str
    received: list[Received] = field(default_factory=list)
    fail_next: int = 0
    status_code: int = 200

    def __call__(self, call: Call) -> Answer:
        if self.fail_next > 0:
            self.fail_next -= 1
            return Answer(503, b"")
        self.received.append(Received(call.target, call.headers, json.loads(call.body or b"null"), call.body))
        return Answer(self.status_code, ACK, "application/json")


@contextmanager
def receiving_server() -> Iterator[Receiver]:
    state = Receiver(url="")
    with provider_server(state) as server:
        state.url = server.url
        yield state
