"""Importing chat exports: JSON lines or CSV/TSV/XLSX with a column mapping, idempotently.

Rows are read, checked one by one (bad rows are reported with row number, column and reason),
resolved to shop, order and agent in bulk, and ingested in chunks through
``service.ingest_messages``, so an import is inspected exactly like real-time messages and a
second run of the same file adds nothing.

A mapping may name columns by number for files without a header row (``header: false``), and an
export without send times (only the order of messages) is accepted: its messages keep the file's
order, get ids from their position in the session, and response times are reported as unknown.
"""

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from aftersales.auth.models import User
from aftersales.catalog.models import Shop
from aftersales.conversations import service
from aftersales.conversations.schemas import MessageIn
from aftersales.kit import cells
from aftersales.kit.tables import FileFormatError, read_table, require_columns
from aftersales.kit.time import as_utc
from aftersales.orders.models import Order

UTC = UTC

MAPPINGS_DIR = Path(__file__).resolve().parent / "mappings"
CHUNK = 2000
REQUIRED = ("session_key", "sender", "text")
EPOCH_MILLISECONDS = 10**11  # a number above this is a time in milliseconds, not seconds
TEXT_FIELDS = (
    "shop_code",
    "session_key",
    "message_id",
    "text",
    "agent_account",
    "customer_account",
    "order_no",
)


@dataclass(frozen=True)
class ChatMapping:
    fields: dict[str, list[str]]
    senders: dict[str, str]
    header: bool = True

    @classmethod
    def load(cls, name_or_path: str) -> "ChatMapping":
        """A packaged mapping by name (generic, qianniu, jddc) or a YAML file of the same shape.

        Column names and sender words may be numbers (columns of a header-less file are "1", "2",
        …; a platform may write the sender as 0/1)."""
        path = Path(name_or_path)
        if not path.exists():
            path = MAPPINGS_DIR / f"{name_or_path}.yaml"
        if not path.exists():
            raise FileFormatError(f"找不到列映射: {name_or_path}")
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        fields = {k: [str(c) for c in (v if isinstance(v, list) else [v])] for k, v in data["fields"].items()}
        senders = {str(word): sender for sender, words in data.get("senders", {}).items() for word in words}
        return cls(fields, senders, bool(data.get("header", True)))


@dataclass
class RowError:
    row: int
    column: str
    reason: str


@dataclass
class ChatImportReport:
    rows: int = 0
    created: int = 0
    sessions: int = 0
    errors: list[RowError] = field(default_factory=list)


def _records(path: Path, *, header: bool) -> tuple[list[str] | None, Iterator[tuple[int, dict[str, Any]]]]:
    """(headers or None for JSON lines, numbered rows)."""
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        return None, _json_lines(path)
    table = read_table(path, header=header)
    return table.headers, table.rows


def _json_lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    if not path.exists():
        raise FileFormatError(f"文件不存在: {path}")
    with path.open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, {"__error__": f"不是合法的 JSON: {exc.msg}"}
                continue
            if isinstance(value, list):  # a line of values: columns by number, like a header-less file
                value = {str(n): item for n, item in enumerate(value, start=1)}
            yield number, value if isinstance(value, dict) else {"__error__": "每行应为一个 JSON 对象或数组"}


class ChatImporter:
    def __init__(
        self,
        session: Session,
        mapping: ChatMapping,
        *,
        shop_code: str | None = None,
        on_progress: Callable[[int], None] | None = None,
    ) -> None:
        self.session = session
        self.mapping = mapping
        self.shop_code = shop_code
        self.on_progress = on_progress or (lambda _n: None)
        self.report = ChatImportReport()
        self.times_required = False
        self._positions: Counter[tuple[str, str]] = Counter()
        self._sessions: set[tuple[int, str]] = set()

    def run(self, path: Path) -> ChatImportReport:
        headers, rows = _records(path, header=self.mapping.header)
        if headers is not None:
            require_columns(headers, {f: self.mapping.fields[f] for f in REQUIRED})
            if not self.shop_code:
                require_columns(headers, {"shop_code": self.mapping.fields.get("shop_code", ["shop_code"])})
            self.times_required = bool(set(self.mapping.fields.get("sent_at", [])) & set(headers))
        batch: list[tuple[int, dict[str, Any]]] = []
        for number, raw in rows:
            batch.append((number, raw))
            if len(batch) >= CHUNK:
                self._ingest(batch)
                batch = []
        if batch:
            self._ingest(batch)
        self.report.sessions = len(self._sessions)
        return self.report

    def _cell(self, raw: dict[str, Any], name: str) -> tuple[str, Any]:
        candidates = self.mapping.fields.get(name, [name])
        for column in candidates:
            if column in raw and raw[column] not in (None, ""):
                value = raw[column]
                return column, int(value) if isinstance(value, float) and value.is_integer() else value
        return candidates[0], None

    def _parse(self, number: int, raw: dict[str, Any]) -> dict[str, Any] | None:
        """One row to plain values, or None with the problem recorded against its column."""
        if "__error__" in raw:
            self.report.errors.append(RowError(number, "-", raw["__error__"]))
            return None
        parsed: dict[str, Any] = {}
        for name in TEXT_FIELDS + ("sender", "sent_at"):
            column, value = self._cell(raw, name)
            try:
                parsed[name] = self._value(name, value)
            except cells.CellError as exc:
                self.report.errors.append(RowError(number, column, str(exc)))
                return None
        if parsed["sent_at"] is None and self.times_required:
            self.report.errors.append(RowError(number, self._cell(raw, "sent_at")[0], "不能为空"))
            return None
        parsed["shop_code"] = parsed["shop_code"] or self.shop_code
        if not parsed["shop_code"]:
            self.report.errors.append(RowError(number, "shop_code", "缺少店铺编码(可用 --shop 指定)"))
            return None
        if parsed["sent_at"] is None and not parsed["message_id"]:
            parsed["message_id"] = self._position_id(parsed)
        return parsed

    def _position_id(self, row: dict[str, Any]) -> str:
        """A message id from the message's place in its session: the same file imports the same ids."""
        key = (row["shop_code"], row["session_key"])
        self._positions[key] += 1
        raw = f"{row['session_key']}|{self._positions[key]}|{row['sender']}|{row['text']}".encode()
        return "p:" + hashlib.sha256(raw).hexdigest()[:40]

    def _value(self, name: str, value: Any) -> Any:
        if name == "sender":
            word = cells.text(value) or ""
            sender = self.mapping.senders.get(word, word)
            if sender not in ("customer", "agent", "bot"):
                raise cells.CellError(f"无法识别的发送方「{word}」")
            return sender
        if name == "sent_at":
            return _time(value)
        if name == "text":  # what someone typed: "=请问…" is a message, not a spreadsheet formula
            said = "" if value is None else str(value).strip()
            if not said:
                raise cells.CellError("不能为空")
            return said
        text = cells.text(value)
        if name in REQUIRED and not text:
            raise cells.CellError("不能为空")
        return text

    def _ingest(self, batch: list[tuple[int, dict[str, Any]]]) -> None:
        self.report.rows += len(batch)
        parsed = [(n, p) for n, raw in batch if (p := self._parse(n, raw)) is not None]
        shops = self._shops({p["shop_code"] for _n, p in parsed})
        orders = self._orders(
            {
                (shops[p["shop_code"]].platform, p["order_no"])
                for _n, p in parsed
                if p["order_no"] and p["shop_code"] in shops
            }
        )
        agents = self._agents({p["agent_account"] for _n, p in parsed if p["agent_account"]})
        messages = []
        for number, row in parsed:
            shop = shops.get(row["shop_code"])
            if shop is None:
                self.report.errors.append(RowError(number, "shop_code", f"店铺 {row['shop_code']} 不存在"))
                continue
            try:
                message = MessageIn(
                    shop_id=shop.id,
                    platform=shop.platform,
                    session_key=row["session_key"],
                    sender=row["sender"],
                    text=row["text"],
                    sent_at=row["sent_at"],
                    agent_id=agents.get(row["agent_account"]) if row["sender"] == "agent" else None,
                    agent_account=row["agent_account"],
                    order_id=orders.get((shop.platform, row["order_no"])),
                    customer_account=row["customer_account"],
                    source_id=row["message_id"],
                )
            except ValidationError as exc:
                first = exc.errors()[0]
                self.report.errors.append(
                    RowError(number, ".".join(str(p) for p in first["loc"]), first["msg"])
                )
                continue
            messages.append(message)
        result = service.ingest_messages(self.session, messages)
        self.report.created += result.created
        self._sessions |= {(m.shop_id, m.session_key) for m in messages}
        self.on_progress(len(batch))

    def _shops(self, codes: set[str]) -> dict[str, Shop]:
        return {s.code: s for s in self.session.scalars(select(Shop).where(Shop.code.in_(codes)))}

    def _orders(self, keys: set[tuple[Any, str]]) -> dict[tuple[Any, str], int]:
        if not keys:
            return {}
        rows = self.session.execute(
            select(Order.platform, Order.source_id, Order.id).where(
                tuple_(Order.platform, Order.source_id).in_(list(keys))
            )
        )
        return {(platform, source_id): order_id for platform, source_id, order_id in rows}

    def _agents(self, accounts: set[str]) -> dict[str, int]:
        if not accounts:
            return {}
        found: dict[str, int] = {}
        for username, user_id in self.session.execute(
            select(User.username, User.id).where(User.username.in_(accounts))
        ):
            found[username] = user_id
        return found


def _time(value: Any) -> datetime | None:
    """A send time: ISO text, the usual spreadsheet formats, or a Unix time in seconds or milliseconds."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if value > EPOCH_MILLISECONDS else value
        return datetime.fromtimestamp(seconds, tz=UTC)
    if isinstance(value, str) and "T" in value:
        try:
            return as_utc(datetime.fromisoformat(value))
        except ValueError:
            raise cells.CellError(f"时间格式错误: {value}") from None
    stamp = cells.timestamp(value)
    return as_utc(stamp) if stamp is not None else None
