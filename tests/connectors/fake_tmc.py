"""淘宝消息服务 (TMC) as the official SDKs expect it to behave, on a local WebSocket server: it
checks the CONNECT frame (app key, group, the upper-case MD5 ``sign`` recomputed here with
``hashlib``, a timestamp within 10 minutes as TOP's gateway allows), answers CONNECTACK with a
token or a status code and phrase, pushes the queued messages (SEND with ``id`` Int64, ``topic``,
``content`` JSON, ``time`` Date, ``nick``, ``userid``, ``publisher``) after the client's pull
request, and records every Confirm (which must carry the token). A message not confirmed stays
queued, as TMC delivers it again."""

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

from aftersales.connectors.taobao_tmc import Frame, Kind, MessageType, decode, encode

TOKEN = "tmc-token-0001"
WINDOW_MS = 10 * 60 * 1000


def tmc_sign(app_key: str, group_name: str, timestamp: str, secret: str) -> str:
    text = f"{secret}app_key{app_key}group_name{group_name}timestamp{timestamp}{secret}"
    return hashlib.md5(text.encode()).hexdigest().upper()


def data_message(message_id: int, topic: str, content: dict[str, Any], nick: str = "好物旗舰店") -> Frame:
    return Frame(
        MessageType.SEND,
        {
            "__kind": Kind.DATA,
            "id": message_id,
            "topic": topic,
            "content": json.dumps(content, ensure_ascii=False),
            "time": datetime.now(UTC).replace(microsecond=0),
            "nick": nick,
            "userid": 2200000001,
            "publisher": "4272",
        },
    )


@dataclass
class FakeTmc:
    app_key: str
    secret: str
    group_name: str = "default"
    queue: list[Frame] = field(default_factory=list)
    confirmed: list[int] = field(default_factory=list)
    connects: list[dict[str, Any]] = field(default_factory=list)
    pulls: int = 0
    refusals: list[str] = field(default_factory=list)

    def refuse(self, ws: ServerConnection, code: int, phrase: str) -> None:
        self.refusals.append(phrase)
        ws.send(encode(Frame(MessageType.CONNECTACK, status_code=code, status_phrase=phrase)))

    def handshake(self, ws: ServerConnection) -> bool:
        hello = decode(bytes(ws.recv(timeout=5)))
        fields = hello.content
        self.connects.append(fields)
        if hello.message_type != MessageType.CONNECT or fields.get("app_key") != self.app_key:
            self.refuse(ws, 401, "invalid app_key")
            return False
        expected = tmc_sign(
            self.app_key, str(fields.get("group_name")), str(fields.get("timestamp")), self.secret
        )
        if fields.get("sign") != expected:
            self.refuse(ws, 401, "sign error")
            return False
        if abs(int(time.time() * 1000) - int(str(fields.get("timestamp")))) > WINDOW_MS:
            self.refuse(ws, 401, "timestamp out of range")
            return False
        if fields.get("group_name") != self.group_name:
            self.refuse(ws, 404, "group not found")
            return False
        ws.send(encode(Frame(MessageType.CONNECTACK, token=TOKEN)))
        return True

    def serve(self, ws: ServerConnection) -> None:
        if not self.handshake(ws):
            return
        try:
            for raw in ws:
                frame = decode(bytes(raw))
                if frame.message_type != MessageType.SEND or frame.token != TOKEN:
                    continue
                if frame.content.get("__kind") == Kind.PULL_REQUEST:
                    self.pulls += 1
                    for message in list(self.queue):
                        ws.send(encode(message))
                elif frame.content.get("__kind") == Kind.CONFIRM:
                    self.confirm(int(frame.content["id"]))
        except ConnectionClosed:
            return

    def confirm(self, message_id: int) -> None:
        self.confirmed.append(message_id)
        self.queue = [frame for frame in self.queue if frame.content["id"] != message_id]


@contextmanager
def tmc_server(fake: FakeTmc) -> Iterator[str]:
    """The fake on 127.0.0.1; yields its ``ws://`` address."""
    with serve(fake.serve, "127.0.0.1", 0) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        host, port = server.socket.getsockname()[:2]
        try:
            yield f"ws://{host}:{port}/"
        finally:
            server.shutdown()
            thread.join(timeout=5)
