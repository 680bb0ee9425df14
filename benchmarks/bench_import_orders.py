"""Issue 2: bulk import of generated orders into SQLite, against a raw ``executemany`` of the same rows.

Two figures, each beside its own raw baseline (sqlite3 ``executemany`` of plain INSERTs of the
same rows, one transaction, same migrated schema and indexes):

- the service core: ``ingest_orders`` of pre-built ``OrderIn`` (no validation, no items), customers
  and orders only;
- the real path of ``aftersales import orders FILE.csv --mapping taobao``: a generated Taobao
  order-report CSV (one item and one tracking number per order) read, mapped, validated and
  stored by ``OrderImporter`` (orders, customers, items, parcels); its baseline inserts the same
  customers, orders, items and parcels;
- the same report as a 100,000-row XLSX workbook (1,000,000 with ``--full``), against the same
  raw baseline.

Each figure is the median of three runs, ours and raw taking turns in the same process, so a
busy machine slows both alike.
"""

import csv
import sqlite3
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from openpyxl import Workbook
from sqlalchemy.orm import Session

from aftersales.catalog.models import Platform, Shop
from aftersales.db import make_engine
from aftersales.orders.importer import ColumnMapping, OrderImporter
from aftersales.orders.models import OrderStatus
from aftersales.orders.schemas import OrderIn
from aftersales.orders.service import ingest_orders
from benchmarks.figures import Figure, scratch_sqlite

BATCH = 5000
SHOP_NAME = "压测旗舰店"
TAOBAO_HEADER = [
    "订单编号", "买家会员名", "店铺名称", "订单状态", "总金额", "买家实际支付金额", "买家应付邮费",
    "收货人姓名", "联系手机", "收货地址", "订单创建时间", "订单付款时间", "宝贝标题", "宝贝总数量",
    "物流单号", "物流公司",
]  # fmt: skip


def _orders(count: int) -> list[OrderIn]:
    start = datetime(2026, 11, 11, tzinfo=UTC)
    return [
        OrderIn.model_construct(
            shop_code="bench",
            order_no=f"B{n:010d}",
            buyer_nick=f"buyer{n % (count // 2 + 1)}",
            status=OrderStatus.PAID,
            total_fen=19900,
            paid_fen=19900,
            postage_fen=0,
            receiver_name="张三",
            receiver_phone=f"138{n:08d}",
            province="浙江省",
            city="杭州市",
            district="西湖区",
            address="文三路 1号",
            buyer_message=None,
            seller_note=None,
            invoice_title=None,
            ordered_at=start + timedelta(seconds=n),
            paid_at=start + timedelta(seconds=n + 30),
            promised_delivery_at=None,
            items=[],
        )
        for n in range(count)
    ]


def _ours(url: str, orders: list[OrderIn]) -> float:
    engine = make_engine(url)
    with Session(engine) as session:
        session.add(Shop(code="bench", name="bench", platform=Platform.TMALL))
        session.commit()
        started = time.perf_counter()
        for i in range(0, len(orders), BATCH):
            ingest_orders(session, orders[i : i + BATCH])
        session.commit()
        elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def _raw(url: str, orders: list[OrderIn]) -> float:
    conn = sqlite3.connect(url.removeprefix("sqlite:///"))
    conn.execute(
        "INSERT INTO shops (code, name, platform, created_at) VALUES ('bench','bench','tmall','2026-11-11')"
    )
    customers = {nick: i + 1 for i, nick in enumerate(dict.fromkeys(o.buyer_nick for o in orders))}
    started = time.perf_counter()
    conn.executemany(
        "INSERT INTO customers (id, platform, source_id, name, phone, province, city, is_vip, created_at) "
        "VALUES (?, 'tmall', ?, '张三', '13800000000', '浙江省', '杭州市', 0, '2026-11-11')",
        [(i, nick) for nick, i in customers.items()],
    )
    conn.executemany(
        "INSERT INTO orders (shop_id, customer_id, platform, source_id, status, total_fen, paid_fen, "
        "postage_fen, receiver_name, receiver_phone, province, city, district, address, ordered_at, "
        "paid_at, updated_at) VALUES (1, ?, 'tmall', ?, 'paid', 19900, 19900, 0, '张三', ?, '浙江省', "
        "'杭州市', '西湖区', '文三路 1号', ?, ?, ?)",
        [
            (
                customers[o.buyer_nick],
                o.order_no,
                o.receiver_phone,
                o.ordered_at.isoformat(" "),
                o.paid_at.isoformat(" ") if o.paid_at else None,
                o.ordered_at.isoformat(" "),
            )
            for o in orders
        ],
    )
    conn.commit()
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def _taobao_rows(count: int) -> Any:
    """A Taobao 订单报表 as the seller centre exports it: shipped orders, one item, one parcel each."""
    start = datetime(2026, 11, 11)
    for n in range(count):
        ordered = start + timedelta(seconds=n)
        yield [f"T{n:012d}", f"buyer{n % (count // 2 + 1)}", SHOP_NAME, "卖家已发货，等待买家确认",
               "199.00", "199.00", "0.00", "张三", f"138{n:08d}", "浙江省 杭州市 西湖区 文三路 1号",
               f"{ordered:%Y-%m-%d %H:%M:%S}", f"{ordered + timedelta(seconds=30):%Y-%m-%d %H:%M:%S}",
               "保温杯 500ml", "1", f"7{n:013d}", "中通快递"]  # fmt: skip


def _taobao_csv(path: Path, count: int) -> None:
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(TAOBAO_HEADER)
        writer.writerows(_taobao_rows(count))


def _taobao_xlsx(path: Path, count: int) -> None:
    """The same report saved as a workbook (text cells, as the seller centre writes them)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(TAOBAO_HEADER)
    for row in _taobao_rows(count):
        sheet.append(row)
    workbook.save(path)


def _ours_file(url: str, path: Path) -> float:
    engine = make_engine(url)
    with Session(engine) as session:
        session.add(Shop(code="bench", name=SHOP_NAME, platform=Platform.TAOBAO))
        session.commit()
        started = time.perf_counter()
        report = OrderImporter(session, ColumnMapping.load("taobao"), batch_size=BATCH).run(path)
        session.commit()
        elapsed = time.perf_counter() - started
    engine.dispose()
    assert not report.errors, report.errors[:3]
    return elapsed


def _raw_file(url: str, count: int) -> float:
    """The same customers, orders, items and parcels as the CSV, as plain INSERTs."""
    conn = sqlite3.connect(url.removeprefix("sqlite:///"))
    conn.execute(
        "INSERT INTO shops (code, name, platform, created_at) VALUES ('bench','bench','taobao','2026-11-11')"
    )
    start = datetime(2026, 11, 11, tzinfo=UTC) - timedelta(hours=8)
    buyers = count // 2 + 1
    started = time.perf_counter()
    conn.executemany(
        "INSERT INTO customers (id, platform, source_id, name, phone, province, city, is_vip, created_at) "
        "VALUES (?, 'taobao', ?, '张三', '13800000000', '浙江省', '杭州市', 0, '2026-11-11')",
        [(i + 1, f"buyer{i}") for i in range(min(buyers, count))],
    )
    conn.executemany(
        "INSERT INTO orders (id, shop_id, customer_id, platform, source_id, status, total_fen, paid_fen, "
        "postage_fen, receiver_name, receiver_phone, province, city, district, address, ordered_at, "
        "paid_at, updated_at) VALUES (?, 1, ?, 'taobao', ?, 'shipped', 19900, 19900, 0, '张三', ?, "
        "'浙江省', '杭州市', '西湖区', '文三路 1号', ?, ?, ?)",
        (
            (n + 1, n % buyers + 1, f"T{n:012d}", f"138{n:08d}", at, at, at)
            for n in range(count)
            for at in [(start + timedelta(seconds=n)).isoformat(" ")]
        ),
    )
    conn.executemany(
        "INSERT INTO order_items (order_id, line_no, title, quantity, unit_price_fen) "
        "VALUES (?, 0, '保温杯 500ml', 1, 19900)",
        ((n + 1,) for n in range(count)),
    )
    conn.executemany(
        "INSERT INTO shipments (order_id, courier, tracking_no, shipped_at, is_reshipment, direction) "
        "VALUES (?, 'zto', ?, ?, 0, 'outbound')",
        ((n + 1, f"7{n:013d}", (start + timedelta(seconds=n + 30)).isoformat(" ")) for n in range(count)),
    )
    conn.commit()
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def _turns(ours: Any, raw: Any, repeats: int = 3) -> tuple[float, float]:
    """Median seconds of ours and of raw, each on a fresh database, taking turns."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        for action, spent in ((ours, times[0]), (raw, times[1])):
            with scratch_sqlite() as url:
                spent.append(action(url))
    return statistics.median(times[0]), statistics.median(times[1])


def _file_figures(count: int, scratch: Path, suffix: str) -> list[Figure]:
    path = scratch / f"taobao-orders.{suffix}"
    (_taobao_csv if suffix == "csv" else _taobao_xlsx)(path, count)
    ours, raw = _turns(lambda url: _ours_file(url, path), lambda url: _raw_file(url, count))
    kind = suffix.upper()
    return _against_raw(
        f"import {count:,} orders from a taobao {kind} (SQLite)",
        "aftersales import orders path: parse, map, validate; items and parcels",
        ("raw executemany of the same orders, items and parcels", f"{kind} import / raw time"),
        count / ours,
        count / raw,
        ratio_goal="≤ 3x" if suffix == "csv" else "",
    )


def _against_raw(
    name: str,
    note: str,
    raw_names: tuple[str, str],
    ours_rate: float,
    raw_rate: float,
    *,
    ratio_goal: str = "≤ 3x",
) -> list[Figure]:
    """Our rate with its goal, the raw rate of the same rows, and the time ratio."""
    return [
        Figure(name, ours_rate, "orders/s", "≥ 20,000/s", note),
        Figure(raw_names[0], raw_rate, "orders/s"),
        Figure(raw_names[1], raw_rate / ours_rate, "x", ratio_goal),
    ]


def _core_figures(count: int) -> list[Figure]:
    orders = _orders(count)
    ours, raw = _turns(lambda url: _ours(url, orders), lambda url: _raw(url, orders))
    return _against_raw(
        f"import {count:,} orders (SQLite)",
        "ingest_orders core, no items",
        ("raw executemany of the same rows", "ours / raw time"),
        count / ours,
        count / raw,
        ratio_goal="≤ 2x",
    )


def run(full: bool) -> list[Figure]:
    count = 1_000_000 if full else 100_000
    core = _core_figures(count)
    with TemporaryDirectory() as scratch:
        csv_figures = _file_figures(count if full else count // 5, Path(scratch), "csv")
        xlsx_figures = _file_figures(count, Path(scratch), "xlsx")
    return [*core, *csv_figures, *xlsx_figures]
