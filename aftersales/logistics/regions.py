"""Restricted regions (停发地区): the list, its daily spreadsheet import, and the orders it affects.

During peaks and bad weather couriers stop delivering to whole provinces or single districts.
Orders going there that are unshipped or in transit are flagged (``region_holds``: the warehouse
holds unshipped ones) and the buyer gets a proactive notice, before they ask where the parcel is.
"""

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import and_, bindparam, exists, func, or_, select
from sqlalchemy.orm import Session

from aftersales.kit import cells
from aftersales.kit.errors import InvalidInputError, NotFoundError
from aftersales.kit.tables import read_table, require_columns
from aftersales.kit.time import as_utc, format_local, utcnow
from aftersales.kit.types import UTCDateTime
from aftersales.kit.upsert import conflict_insert
from aftersales.logistics.errors import RegionImportError
from aftersales.logistics.models import ANY_COURIER, RegionHold, RestrictedRegion
from aftersales.logistics.scan import region_match
from aftersales.messaging.service import CustomerSend, send_customer_messages
from aftersales.messaging.templates import MessageTemplate
from aftersales.orders.couriers import courier_code
from aftersales.orders.models import Order, OrderStatus, Shipment
from aftersales.orders.repository import chunks

NOTICE_TEMPLATE = "restricted_notice"
HOLD_WINDOW_DAYS = 30
MAX_UPLOAD_BYTES = 5 * 1024 * 1024

COLUMNS: dict[str, list[str]] = {
    "province": ["省份", "省", "province"],
    "city": ["城市", "市", "city"],
    "district": ["区县", "区", "district"],
    "courier": ["快递公司", "快递", "courier"],
    "reason": ["停发原因", "原因", "reason"],
    "valid_from": ["开始时间", "生效时间", "valid_from"],
    "valid_until": ["结束时间", "失效时间", "恢复时间", "valid_until"],
}
REQUIRED = ("province", "reason")


@dataclass
class RegionImportReport:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)


def _when(value: datetime) -> Any:
    return bindparam(None, value, type_=UTCDateTime())


def save_region(
    session: Session,
    *,
    province: str,
    reason: str,
    city: str = "",
    district: str = "",
    courier: str = ANY_COURIER,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
) -> tuple[RestrictedRegion, bool]:
    """Create or update the restriction of one area (and courier); returns (row, created)."""
    if not province.strip():
        raise InvalidInputError("province", "省份不能为空")
    if not reason.strip():
        raise InvalidInputError("reason", "停发原因不能为空")
    valid_from = as_utc(valid_from) if valid_from else utcnow()
    valid_until = as_utc(valid_until) if valid_until else None
    if valid_until is not None and valid_until <= valid_from:
        raise InvalidInputError("valid_until", "结束时间必须晚于开始时间")
    if courier != ANY_COURIER:
        try:
            courier = courier_code(courier)
        except KeyError:
            raise InvalidInputError("courier", f"未知快递公司: {courier}") from None
    key = (province.strip(), (city or "").strip(), (district or "").strip(), courier)
    region = session.scalar(
        select(RestrictedRegion).where(
            RestrictedRegion.province == key[0],
            RestrictedRegion.city == key[1],
            RestrictedRegion.district == key[2],
            RestrictedRegion.courier == key[3],
        )
    )
    created = region is None
    if region is None:
        region = RestrictedRegion(province=key[0], city=key[1], district=key[2], courier=key[3])
        session.add(region)
    region.reason, region.valid_from, region.valid_until = reason.strip(), valid_from, valid_until
    session.flush()
    return region, created


def delete_region(session: Session, *, region_id: int) -> None:
    region = session.get(RestrictedRegion, region_id)
    if region is None:
        raise NotFoundError(f"停发地区不存在: {region_id}")
    session.delete(region)
    session.flush()


def list_regions(session: Session, *, active_at: datetime | None = None) -> list[RestrictedRegion]:
    query = select(RestrictedRegion).order_by(
        RestrictedRegion.province, RestrictedRegion.city, RestrictedRegion.id
    )
    if active_at is not None:
        query = query.where(
            RestrictedRegion.valid_from <= active_at,
            or_(RestrictedRegion.valid_until.is_(None), RestrictedRegion.valid_until > active_at),
        )
    return list(session.scalars(query))


def _cell(row: dict[str, Any], names: list[str]) -> Any:
    for name in names:
        if name in row:
            return row[name]
    return None


def _parse_row(row: dict[str, Any]) -> dict[str, Any]:
    """One spreadsheet row to ``save_region`` arguments; raises ``CellError`` naming the column."""
    values: dict[str, Any] = {}
    for name, candidates in COLUMNS.items():
        raw = _cell(row, candidates)
        try:
            if name in ("valid_from", "valid_until"):
                stamp = cells.timestamp(raw)
                values[name] = as_utc(stamp) if stamp else None
            elif name in REQUIRED:
                values[name] = cells.required_text(raw)
            else:
                values[name] = cells.text(raw) or ""
        except cells.CellError as exc:
            raise cells.CellError(f"{candidates[0]}: {exc}") from None
    values["courier"] = values["courier"] or ANY_COURIER
    return values


def import_regions(session: Session, path: Path) -> RegionImportReport:
    """Daily bulk import (CSV/XLSX). Bad rows are reported with row number; good rows are stored;
    importing the same file again updates in place (keyed by area + courier), never duplicates."""
    table = read_table(path)
    require_columns(table.headers, {name: COLUMNS[name] for name in REQUIRED})
    report = RegionImportReport()
    for number, row in table.rows:
        try:
            values = _parse_row(row)
            with session.begin_nested():
                _region, created = save_region(session, **values)
        except cells.CellError as exc:
            column, _, reason = str(exc).partition(": ")
            report.errors.append((number, column, reason))
            continue
        except InvalidInputError as exc:
            report.errors.append((number, exc.field, exc.message.partition(": ")[2]))
            continue
        report.created += created
        report.updated += not created
    return report


def import_upload(
    session: Session, *, filename: str, data: bytes, now: datetime | None = None
) -> tuple[RegionImportReport, int]:
    """A file uploaded in the console or the API, read by the CLI's importer but all or nothing:
    one bad row (named with its row and column) and none of the file is stored. Returns the
    report and how many orders the regions now hold."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInputError("file", f"文件超过 {MAX_UPLOAD_BYTES // 1024 // 1024} MB")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{Path(filename).suffix.lower()}"
        path.write_bytes(data)
        savepoint = session.begin_nested()
        report = import_regions(session, path)
        if report.errors:
            savepoint.rollback()
            raise RegionImportError(report.errors)
        savepoint.commit()
    return report, flag_orders(session, now=now or utcnow())


ORDER_CHUNK = 2000


def flag_orders(session: Session, *, now: datetime, order_ids: Sequence[int] | None = None) -> int:
    """One ``INSERT … SELECT``: paid-but-unshipped and in-transit orders of the last 30 days whose
    address lies in an active restricted region get a hold (once per order and region). Returns
    how many holds are new. Orders are pre-filtered by the (few) restricted provinces.
    ``order_ids``: only these orders (the incremental scan's changed ones), in chunks."""
    provinces = sorted({r.province for r in list_regions(session, active_at=now)})
    if not provinces:
        return 0
    if order_ids is not None:
        ids = sorted(set(order_ids))
        return sum(
            _flag(session, now=now, provinces=provinces, only=chunk) for chunk in chunks(ids, ORDER_CHUNK)
        )
    return _flag(session, now=now, provinces=provinces)


def _flag(session: Session, *, now: datetime, provinces: list[str], only: Sequence[int] | None = None) -> int:
    at = _when(now)
    undelivered = exists().where(Shipment.order_id == Order.id, Shipment.delivered_at.is_(None))
    query = (
        select(Order.id, RestrictedRegion.id, Order.status == OrderStatus.SHIPPED, at)
        .join(
            RestrictedRegion,
            and_(
                RestrictedRegion.province == Order.province,
                or_(RestrictedRegion.city == "", RestrictedRegion.city == Order.city),
                or_(RestrictedRegion.district == "", RestrictedRegion.district == Order.district),
                RestrictedRegion.valid_from <= at,
                or_(RestrictedRegion.valid_until.is_(None), RestrictedRegion.valid_until > at),
            ),
        )
        .where(
            Order.province.in_(provinces),
            Order.ordered_at >= _when(now - timedelta(days=HOLD_WINDOW_DAYS)),
            or_(Order.status == OrderStatus.PAID, and_(Order.status == OrderStatus.SHIPPED, undelivered)),
        )
    )
    if only is not None:
        query = query.where(Order.id.in_(only))
    statement = (
        conflict_insert(session, RegionHold.__table__)
        .from_select(["order_id", "region_id", "shipped", "created_at"], query)
        .on_conflict_do_nothing(index_elements=["order_id", "region_id"])
        .returning(RegionHold.id)
    )
    return len(session.execute(statement).all())


def notify_holds(session: Session, *, now: datetime | None = None, limit: int = 1000) -> int:
    """Queue the restricted-region notice for held orders not yet told (one per order and region:
    the key is the one the scan's restricted-region finding uses, so the two paths send one)."""
    now = now or utcnow()
    template = session.scalar(select(MessageTemplate).where(MessageTemplate.code == NOTICE_TEMPLATE))
    if template is None or not template.is_active:
        return 0
    rows = session.execute(
        select(RegionHold, RestrictedRegion)
        .join(RestrictedRegion, RestrictedRegion.id == RegionHold.region_id)
        .where(RegionHold.notified_at.is_(None))
        .order_by(RegionHold.id)
        .limit(limit)
    ).all()
    sends = []
    for hold, region in rows:
        sends.append(region_notice(hold.order_id, region))
        hold.notified_at = now
    if sends:
        send_customer_messages(session, template_code=NOTICE_TEMPLATE, sends=sends)
    session.flush()
    return len(sends)


def region_notice(
    order_id: int, region: RestrictedRegion, *, parcel_id: int | None = None, finding_id: int | None = None
) -> CustomerSend:
    """The one notice about ``region`` holding an order, whichever path noticed it first."""
    area = "".join(p for p in (region.province, region.city, region.district) if p)
    return CustomerSend(
        order_id,
        f"logistics:region:{order_id}:{region.id}",
        extra={"restricted_reason": region.reason, "restricted_until": _local_day(region.valid_until)},
        parcel_id=parcel_id,
        why={
            "rule": "停发地区",
            "finding": f"{area} 停发: {region.reason}",
            "region_id": region.id,
            **({"finding_id": finding_id} if finding_id is not None else {}),
        },
    )


def region_for(session: Session, *, order: Order, courier: str, now: datetime) -> RestrictedRegion | None:
    """The active restriction (earliest first) covering the order's address and courier."""
    query = (
        select(RestrictedRegion)
        .where(region_match(order, courier, now))
        .order_by(RestrictedRegion.valid_from)
    )
    return session.scalars(query.limit(1)).first()


@dataclass(frozen=True)
class Restriction:
    """Why an order cannot be shipped or delivered now, for every answer that promises a date."""

    reason: str
    until: datetime | None
    area: str

    def text(self) -> str:
        resume = f"预计 {_local_day(self.until)} 恢复" if self.until else "恢复时间另行通知"
        return f"因{self.reason},快递暂时无法派送到{self.area}({resume}),恢复后会第一时间为您发出/派送"


def order_restriction(
    session: Session, *, order: Any, address: Any | None = None, now: datetime | None = None
) -> Restriction | None:
    """The active restriction covering the order's address (or ``address``: anything with
    province, city and district, e.g. a reshipment's): the one truth the bot, the notices and the
    reshipment check read. A courier-specific one counts when a parcel uses that courier, or
    while nothing is shipped."""
    now = now or utcnow()
    couriers = set(session.scalars(select(Shipment.courier).where(Shipment.order_id == order.id)))
    regions = session.scalars(
        select(RestrictedRegion)
        .where(region_match(address or order, RestrictedRegion.courier, now))
        .order_by(RestrictedRegion.valid_from)
    ).all()
    for region in regions:
        if region.courier == ANY_COURIER or not couriers or region.courier in couriers:
            area = "".join(p for p in (region.province, region.city, region.district) if p)
            return Restriction(region.reason, region.valid_until, area)
    return None


def mark_notified(session: Session, *, order_id: int, region_id: int, now: datetime) -> None:
    """The scan's finding told the buyer: the hold's own notice is the same message."""
    for hold in session.scalars(
        select(RegionHold).where(
            RegionHold.order_id == order_id,
            RegionHold.region_id == region_id,
            RegionHold.notified_at.is_(None),
        )
    ):
        hold.notified_at = now


def _local_day(value: datetime | None) -> str:
    return format_local(value, "%m月%d日") if value else "另行通知"


def holds_for_order(session: Session, order_id: int) -> list[tuple[RegionHold, RestrictedRegion]]:
    rows = session.execute(
        select(RegionHold, RestrictedRegion)
        .join(RestrictedRegion, RestrictedRegion.id == RegionHold.region_id)
        .where(RegionHold.order_id == order_id)
    )
    return [(hold, region) for hold, region in rows]


def hold_counts(session: Session) -> dict[int, tuple[int, int]]:
    """Held orders per region: (not yet shipped — the warehouse must hold them, already travelling)."""
    rows = session.execute(
        select(RegionHold.region_id, RegionHold.shipped, func.count()).group_by(
            RegionHold.region_id, RegionHold.shipped
        )
    )
    counts: dict[int, tuple[int, int]] = {}
    for region_id, shipped, n in rows:
        unshipped, travelling = counts.get(region_id, (0, 0))
        counts[region_id] = (unshipped, travelling + n) if shipped else (unshipped + n, travelling)
    return counts
