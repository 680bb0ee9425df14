"""淘宝消息服务 (TMC): the trade and refund messages of the shops that authorised the app, read
over TMC's WebSocket long connection in its own binary frame format.

TMC has no HTTP callback and no published wire document; the protocol is what the official TOP
SDKs implement, and this module follows them: the Java SDK's ``com.taobao.api.internal.tmc.
TmcClient`` with its ``toplink.endpoint.protocol.MessageEncoder02`` / ``MessageDecoder02``, the .NET
SDK's ``Top.Tmc.TmcClient`` and ``Taobao.Top.Link.Endpoints.MessageIO`` ("protocolVersion=2") and
the Node SDK's ``tmc/tmcClient.js`` + ``tmcCodec.js`` (all agree on the bytes):

- ``ws://mc.api.taobao.com/`` (沙箱 ``ws://mc.api.tbsandbox.com/``), binary WebSocket frames.
- A frame: ``byte`` protocol version (2), ``byte`` message type (CONNECT 0, CONNECTACK 1, SEND 2,
  SENDACK 3), then headers, each an ``int16`` type and its value, until header type 0
  (EndOfHeaders): 2 StatusCode ``int32``, 3 StatusPhrase string, 4 Flag ``int32``, 5 Token string,
  1 Custom = a string name and a typed value (a format ``byte``: 0 Void, 1 CountedString, 2 Byte,
  3 Int16, 4 Int32, 5 Int64, 6 Date = ``int64`` milliseconds since 1970, 7 ByteArray = ``int32``
  length + bytes). Numbers are little-endian; a string is its ``int32`` UTF-8 length and the bytes
  (length 0 reads as no value).
- Connect: CONNECT with custom headers ``app_key``, ``group_name`` (the app's message group,
  ``default`` unless another was created), ``timestamp`` (milliseconds) and ``sign`` = upper-case
  MD5 of ``secret + "app_key"… "group_name"… "timestamp"… + secret`` (TOP's signature over those
  three), plus ``sdk``. CONNECTACK carries a ``token``, or a StatusCode > 0 with the reason.
- Afterwards every frame we send is SEND with the token header and a custom ``__kind``: 1
  PullRequest (deliver what is waiting), 2 Confirm with ``id`` (Int64) = the message's id. TMC
  pushes each message as SEND with custom ``id``, ``topic``, ``content`` (the topic's JSON),
  ``time`` (published), ``nick`` and ``userid`` (the seller), ``publisher``; a message not
  confirmed is delivered again later, so the same ``id`` may arrive twice.

Topics (subscribed at 淘宝开放平台 for the app): ``taobao_trade_*`` carry ``tid``,
``taobao_refund_*`` carry ``refund_id`` (and ``tid``). The message is a summary, so what it names
is read in full by ``connectors.platform_fetch`` (``taobao.trade.fullinfo.get`` /
``taobao.refund.get``) and stored as the sync stores it; a refund on a parcel in transit is
intercepted exactly as a synced one. A message is confirmed only after its receipt and the queued
fetch are committed (at least once); the webhook receipts keep a redelivered ``id`` from queuing a
second fetch. Other topics are confirmed with no work.

Our jobs are short, so ``connectors.taobao_tmc`` connects every minute, one connection per app key
and group, takes what TMC pushes and what a pull request brings, and disconnects once nothing has
come for a few seconds (or after ~50 s): messages wait at TMC while nobody is connected.
"""

import json
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntEnum
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from websockets.exceptions import InvalidHandshake, InvalidURI, WebSocketException
from websockets.sync.client import ClientConnection, connect

from aftersales.audit.webhooks import record_receipt
from aftersales.connectors import service, signing
from aftersales.connectors.errors import ProviderError
from aftersales.connectors.models import ConnectorAccount, Provider
from aftersales.jobs import Checkpoint, enqueue
from aftersales.kit.time import utcnow

PRODUCTION_URL = "ws://mc.api.taobao.com/"
SANDBOX_URL = "ws://mc.api.tbsandbox.com/"
PROTOCOL_VERSION = 2
SDK = "aftersales-tmc-1"
DEFAULT_GROUP = "default"
DRAIN_SECONDS = 50.0
IDLE_SECONDS = 5.0
PULL_EVERY = 20.0  # seconds between pull requests while messages keep coming
CONNECT_SECONDS = 10.0
TRADE_PREFIX, REFUND_PREFIX = "taobao_trade_", "taobao_refund_"


class MessageType(IntEnum):
    CONNECT = 0
    CONNECTACK = 1
    SEND = 2
    SENDACK = 3


class Header(IntEnum):
    END = 0
    CUSTOM = 1
    STATUS_CODE = 2
    STATUS_PHRASE = 3
    FLAG = 4
    TOKEN = 5


class ValueFormat(IntEnum):
    VOID = 0
    STRING = 1
    BYTE = 2
    INT16 = 3
    INT32 = 4
    INT64 = 5
    DATE = 6
    BYTES = 7


class Kind(IntEnum):
    """``__kind`` of a SEND; written as a Byte, as the Node SDK writes it."""

    PULL_REQUEST = 1
    CONFIRM = 2
    DATA = 3


class FrameError(ValueError):
    """Bytes that are not a whole TMC frame."""


@dataclass(frozen=True)
class Frame:
    message_type: int
    content: dict[str, Any] = field(default_factory=dict)
    token: str | None = None
    status_code: int = 0
    status_phrase: str | None = None
    flag: int = 0


def _string(value: str | None) -> bytes:
    data = (value or "").encode()
    return struct.pack("<i", len(data)) + data


def _value(value: Any) -> bytes:
    """A custom header's value: Python types map to the SDKs' formats (``Kind`` as a Byte, any
    other int as Int64 like the message ids, an aware datetime as Date)."""
    if value is None:
        return bytes([ValueFormat.VOID])
    if isinstance(value, Kind):
        return struct.pack("<BB", ValueFormat.BYTE, value)
    if isinstance(value, bool) or not isinstance(value, int | str | bytes | datetime):
        raise TypeError(f"TMC cannot carry {type(value).__name__}")
    if isinstance(value, int):
        return struct.pack("<Bq", ValueFormat.INT64, value)
    if isinstance(value, datetime):
        return struct.pack("<Bq", ValueFormat.DATE, round(value.timestamp() * 1000))
    if isinstance(value, bytes):
        return struct.pack("<Bi", ValueFormat.BYTES, len(value)) + value
    return bytes([ValueFormat.STRING]) + _string(value)


def encode(frame: Frame) -> bytes:
    """Headers in the SDK encoders' order: status code, phrase, flag, token, custom, end."""
    out = bytearray(struct.pack("<BB", PROTOCOL_VERSION, frame.message_type))
    if frame.status_code > 0:
        out += struct.pack("<hi", Header.STATUS_CODE, frame.status_code)
    if frame.status_phrase:
        out += struct.pack("<h", Header.STATUS_PHRASE) + _string(frame.status_phrase)
    if frame.flag > 0:
        out += struct.pack("<hi", Header.FLAG, frame.flag)
    if frame.token:
        out += struct.pack("<h", Header.TOKEN) + _string(frame.token)
    for name, value in frame.content.items():
        out += struct.pack("<h", Header.CUSTOM) + _string(name) + _value(value)
    out += struct.pack("<h", Header.END)
    return bytes(out)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, fmt: str) -> Any:
        try:
            (value,) = struct.unpack_from("<" + fmt, self.data, self.at)
        except struct.error:
            raise FrameError("TMC 消息帧不完整") from None
        self.at += struct.calcsize("<" + fmt)
        return value

    def raw(self, size: int) -> bytes:
        if size < 0 or self.at + size > len(self.data):
            raise FrameError("TMC 消息帧不完整")
        chunk = self.data[self.at : self.at + size]
        self.at += size
        return chunk

    def string(self) -> str | None:
        size = self.take("i")
        return self.raw(size).decode() if size > 0 else None

    def value(self) -> Any:
        fmt = self.take("B")
        readers: dict[int, Callable[[], Any]] = {
            ValueFormat.VOID: lambda: None,
            ValueFormat.BYTE: lambda: self.take("B"),
            ValueFormat.INT16: lambda: self.take("h"),
            ValueFormat.INT32: lambda: self.take("i"),
            ValueFormat.INT64: lambda: self.take("q"),
            ValueFormat.DATE: lambda: datetime.fromtimestamp(self.take("q") / 1000, tz=UTC),
            ValueFormat.BYTES: lambda: self.raw(self.take("i")),
        }
        return readers.get(fmt, self.string)()  # any other format is a counted string, as in the SDKs


def decode(data: bytes) -> Frame:
    reader = _Reader(data)
    reader.take("B")  # protocol version
    message_type = reader.take("B")
    fields: dict[str, Any] = {"content": {}}
    header = reader.take("h")
    while header != Header.END:
        if header == Header.CUSTOM:
            name = reader.string() or ""
            fields["content"][name] = reader.value()
        elif header in (Header.STATUS_CODE, Header.FLAG):
            fields["status_code" if header == Header.STATUS_CODE else "flag"] = reader.take("i")
        elif header in (Header.STATUS_PHRASE, Header.TOKEN):
            fields["status_phrase" if header == Header.STATUS_PHRASE else "token"] = reader.string()
        else:
            raise FrameError(f"未知的 TMC 头类型 {header}")
        header = reader.take("h")
    return Frame(message_type=message_type, **fields)


def connect_sign(*, app_key: str, group_name: str, timestamp: str, secret: str) -> str:
    return signing.wrapped_md5({"app_key": app_key, "group_name": group_name, "timestamp": timestamp}, secret)


def connect_frame(*, app_key: str, secret: str, group_name: str, now_ms: int) -> Frame:
    timestamp = str(now_ms)
    sign = connect_sign(app_key=app_key, group_name=group_name, timestamp=timestamp, secret=secret)
    content = {"app_key": app_key, "group_name": group_name, "timestamp": timestamp, "sign": sign, "sdk": SDK}
    return Frame(MessageType.CONNECT, content)


def pull_frame(token: str) -> Frame:
    return Frame(MessageType.SEND, {"__kind": Kind.PULL_REQUEST}, token=token)


def confirm_frame(token: str, message_id: int) -> Frame:
    return Frame(MessageType.SEND, {"__kind": Kind.CONFIRM, "id": message_id}, token=token)


@dataclass(frozen=True)
class Message:
    """One data message as TMC pushes it; ``content`` is the topic's JSON (empty when unreadable)."""

    id: int
    topic: str
    content: dict[str, Any]
    nick: str | None
    user_id: int | None
    published_at: datetime | None

    @classmethod
    def of(cls, frame: Frame) -> "Message":
        fields = frame.content
        try:
            content = json.loads(fields.get("content") or "{}")
        except (ValueError, TypeError):
            content = {}
        published = fields.get("time")
        return cls(
            id=int(fields["id"]),
            topic=str(fields.get("topic") or ""),
            content=content if isinstance(content, dict) else {},
            nick=fields.get("nick"),
            user_id=int(fields["userid"]) if fields.get("userid") is not None else None,
            published_at=published if isinstance(published, datetime) else None,
        )


# What the caller does with a message; True when it is safely taken and may be confirmed.
Handle = Callable[[Message], bool]


@dataclass(frozen=True)
class Group:
    """One TMC connection: an app key's message group at one address."""

    url: str
    app_key: str
    group_name: str


def _handshake(ws: ClientConnection, group: Group, secret: str) -> str:
    """Send the signed CONNECT; the token of the CONNECTACK, or a ``ProviderError`` (no retry)
    with TMC's status code and phrase when it refuses the sign, the app or the group."""
    now_ms = int(time.time() * 1000)
    hello = connect_frame(app_key=group.app_key, secret=secret, group_name=group.group_name, now_ms=now_ms)
    ws.send(encode(hello))
    ack = decode(_bytes(ws.recv(timeout=CONNECT_SECONDS)))
    if ack.message_type != MessageType.CONNECTACK or ack.status_code > 0 or not ack.token:
        reason = f"{ack.status_code} {ack.status_phrase or ''}".strip()
        raise ProviderError(f"淘宝消息服务拒绝连接: {reason}", code=str(ack.status_code), retry=False)
    return ack.token


def _bytes(data: str | bytes) -> bytes:
    return data if isinstance(data, bytes) else data.encode()


def _read(ws: ClientConnection, token: str, handle: Handle, seconds: float, idle: float) -> dict[str, int]:
    counts = {"received": 0, "confirmed": 0}
    deadline = next_pull = time.monotonic()
    deadline += seconds
    while (left := deadline - time.monotonic()) > 0:
        if time.monotonic() >= next_pull:
            ws.send(encode(pull_frame(token)))
            next_pull = time.monotonic() + PULL_EVERY
        try:
            frame = decode(_bytes(ws.recv(timeout=min(left, idle))))
        except TimeoutError:
            break
        if frame.message_type != MessageType.SEND or not {"id", "topic"} <= frame.content.keys():
            continue  # not a data message (an acknowledgement, a frame of another kind)
        counts["received"] += 1
        if handle(Message.of(frame)):
            ws.send(encode(confirm_frame(token, int(frame.content["id"]))))
            counts["confirmed"] += 1
    return counts


def drain(
    group: Group, *, secret: str, handle: Handle, seconds: float, idle: float = IDLE_SECONDS
) -> dict[str, int]:
    """Connect, ask for what is waiting, hand every data message to ``handle`` and confirm the ones
    it took; stop when nothing came for ``idle`` seconds or ``seconds`` have passed. A network
    failure is a retryable ``ProviderError``: whatever was not confirmed is delivered again."""
    try:
        with connect(group.url, open_timeout=CONNECT_SECONDS, close_timeout=2) as ws:
            return _read(ws, _handshake(ws, group, secret), handle, seconds, idle)
    except (OSError, InvalidURI, InvalidHandshake, TimeoutError) as exc:
        raise ProviderError(f"无法连接淘宝消息服务: {type(exc).__name__}") from exc
    except (WebSocketException, FrameError) as exc:
        raise ProviderError(f"淘宝消息服务连接中断: {type(exc).__name__}") from exc


def target(message: Message) -> tuple[str, str] | None:
    """("trades", tid) or ("refunds", refund_id) for a trade or refund message, else None."""
    if message.topic.startswith(TRADE_PREFIX) and message.content.get("tid"):
        return "trades", str(message.content["tid"])
    if message.topic.startswith(REFUND_PREFIX) and message.content.get("refund_id"):
        return "refunds", str(message.content["refund_id"])
    return None


def group_of(account: ConnectorAccount) -> Group:
    override = account.settings.get("tmc_endpoint")
    url = str(override) if override else SANDBOX_URL if account.sandbox else PRODUCTION_URL
    app_key = service.credentials(account)["app_key"]
    return Group(url=url, app_key=app_key, group_name=str(account.settings.get("tmc_group") or DEFAULT_GROUP))


def tmc_accounts(session: Session) -> dict[Group, list[ConnectorAccount]]:
    """Enabled 淘宝 accounts that turned TMC on (a ``tmc_group``), by connection."""
    query = select(ConnectorAccount).where(
        ConnectorAccount.provider == Provider.TAOBAO,
        ConnectorAccount.enabled.is_(True),
        ConnectorAccount.shop_id.is_not(None),
    )
    groups: dict[Group, list[ConnectorAccount]] = {}
    for account in session.scalars(query.order_by(ConnectorAccount.id)):
        if account.settings.get("tmc_group"):
            groups.setdefault(group_of(account), []).append(account)
    return groups


def route(accounts: list[ConnectorAccount], message: Message) -> ConnectorAccount | None:
    """The shop a message is about: the only account of the connection, else the one whose
    ``seller_nick`` is the message's seller (several shops authorising one app)."""
    if len(accounts) == 1:
        return accounts[0]
    seller = message.nick or message.content.get("seller_nick")
    return next((account for account in accounts if account.settings.get("seller_nick") == seller), None)


def take(
    session: Session, accounts: list[ConnectorAccount], message: Message, *, checkpoint: Checkpoint
) -> bool:
    """Queue the targeted fetch for a trade or refund message once per message id, commit, and
    let it be confirmed; a message for no connected shop is recorded and confirmed (the sync of
    that shop, if any is added later, reads it anyway)."""
    named = target(message)
    account = route(accounts, message) if named else None
    if named and account is None:
        service.record_failure(accounts[0], f"淘宝消息 {message.id} 的卖家 {message.nick} 没有对应店铺的连接")
    if named and account is not None:
        now = utcnow()
        source = f"taobao-tmc-{account.id}"
        signed_at = message.published_at or now
        if record_receipt(session, source=source, signature=str(message.id), signed_at=signed_at, now=now):
            trades, refunds = ([named[1]], []) if named[0] == "trades" else ([], [named[1]])
            enqueue(
                session, "connectors.platform_fetch", account_id=account.id, trades=trades, refunds=refunds
            )
    checkpoint()
    return True


def drain_due(
    session: Session, *, checkpoint: Checkpoint, seconds: float = DRAIN_SECONDS, idle: float = IDLE_SECONDS
) -> dict[str, int]:
    """Every TMC connection in turn, sharing ``seconds``; a failure is each account's error."""
    groups = tmc_accounts(session)
    totals = {"connections": len(groups), "received": 0, "confirmed": 0, "failed": 0}
    for group, accounts in groups.items():
        secret = service.credentials(accounts[0])["app_secret"]
        handle: Handle = partial(take, session, accounts, checkpoint=checkpoint)
        try:
            counts = drain(group, secret=secret, handle=handle, seconds=seconds / len(groups), idle=idle)
        except ProviderError as exc:
            for account in accounts:
                service.record_failure(account, exc.message)
            totals["failed"] += 1
            continue
        for account in accounts:
            service.record_success(account)
        totals["received"] += counts["received"]
        totals["confirmed"] += counts["confirmed"]
    session.flush()
    return totals
