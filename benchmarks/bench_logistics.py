"""Issue 4: the anomaly scan over a peak's parcels, and message rendering + outbox enqueue.

Scan: N shipments with ~6 tracking events each (default 100k/600k, ``full=True`` 1M/6M), spread
over the last 15 days with realistic shares of late, silent, stuck, failed, returned, never
collected and split parcels and two restricted provinces; loaded with the driver's bulk paths
(``executemany`` on SQLite, ``COPY`` on PostgreSQL). Timed on each database: the first periodic
scan (a full sweep: every rule + restricted-region holds, what the daily sweep runs), then three
rounds of ten minutes of peak tracking events (ingested through ``ingest_tracking_events``, not
timed) each followed by the periodic scan (incremental: the marked and threshold-crossing parcels
only), then a full sweep at the last moment whose findings must equal the incremental ones.

Messages: ``send_customer_messages`` renders the split-parcel template for orders loaded in bulk
and queues them in the outbox, in batches of 1,000 (SQLite).
"""

import os
import random
import sqlite3
import statistics
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from aftersales.db import make_engine
from aftersales.logistics.defaults import ensure_defaults
from aftersales.logistics.models import Anomaly
from aftersales.logistics.service import periodic_scan, scan
from aftersales.messaging.service import send_customer_messages
from aftersales.orders.models import Shipment, TrackingStatus
from aftersales.orders.schemas import TrackingEventIn
from aftersales.orders.service import ingest_tracking_events
from aftersales.registry import load_all_models
from benchmarks.figures import Figure, scratch_postgres, scratch_sqlite

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
NOW = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)
CHUNK = 50_000
COURIERS = ("zto", "yto", "yunda", "sto", "sf", "jd", "ems", "jt")
PROVINCES = (
    ("浙江省", "杭州市", "西湖区"),
    ("广东省", "深圳市", "南山区"),
    ("北京市", "北京市", "朝阳区"),
    ("四川省", "成都市", "武侯区"),
    ("新疆维吾尔自治区", "乌鲁木齐市", "天山区"),
    ("西藏自治区", "拉萨市", "城关区"),
    ("江苏省", "南京市", "鼓楼区"),
    ("河南省", "郑州市", "金水区"),
)
# share of parcels per fate; the rest are delivered on time or still moving normally
# shares as in the demo's parcel model (aftersales/demo/parcels.py)
FATES = (("no_scan", 0.01), ("silent", 0.02), ("stuck", 0.015), ("failed", 0.006), ("returned", 0.003),
         ("late", 0.03), ("moving", 0.08))  # fmt: skip


def _fate(rng: random.Random) -> str:
    roll = rng.random()
    for name, share in FATES:
        if roll < share:
            return name
        roll -= share
    return "delivered"


def _parcel(rng: random.Random, sid: int) -> tuple[dict[str, Any], list[tuple[Any, ...]]]:
    """One parcel's state columns and its events (time, status, location, text)."""
    shipped = NOW - timedelta(hours=rng.uniform(6, 15 * 24))
    fate = _fate(rng)
    eta = shipped + timedelta(hours=rng.uniform(48, 96))
    if fate == "late":
        eta = min(eta, NOW - timedelta(hours=rng.uniform(1, 30)))
        shipped = min(shipped, eta - timedelta(hours=40))
    if fate == "moving":  # shipped recently, on time
        shipped = NOW - timedelta(hours=rng.uniform(6, 40))
        eta = shipped + timedelta(hours=rng.uniform(48, 96))
    if fate == "no_scan":
        shipped = NOW - timedelta(hours=rng.uniform(30, 90))
        return {"shipped": shipped, "eta": eta, "status": None, "events": 0}, []
    span = (NOW - shipped).total_seconds() / 3600
    end = {"silent": span * 0.3, "stuck": span * 0.9}.get(fate, span * rng.uniform(0.6, 0.98))
    if fate == "silent" and span < 60:
        end = span * 0.95
    hubs = (
        ("杭州", "杭州", "郑州", "郑州", "郑州", "郑州")
        if fate == "stuck"
        else ("杭州", "杭州", "上海", "郑州", "北京", "北京")
    )
    statuses = ["collected", "in_transit", "in_transit", "in_transit", "out_for_delivery", "delivered"]
    if fate in ("failed", "returned"):
        statuses[5] = fate
    elif fate in ("silent", "moving", "late", "stuck"):
        statuses[5] = "in_transit"
    events = []
    for n in range(6):
        at = shipped + timedelta(hours=1 + (end - 1) * n / 5)
        if fate == "stuck" and n >= 2:  # arrives at the hub early, then only local scans
            at = shipped + timedelta(hours=span * (0.2 + 0.7 * (n - 2) / 3))
        events.append((sid, f"e{n}", min(at, NOW), statuses[n], hubs[n], f"{hubs[n]} {statuses[n]}"))
    state = {"shipped": shipped, "eta": eta, "status": statuses[5], "events": events}
    return state, events


def _rows(
    count: int, seed: int
) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """Chunks of (orders, shipments, events); every 10th order is split into two parcels."""
    rng = random.Random(seed)
    sid = oid = 0
    while sid < count:
        orders, shipments, events = [], [], []
        while len(shipments) < CHUNK and sid < count:
            oid += 1
            province, city, district = PROVINCES[oid % len(PROVINCES)]
            orders.append((oid, f"B{oid:010d}", province, city, district))
            for _ in range(2 if oid % 10 == 0 else 1):
                sid += 1
                state, parcel_events = _parcel(rng, sid)
                first = parcel_events[0][2] if parcel_events else None
                last = parcel_events[-1][2] if parcel_events else None
                delivered = last if state["status"] == "delivered" else None
                location = parcel_events[-1][4] if parcel_events else None
                courier = COURIERS[sid % len(COURIERS)]
                shipments.append((sid, oid, courier, f"T{sid:012d}", state["shipped"], state["eta"],
                                  state["status"], first, last, location, delivered))  # fmt: skip
                events += parcel_events
        yield orders, shipments, events


def _sqlite_time(value: datetime | None) -> str | None:
    return (
        None if value is None else value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    )


def _load_sqlite(url: str, count: int) -> None:
    conn = sqlite3.connect(url.removeprefix("sqlite:///"))
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute(
        "INSERT INTO shops (id, code, name, platform, created_at) VALUES (1,'b','b','tmall','2026-11-01')"
    )
    conn.execute(
        "INSERT INTO customers (id, platform, source_id, is_vip, created_at) "
        "VALUES (1,'tmall','b',0,'2026-11-01')"
    )
    t = _sqlite_time
    for orders, shipments, events in _rows(count, 4):
        conn.executemany(
            "INSERT INTO orders (id, shop_id, customer_id, platform, source_id, status, total_fen, paid_fen, "
            "postage_fen, province, city, district, ordered_at, updated_at) VALUES "
            "(?,1,1,'tmall',?,'shipped',9900,9900,0,?,?,?,'2026-11-10','2026-11-10')",
            orders,
        )
        conn.executemany(
            "INSERT INTO shipments (id, order_id, courier, tracking_no, shipped_at, estimated_delivery_at, "
            "status, "
            "first_scan_at, last_event_at, last_location, delivered_at, is_reshipment) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,0)",
            [(*s[:4], t(s[4]), t(s[5]), s[6], t(s[7]), t(s[8]), s[9], t(s[10])) for s in shipments],
        )
        conn.executemany(
            "INSERT INTO tracking_events (shipment_id, source_id, occurred_at, status, location, raw_text) "
            "VALUES (?,?,?,?,?,?)",
            [(e[0], e[1], t(e[2]), e[3], e[4], e[5]) for e in events],
        )
        conn.commit()
    conn.execute("ANALYZE")
    conn.close()


def _load_postgres(url: str, count: int) -> None:
    import psycopg

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "INSERT INTO shops (id, code, name, platform, created_at) VALUES (1,'b','b','tmall',now())"
        )
        conn.execute(
            "INSERT INTO customers (id, platform, source_id, is_vip, created_at) "
            "VALUES (1,'tmall','b',false,now())"
        )
        for orders, shipments, events in _rows(count, 4):
            with conn.cursor().copy(
                "COPY orders (id, shop_id, customer_id, platform, source_id, status, total_fen, paid_fen, "
                "postage_fen, province, city, district, ordered_at, updated_at) FROM STDIN"
            ) as copy:
                for o in orders:
                    copy.write_row((o[0], 1, 1, "tmall", o[1], "shipped", 9900, 9900, 0, *o[2:], NOW, NOW))
            with conn.cursor().copy(
                "COPY shipments (id, order_id, courier, tracking_no, shipped_at, estimated_delivery_at, "
                "status, "
                "first_scan_at, last_event_at, last_location, delivered_at, is_reshipment) FROM STDIN"
            ) as copy:
                for s in shipments:
                    copy.write_row((*s, False))
            with conn.cursor().copy(
                "COPY tracking_events (shipment_id, source_id, occurred_at, status, location, raw_text) "
                "FROM STDIN"
            ) as copy:
                for e in events:
                    copy.write_row(e)
        conn.execute("SELECT setval('orders_id_seq', (SELECT max(id) FROM orders))")
        conn.execute("SELECT setval('shipments_id_seq', (SELECT max(id) FROM shipments))")
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")


def _cpu_seconds(session: Session) -> float:
    """CPU time of whoever runs the statements: this process on SQLite, the PostgreSQL backend
    (read from /proc, so only for a server on this host; NaN otherwise). The machine is shared:
    wall time alone mostly measures the other users."""
    if session.get_bind().dialect.name != "postgresql":
        return time.process_time()
    pid = session.scalar(text("SELECT pg_backend_pid()"))
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


PEAK_EVENTS = 20_000  # per 10 minutes: ~7x the average rate of 6M events over 15 days
ROUNDS = 3
INTERVAL = timedelta(minutes=10)
Finding = tuple[int, str, str, datetime | None]


def _cpu(session: Session) -> tuple[float, float]:
    """(database CPU, this process's CPU): the same clock on SQLite."""
    return _cpu_seconds(session), time.process_time()


def _timed(session: Session, action: Any) -> tuple[float, float, float, dict[str, int]]:
    """Wall, database CPU and client CPU (PostgreSQL; 0 on SQLite) of one scan, committed."""
    started, (db, client) = time.perf_counter(), _cpu(session)
    counts = action()
    session.flush()
    db_after, client_after = _cpu(session)
    session.commit()
    elapsed = time.perf_counter() - started
    client_cpu = client_after - client if session.get_bind().dialect.name == "postgresql" else 0.0
    return elapsed, db_after - db, client_cpu, counts


def _open_findings(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Anomaly).where(Anomaly.status == "open")) or 0


def _findings(session: Session) -> set[Finding]:
    rows = session.execute(select(Anomaly.shipment_id, Anomaly.kind, Anomaly.status, Anomaly.observed_at))
    return {(sid, str(kind), str(status), observed) for sid, kind, status, observed in rows}


def _peak_events(session: Session, rng: random.Random, start: datetime, tag: str) -> None:
    """``PEAK_EVENTS`` courier events of the ``INTERVAL`` after ``start`` on parcels still on
    their way, through ``ingest_tracking_events`` (which marks the parcels, as in production)."""
    moving = session.execute(
        select(Shipment.courier, Shipment.tracking_no).where(
            Shipment.delivered_at.is_(None),
            Shipment.status.in_(["collected", "in_transit", "out_for_delivery"]),
        )
    ).all()
    picked = rng.sample(moving, min(PEAK_EVENTS, len(moving)))
    kinds = (("in_transit", "快件已到达【武汉转运中心】", "武汉"), ("out_for_delivery", "快件派送中", "北京"),
             ("delivered", "已签收,签收人:本人签收", "北京"))  # fmt: skip
    events = []
    for n, (courier, tracking_no) in enumerate(picked):
        status, raw, where = kinds[0] if rng.random() < 0.65 else kinds[1 if rng.random() < 0.57 else 2]
        events.append(
            TrackingEventIn(
                courier=courier,
                tracking_no=tracking_no,
                occurred_at=start + timedelta(seconds=rng.uniform(1, INTERVAL.total_seconds() - 1)),
                raw_text=raw,
                location=where,
                status=TrackingStatus(status),
                event_id=f"{tag}-{n}",
            )
        )
    for batch in range(0, len(events), 1000):
        ingest_tracking_events(session, events[batch : batch + 1000])
        session.commit()


def _add_regions(session: Session, url: str) -> None:
    session.execute(
        text(
            "INSERT INTO restricted_regions (province, city, district, courier, reason, valid_from, "
            "created_at, "
            "updated_at) VALUES ('新疆维吾尔自治区','','','*','大促停发',:t,:t,:t), "
            "('西藏自治区','','','*','大促停发',:t,:t,:t)"
        ),
        {"t": _sqlite_time(NOW - timedelta(days=5)) if url.startswith("sqlite") else NOW - timedelta(days=5)},
    )


def _timed_scans(url: str) -> dict[str, Any]:
    """The first periodic scan (a full sweep: nothing to start from), then ``ROUNDS`` times ten
    minutes of peak events followed by the periodic (incremental) scan, then a full sweep at
    the last moment, which must find exactly what the incremental scans left."""
    load_all_models()  # the domain-event handlers, as the API and the workers have them
    engine = make_engine(url)
    result: dict[str, Any] = {}
    with Session(engine) as session:
        ensure_defaults(session)
        _add_regions(session, url)
        session.commit()
        wall, db, client, counts = _timed(session, lambda: periodic_scan(session, now=NOW))
        assert counts["incremental"] == 0
        result["full"] = (wall, db, client, _open_findings(session))
        rng, rounds = random.Random(7), []
        for n in range(1, ROUNDS + 1):
            now = NOW + n * INTERVAL
            _peak_events(session, rng, now - INTERVAL, f"peak{n}")
            wall, db, client, counts = _timed(session, lambda now=now: periodic_scan(session, now=now))  # type: ignore[misc]
            assert counts["incremental"] == 1
            rounds.append((wall, db, client, counts["parcels"], _open_findings(session)))
        result["incremental"] = rounds
        incremental = _findings(session)
        wall, db, client, _ = _timed(session, lambda: scan(session, now=NOW + ROUNDS * INTERVAL))
        swept = _findings(session)
        result["rescan"] = (wall, db, client, _open_findings(session))
        result["differences"] = len(incremental ^ swept)
        result["load_average_1m"] = os.getloadavg()[0]
    engine.dispose()
    return result


def _cpu_text(db: float, client: float, postgres: bool) -> str:
    return f"{db:.2f} s CPU backend + {client:.2f} s client" if postgres else f"{db:.2f} s CPU"


def _db_figures(label: str, count: int, result: dict[str, Any], postgres: bool) -> list[Figure]:
    wall, db, client, findings = result["full"]
    rescan_wall, rescan_db, rescan_client, _ = result["rescan"]
    figures = [
        Figure(
            f"anomaly scan, full sweep, {count:,} parcels / ~{count * 6:,} events ({label})",
            wall,
            "s",
            "< 5 s",
            f"{_cpu_text(db, client, postgres)}; {findings:,} open findings (first sweep; a rescan of "
            f"the same findings {rescan_wall:.1f} s wall, {_cpu_text(rescan_db, rescan_client, postgres)})",
        )
    ]
    rounds = result["incremental"]
    walls = statistics.median(r[0] for r in rounds)
    dbs = statistics.median(r[1] for r in rounds)
    clients = statistics.median(r[2] for r in rounds)
    same = "identical to" if result["differences"] == 0 else f"{result['differences']:,} findings differ from"
    figures.append(
        Figure(
            f"anomaly scan, periodic (incremental) after 10 min of {PEAK_EVENTS:,} peak events, "
            f"{count:,} parcels ({label})",
            walls,
            "s",
            "< 5 s",
            f"median of {len(rounds)}: {_cpu_text(dbs, clients, postgres)}; "
            f"{statistics.median(r[3] for r in rounds):,.0f} parcels evaluated; "
            f"{rounds[-1][4]:,} open findings, {same} a full sweep at the same moment; "
            f"load average {result['load_average_1m']:.1f}",
        )
    )
    return figures


def _scan_figures(count: int) -> list[Figure]:
    figures = []
    with scratch_sqlite() as url:
        _load_sqlite(url, count)
        figures += _db_figures("SQLite", count, _timed_scans(url), postgres=False)
    with scratch_postgres() as pg:
        if pg is None:
            figures.append(
                Figure("anomaly scan (PostgreSQL)", float("nan"), "s", "< 5 s", "PostgreSQL not reachable")
            )
        else:
            _load_postgres(pg, count)
            figures += _db_figures("PostgreSQL", count, _timed_scans(pg), postgres=True)
    return figures


def _message_figure(count: int) -> Figure:
    with scratch_sqlite() as url:
        _load_sqlite(url, count)
        engine = make_engine(url)
        with Session(engine) as session:
            ensure_defaults(session)
            session.commit()
            order_ids = list(session.scalars(text("SELECT id FROM orders ORDER BY id")))
            started, cpu = time.perf_counter(), time.process_time()
            for start in range(0, len(order_ids), 1000):
                batch = order_ids[start : start + 1000]
                send_customer_messages(
                    session, template_code="split_notice", sends=[(o, f"bench:{o}", None) for o in batch]
                )
            session.commit()
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        engine.dispose()
    return Figure(
        f"render + outbox enqueue, {len(order_ids):,} split-parcel notices (SQLite)",
        len(order_ids) / elapsed,
        "messages/s",
        "≥ 5,000/s",
        f"{len(order_ids) / cpu:,.0f}/s per CPU-second (in-process SQLite; wall time includes other load)",
    )


def run(full: bool) -> list[Figure]:
    parcels = 1_000_000 if full else 100_000
    return [*_scan_figures(parcels), _message_figure(100_000 if full else 20_000)]
