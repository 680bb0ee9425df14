"""A local HTTP server on 127.0.0.1 that plays a provider: each fake decides, from the raw
request, what the provider would answer (and records what it was sent)."""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Call:
    method: str
    path: str
    target: str  # the request target as sent: path and query string
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class Answer:
    status: int
    body: bytes
    content_type: str = "application/json;charset=UTF-8"


Handler = Callable[[Call], Answer]


@dataclass
class ProviderServer:
    url: str
    calls: list[Call] = field(default_factory=list)


def _flat(text: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(text, keep_blank_values=True).items()}


@contextmanager
def provider_server(handle: Handler) -> Iterator[ProviderServer]:
    state = ProviderServer(url="")

    class RequestHandler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            raw = self.rfile.read(length)
            parts = urlsplit(self.path)
            is_form = "x-www-form-urlencoded" in self.headers.get("Content-Type", "")
            call = Call(
                method=self.command,
                path=parts.path,
                target=self.path,
                query=_flat(parts.query),
                form=_flat(raw.decode()) if is_form else {},
                headers=dict(self.headers),
                body=raw,
            )
            state.calls.append(call)
            answer = handle(call)
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        do_GET = _serve  # noqa: N815 (http.server's naming)
        do_POST = _serve  # noqa: N815

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), RequestHandler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
