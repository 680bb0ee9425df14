"""Issue 8: the 复盘 report over one promotion, and the scorecard query for 100 agents over 30 days.

Data: ``orders`` orders (one parcel each, 8% late or failing), ``conversations`` chat sessions and
6% of orders as tickets, spread over 30 days with a Double-11 peak, 100 agents; QC results and
findings of the answered chats, a rating invitation per chat and ticket, reviews (half as many as
chats), VOC mentions in every tenth chat, logistics anomalies on 3% and intercepts on 0.5% of
parcels, so every report section is timed on data. Rows are bulk
loaded (sqlite3 ``executemany`` / PostgreSQL ``COPY``) so the figure is the report, not the load.
Runs on SQLite and, when reachable, on a throwaway PostgreSQL database.
"""

import json
import os
import sqlite3
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Table, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from benchmarks.figures import Figure, scratch_postgres, scratch_sqlite

PG_ADMIN_URL = os.environ.get(
    "AFTERSALES_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
START = datetime(2026, 10, 16, tzinfo=UTC)
DAYS = 30
PROMOTION = (date(2026, 11, 1), date(2026, 11, 14))
AGENTS = 100
SCORECARD_RUNS = 7
COURIERS = ("zto", "yto", "yunda", "sto", "sf", "jd", "ems", "jt")
PROVINCES = (
    "浙江省",
    "广东省",
    "江苏省",
    "上海市",
    "北京市",
    "四川省",
    "新疆维吾尔自治区",
    "西藏自治区",
    "河南省",
    "山东省",
)
CATEGORIES = ("商品问题", "物流问题", "服务问题", "其他")
TYPES = ("consultation", "return", "exchange", "refund", "complaint", "reshipment")


def _times(rng: np.random.Generator, count: int) -> np.ndarray:
    """Seconds since START: a daily curve (busy 10-23 h local) with 30% of volume on 11-11."""
    peak_day = (datetime(2026, 11, 10, 16, tzinfo=UTC) - START).total_seconds()
    on_peak = rng.random(count) < 0.3
    days = np.where(on_peak, peak_day // 86400, rng.integers(0, DAYS, count))
    hour_weights = np.array(
        [3, 2, 1, 1, 1, 1, 1, 2, 4, 6, 8, 9, 9, 8, 8, 9, 9, 8, 8, 9, 10, 10, 8, 5], dtype=float
    )
    local_hours = rng.choice(24, size=count, p=hour_weights / hour_weights.sum())
    base = np.where(on_peak, peak_day, days * 86400 - 8 * 3600)
    return base + local_hours * 3600 + rng.integers(0, 3600, count)


def _stamp(seconds: float) -> datetime:
    return START + timedelta(seconds=float(seconds))


def _rows(
    table: Table, columns: dict[str, Sequence[Any]], count: int
) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
    """Tuples for every NOT NULL column: the given ones, else the column's scalar default."""
    names = list(columns)
    fixed: dict[str, Any] = {}
    for column in table.c:
        if column.name in columns or column.primary_key or column.nullable:
            continue
        default = column.default.arg if column.default is not None else None
        fixed[column.name] = default(None) if callable(default) else default
    names += list(fixed)
    values = [columns[n] for n in columns]
    tail = tuple(fixed.values())
    return names, (tuple(v[i] for v in values) + tail for i in range(count))


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


def _postgres_value(value: Any) -> Any:
    from psycopg.types.json import Jsonb

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict | list):
        return Jsonb(value)
    return value


def _loader(url: str) -> Callable[[Table, list[str], Iterator[tuple[Any, ...]]], None]:
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        conn.execute("PRAGMA synchronous=OFF")

        def load_sqlite(table: Table, names: list[str], rows: Iterator[tuple[Any, ...]]) -> None:
            marks = ", ".join("?" for _ in names)
            conn.executemany(
                f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks})",
                (tuple(_sqlite_value(v) for v in row) for row in rows),
            )
            conn.commit()

        return load_sqlite
    import psycopg

    pg = psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False))

    def load_postgres(table: Table, names: list[str], rows: Iterator[tuple[Any, ...]]) -> None:
        with pg.cursor() as cursor, cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(tuple(_postgres_value(v) for v in row))
        pg.commit()

    return load_postgres


def _load(url: str, orders: int, conversations: int) -> None:
    """Shops, agents, customers, orders + parcels, chats and tickets, with fixed seeds."""
    from aftersales.db import Base, make_engine
    from aftersales.registry import load_all_models

    load_all_models()
    tables = Base.metadata.tables
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            tables["shops"].insert(),
            [
                {"code": f"b{n}", "name": f"店铺{n}", "platform": p, "created_at": START}
                for n, p in enumerate(("tmall", "jd", "douyin"), start=1)
            ],
        )
        conn.execute(
            tables["users"].insert(),
            [
                {
                    "username": f"agent{n}",
                    "display_name": f"客服{n:03d}",
                    "role": "AGENT",
                    "password_hash": "x",
                    "is_active": True,
                    "created_at": START,
                }
                for n in range(1, AGENTS + 1)
            ],
        )
        first_agent = conn.execute(text("SELECT min(id) FROM users")).scalar_one()
    engine.dispose()
    load = _loader(url)
    rng = np.random.default_rng(8)
    customers = max(1000, orders // 4)
    shop_of = rng.integers(1, 4, orders)
    platform = np.array(["tmall", "jd", "douyin"])[shop_of - 1]
    load(
        tables["customers"],
        *_rows(
            tables["customers"],
            {
                "platform": ["tmall"] * customers,
                "source_id": [f"c{n}" for n in range(customers)],
                "is_vip": [False] * customers,
                "created_at": [START] * customers,
            },
            customers,
        ),
    )
    ordered = _times(rng, orders)
    paid = rng.choice([1990, 5990, 12900, 29900, 89900], orders)
    province = np.array(PROVINCES)[rng.integers(0, len(PROVINCES), orders)]
    order_stamps = [_stamp(s) for s in ordered]
    load(
        tables["orders"],
        *_rows(
            tables["orders"],
            {
                "id": range(1, orders + 1),
                "shop_id": shop_of,
                "customer_id": rng.integers(1, customers + 1, orders),
                "platform": platform,
                "source_id": [f"O{n:09d}" for n in range(orders)],
                "status": ["completed"] * orders,
                "total_fen": paid,
                "paid_fen": paid,
                "postage_fen": [0] * orders,
                "province": province,
                "ordered_at": order_stamps,
                "paid_at": order_stamps,
                "updated_at": order_stamps,
            },
            orders,
        ),
    )
    courier = np.array(COURIERS)[rng.integers(0, len(COURIERS), orders)]
    late = rng.random(orders) < 0.08
    shipped = [s + timedelta(hours=12) for s in order_stamps]
    load(
        tables["shipments"],
        *_rows(
            tables["shipments"],
            {
                "order_id": range(1, orders + 1),
                "courier": courier,
                "tracking_no": [f"T{n:011d}" for n in range(orders)],
                "shipped_at": shipped,
                "estimated_delivery_at": [s + timedelta(days=3) for s in shipped],
                "delivered_at": [
                    s + timedelta(days=5 if x else 2) for s, x in zip(shipped, late, strict=True)
                ],
                "status": ["delivered"] * orders,
                "is_reshipment": [False] * orders,
            },
            orders,
        ),
    )
    chat_times = [_stamp(s) for s in _times(rng, conversations)]
    handling = np.array(["bot_only", "transferred", "human", "unanswered"])[
        rng.choice(4, conversations, p=[0.3, 0.2, 0.45, 0.05])
    ]
    answered = handling != "unanswered"
    load(
        tables["chat_sessions"],
        *_rows(
            tables["chat_sessions"],
            {
                "shop_id": rng.integers(1, 4, conversations),
                "platform": ["tmall"] * conversations,
                "session_key": [f"s{n}" for n in range(conversations)],
                "started_at": chat_times,
                "ended_at": [t + timedelta(minutes=8) for t in chat_times],
                "agent_id": first_agent + rng.integers(0, AGENTS, conversations),
                "customer_id": rng.integers(1, customers + 1, conversations),
                "first_response_seconds": [
                    int(v) if a else None
                    for v, a in zip(rng.gamma(2, 9, conversations), answered, strict=True)
                ],
                "avg_response_seconds": rng.integers(10, 60, conversations),
                "handling": handling,
            },
            conversations,
        ),
    )
    tickets = orders * 6 // 100
    ticket_orders = rng.choice(orders, tickets, replace=False) + 1
    created = [order_stamps[i - 1] + timedelta(days=2) for i in ticket_orders]
    resolved = [c + timedelta(hours=float(h)) for c, h in zip(created, rng.gamma(2, 6, tickets), strict=True)]
    load(
        tables["tickets"],
        *_rows(
            tables["tickets"],
            {
                "shop_id": shop_of[ticket_orders - 1],
                "order_id": ticket_orders,
                "type": np.array(TYPES)[rng.integers(0, len(TYPES), tickets)],
                "category": np.where(
                    late[ticket_orders - 1], "物流问题", np.array(CATEGORIES)[rng.integers(0, 4, tickets)]
                ),
                "title": ["售后"] * tickets,
                "severity": ["medium"] * tickets,
                "status": ["resolved"] * tickets,
                "assignee_id": first_agent + rng.integers(0, AGENTS, tickets),
                "created_at": created,
                "first_responded_at": [
                    c + timedelta(minutes=float(m))
                    for c, m in zip(created, rng.gamma(2, 10, tickets), strict=True)
                ],
                "resolved_at": resolved,
                "rating_stars": rng.choice([1, 2, 3, 4, 5, 5, 5], tickets),
                "sla_breached": rng.random(tickets) < 0.05,
            },
            tickets,
        ),
    )
    _load_service_records(load, tables, rng, len(chat_times), chat_times, answered, first_agent, tickets)
    _load_logistics_records(load, tables, rng, orders, shipped)
    if not url.startswith("sqlite"):
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        engine.dispose()


Loader = Callable[[Table, list[str], Iterator[tuple[Any, ...]]], None]


def _load_service_records(
    load: Loader,
    tables: Any,
    rng: np.random.Generator,
    chats: int,
    chat_times: list[datetime],
    answered: np.ndarray,
    first_agent: int,
    tickets: int,
) -> None:
    """QC results of the answered chats, a rating invitation per chat and per ticket, reviews, VOC."""
    inspected = np.flatnonzero(answered)
    score = rng.normal(82, 10, len(inspected)).clip(0, 100).astype(int)
    chat_agents = first_agent + rng.integers(0, AGENTS, chats)
    load(
        tables["qc_session_results"],
        *_rows(
            tables["qc_session_results"],
            {
                "session_id": inspected + 1,
                "shop_id": rng.integers(1, 4, len(inspected)),
                "platform": ["tmall"] * len(inspected),
                "agent_id": chat_agents[inspected],
                "started_at": [chat_times[i] for i in inspected],
                "score": score,
                "passed": score >= 60,
                "emotion_polarity": np.where(score < 60, "negative", "positive"),
                "emotion_label": np.where(score < 60, "物流", "满意"),
                "risk_level": np.where(score < 50, "high", None),
                "failed_checkpoints": [["greeting"] if s < 70 else [] for s in score],
            },
            len(inspected),
        ),
    )
    _load_qc_findings(load, tables, inspected, score)
    invitations = chats + tickets
    eligible = [*chat_times, *(chat_times[i % chats] for i in range(tickets))]
    invited = rng.random(invitations) < 0.7
    rated = invited & (rng.random(invitations) < 0.4)
    stars = rng.choice([1, 2, 3, 4, 5, 5, 5, 5], invitations)
    load(
        tables["rating_invitations"],
        *_rows(
            tables["rating_invitations"],
            {
                "kind": ["chat"] * chats + ["ticket"] * tickets,
                "subject_key": [f"chat:s{n}" for n in range(chats)]
                + [f"ticket:{n + 1}" for n in range(tickets)],
                "shop_id": rng.integers(1, 4, invitations),
                "agent_id": first_agent + rng.integers(0, AGENTS, invitations),
                "eligible_at": eligible,
                "invited_at": [t if i else None for t, i in zip(eligible, invited, strict=True)],
                "rated_at": [
                    t + timedelta(hours=1) if r else None for t, r in zip(eligible, rated, strict=True)
                ],
                "stars": [int(v) if r else None for v, r in zip(stars, rated, strict=True)],
            },
            invitations,
        ),
    )
    reviews = chats // 2
    review_stars = rng.choice([1, 2, 3, 4, 5, 5, 5, 5], reviews)
    load(
        tables["reviews"],
        *_rows(
            tables["reviews"],
            {
                "shop_id": rng.integers(1, 4, reviews),
                "platform": ["tmall"] * reviews,
                "source_id": [f"R{n}" for n in range(reviews)],
                "sku_code": np.array([f"SKU{n:02d}" for n in range(40)])[rng.integers(0, 40, reviews)],
                "stars": review_stars,
                "reviewed_at": [chat_times[i] + timedelta(days=1) for i in range(reviews)],
                "complaints": [["物流慢"] if s <= 2 else [] for s in review_stars],
            },
            reviews,
        ),
    )
    _load_voc(load, tables, rng, chats, chat_times)


def _load_qc_findings(load: Loader, tables: Any, inspected: np.ndarray, score: np.ndarray) -> None:
    count = len(inspected)
    load(
        tables["qc_findings"],
        *_rows(
            tables["qc_findings"],
            {
                "session_id": inspected + 1,
                "code": ["greeting"] * count,
                "area": ["service"] * count,
                "weight": [10] * count,
                "auto_passed": score >= 70,
                "final_passed": score >= 70,
            },
            count,
        ),
    )


def _load_voc(
    load: Loader, tables: Any, rng: np.random.Generator, chats: int, chat_times: list[datetime]
) -> None:
    """One customer message with a topic in every tenth chat, and its VOC mention."""
    sessions = np.arange(0, chats, 10)
    count = len(sessions)
    sent = [chat_times[i] + timedelta(minutes=1) for i in sessions]
    load(
        tables["chat_messages"],
        *_rows(
            tables["chat_messages"],
            {
                "session_id": sessions + 1,
                "source_id": [f"m{n}" for n in range(count)],
                "sender": ["customer"] * count,
                "text": ["快递怎么还没到"] * count,
                "sent_at": sent,
            },
            count,
        ),
    )
    load(
        tables["qc_voc_mentions"],
        *_rows(
            tables["qc_voc_mentions"],
            {
                "message_id": range(1, count + 1),
                "session_id": sessions + 1,
                "shop_id": rng.integers(1, 4, count),
                "topic": np.array(["物流", "质量", "尺码", "价格"])[rng.integers(0, 4, count)],
                "keyword": ["快递"] * count,
                "mentioned_at": sent,
            },
            count,
        ),
    )


def _load_logistics_records(
    load: Loader, tables: Any, rng: np.random.Generator, orders: int, shipped: list[datetime]
) -> None:
    """Logistics anomalies on 3% of parcels (half resolved) and intercepts on 0.5%."""
    flagged = np.sort(rng.choice(orders, orders * 3 // 100, replace=False))
    seen = [shipped[i] + timedelta(days=2) for i in flagged]
    load(
        tables["logistics_anomalies"],
        *_rows(
            tables["logistics_anomalies"],
            {
                "shipment_id": flagged + 1,
                "order_id": flagged + 1,
                "kind": np.array(["no_update", "stuck_at_hub", "no_first_scan"])[
                    rng.integers(0, 3, len(flagged))
                ],
                "courier": ["zto"] * len(flagged),
                "first_seen_at": seen,
                "last_seen_at": seen,
                "resolved_at": [t + timedelta(hours=6) if n % 2 else None for n, t in enumerate(seen)],
            },
            len(flagged),
        ),
    )
    stopped = np.sort(rng.choice(orders, orders // 200, replace=False))
    asked = [shipped[i] + timedelta(hours=6) for i in stopped]
    load(
        tables["parcel_intercepts"],
        *_rows(
            tables["parcel_intercepts"],
            {
                "shipment_id": stopped + 1,
                "order_id": stopped + 1,
                "refund_request_id": range(1, len(stopped) + 1),
                "courier": ["zto"] * len(stopped),
                "refund_requested_at": asked,
                "created_at": asked,
            },
            len(stopped),
        ),
    )


def _measure(url: str) -> dict[str, float]:
    """Report seconds (wall and CPU: the machine is shared), the 100-agent 30-day scorecard, the PDF."""
    from aftersales.analytics import repository, scorecards
    from aftersales.analytics.report.exports import to_pdf
    from aftersales.analytics.report.service import SECTIONS, Report
    from aftersales.analytics.scope import Scope
    from aftersales.db import make_engine

    engine = make_engine(url)
    result: dict[str, float] = {}
    with Session(engine) as session:
        promotion = Scope(*PROMOTION)
        report = Report(scope=promotion)
        started, cpu = time.perf_counter(), time.process_time()
        repository.tune(session)
        for builder in SECTIONS:  # build_report's loop, timed per section
            section_started, section_cpu = time.perf_counter(), time.process_time()
            report.sections.append(builder(session, promotion))
            result[f"section:{builder.__name__}"] = time.perf_counter() - section_started
            result[f"section_cpu:{builder.__name__}"] = time.process_time() - section_cpu
        result["report"] = time.perf_counter() - started
        result["report_cpu"] = time.process_time() - cpu
        started = time.perf_counter()
        to_pdf(report)
        result["pdf"] = time.perf_counter() - started
        month = Scope(START.date(), START.date() + timedelta(days=DAYS - 1))
        timings, cpu_timings = [], []
        for _ in range(SCORECARD_RUNS):
            started, cpu = time.perf_counter(), time.process_time()
            subjects = scorecards.compute(session, month, level="agent")
            timings.append(time.perf_counter() - started)
            cpu_timings.append(time.process_time() - cpu)
        assert len(subjects) >= AGENTS
        result["scorecard_ms"] = statistics.median(timings) * 1000
        result["scorecard_cpu_ms"] = statistics.median(cpu_timings) * 1000
        result["load_average"] = os.getloadavg()[0]
    engine.dispose()
    return result


def _figures(database: str, size: str, m: dict[str, float]) -> list[Figure]:
    cpu_note = "all of SQLite's work (in-process)" if database == "SQLite" else "client side only"
    runs = f"median of {SCORECARD_RUNS}, load average {m['load_average']:.1f}"
    sections = [
        Figure(
            f"  section {name.removeprefix('section:')} ({database})",
            value,
            "s",
            note=f"CPU {m['section_cpu:' + name.removeprefix('section:')]:.2f} s",
        )
        for name, value in m.items()
        if name.startswith("section:")
    ]
    return [
        Figure(f"复盘 report ({database})", m["report"], "s", "< 30 s", size),
        Figure(f"复盘 report CPU time ({database})", m["report_cpu"], "s", note=cpu_note),
        *sections,
        Figure(f"report PDF rendering ({database})", m["pdf"], "s"),
        Figure(f"scorecard 100 agents × 30 days ({database})", m["scorecard_ms"], "ms", "< 500 ms", runs),
        Figure(f"scorecard CPU time ({database})", m["scorecard_cpu_ms"], "ms", note=cpu_note),
    ]


def run(full: bool) -> list[Figure]:
    orders, conversations = (1_000_000, 200_000) if full else (100_000, 20_000)
    size = f"{orders:,} orders, {conversations:,} chats, {orders * 6 // 100:,} tickets"
    with scratch_sqlite() as url:
        _load(url, orders, conversations)
        figures = _figures("SQLite", size, _measure(url))
    with scratch_postgres() as pg_url:
        if pg_url is None:
            return figures + [Figure("PostgreSQL not reachable", 0, "", note=PG_ADMIN_URL)]
        _load(pg_url, orders, conversations)
        return figures + _figures("PostgreSQL", size, _measure(pg_url))
