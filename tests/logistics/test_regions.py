from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.kit.errors import InvalidInputError
from aftersales.kit.tables import FileFormatError
from aftersales.logistics import regions
from aftersales.logistics.defaults import ensure_defaults
from aftersales.logistics.models import RegionHold, RestrictedRegion
from aftersales.messaging.models import OutboxMessage
from aftersales.orders.models import OrderStatus
from tests.builders import make_order, make_parcel, make_region

NOW = datetime(2026, 11, 12, 4, 0, tzinfo=UTC)
HEADER = "省份,城市,区县,快递公司,停发原因,开始时间,结束时间\n"


def write_csv(tmp_path: Path, body: str, *, encoding: str = "utf-8-sig") -> Path:
    path = tmp_path / "regions.csv"
    path.write_text(HEADER + body, encoding=encoding)
    return path


class TestImport:
    def test_imports_each_row_as_a_restriction(self, session: Session, tmp_path: Path) -> None:
        path = write_csv(
            tmp_path,
            "新疆维吾尔自治区,,,,大促爆仓停发,2026-11-10 00:00,2026-11-20 00:00\n"
            "浙江省,杭州市,余杭区,中通,疫情管控,2026-11-11,\n",
        )
        report = regions.import_regions(session, path)
        rows = session.scalars(select(RestrictedRegion).order_by(RestrictedRegion.id)).all()
        assert (report.created, report.errors) == (2, [])
        assert [(r.province, r.city, r.district, r.courier) for r in rows] == [
            ("新疆维吾尔自治区", "", "", "*"),
            ("浙江省", "杭州市", "余杭区", "zto"),
        ]

    def test_reads_validity_dates_as_shanghai_time(self, session: Session, tmp_path: Path) -> None:
        regions.import_regions(session, write_csv(tmp_path, "西藏自治区,,,,停发,2026-11-10 08:00,\n"))
        region = session.scalar(select(RestrictedRegion))
        assert region is not None
        assert region.valid_from == datetime(2026, 11, 10, 0, 0, tzinfo=UTC)

    def test_importing_the_same_file_again_updates_instead_of_duplicating(
        self, session: Session, tmp_path: Path
    ) -> None:
        path = write_csv(tmp_path, "西藏自治区,,,,停发,2026-11-10,\n")
        regions.import_regions(session, path)
        report = regions.import_regions(session, path)
        assert (report.created, report.updated) == (0, 1)
        assert len(session.scalars(select(RestrictedRegion)).all()) == 1

    def test_reports_bad_rows_by_number_and_keeps_the_good_ones(
        self, session: Session, tmp_path: Path
    ) -> None:
        path = write_csv(
            tmp_path,
            "西藏自治区,,,,停发,2026-11-10,\n,,,,,2026-11-10,\n青海省,,,,停发,明天,\n甘肃省,,,顺风,停发,,\n",
        )
        report = regions.import_regions(session, path)
        assert report.created == 1
        assert [(number, column) for number, column, _ in report.errors] == [
            (3, "省份"),
            (4, "开始时间"),
            (5, "courier"),
        ]

    def test_reads_xlsx_exports(self, session: Session, tmp_path: Path) -> None:
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(["省份", "停发原因", "开始时间"])
        sheet.append(["西藏自治区", "大雪封路", datetime(2026, 11, 10, 9, 0)])
        path = tmp_path / "regions.xlsx"
        book.save(path)
        assert regions.import_regions(session, path).created == 1

    def test_refuses_a_file_without_the_reason_column(self, session: Session, tmp_path: Path) -> None:
        path = tmp_path / "bad.csv"
        path.write_text("省份\n西藏自治区\n", encoding="utf-8")
        with pytest.raises(FileFormatError, match="停发原因"):
            regions.import_regions(session, path)


class TestSave:
    def test_refuses_an_end_before_the_start(self, session: Session) -> None:
        with pytest.raises(InvalidInputError) as caught:
            regions.save_region(
                session,
                province="西藏自治区",
                reason="停发",
                valid_from=NOW,
                valid_until=NOW - timedelta(days=1),
            )
        assert caught.value.field == "valid_until"


class TestHolds:
    def test_flags_unshipped_and_in_transit_orders_going_to_the_region(self, session: Session) -> None:
        make_region(session, province="西藏自治区", valid_from=NOW - timedelta(days=1))
        unshipped = make_order(
            session, province="西藏自治区", status=OrderStatus.PAID, ordered_at=NOW - timedelta(days=1)
        )
        moving = make_order(session, province="西藏自治区", ordered_at=NOW - timedelta(days=2))
        make_parcel(session, order=moving, shipped_at=NOW - timedelta(days=1))
        make_order(session, province="浙江省", status=OrderStatus.PAID, ordered_at=NOW - timedelta(days=1))
        assert regions.flag_orders(session, now=NOW) == 2
        holds = session.scalars(select(RegionHold).order_by(RegionHold.order_id)).all()
        assert [(h.order_id, h.shipped) for h in holds] == [(unshipped.id, False), (moving.id, True)]

    def test_flagging_twice_keeps_one_hold_per_order(self, session: Session) -> None:
        make_region(session, province="西藏自治区", valid_from=NOW - timedelta(days=1))
        make_order(
            session, province="西藏自治区", status=OrderStatus.PAID, ordered_at=NOW - timedelta(days=1)
        )
        regions.flag_orders(session, now=NOW)
        assert regions.flag_orders(session, now=NOW + timedelta(minutes=10)) == 0
        assert len(session.scalars(select(RegionHold)).all()) == 1

    def test_the_buyer_gets_one_notice_with_the_reason(self, session: Session) -> None:
        ensure_defaults(session)
        make_region(
            session,
            province="西藏自治区",
            reason="大雪封路",
            valid_from=NOW - timedelta(days=1),
            valid_until=NOW + timedelta(days=5),
        )
        make_order(
            session, province="西藏自治区", status=OrderStatus.PAID, ordered_at=NOW - timedelta(days=1)
        )
        regions.flag_orders(session, now=NOW)
        assert regions.notify_holds(session, now=NOW) == 1
        assert regions.notify_holds(session, now=NOW) == 0
        [message] = session.scalars(select(OutboxMessage)).all()
        assert "大雪封路" in message.payload["text"]
        assert "11月17日" in message.payload["text"]


def test_the_regions_page_counts_held_orders_by_shipping_state(session: Session) -> None:
    region = make_region(session, province="西藏自治区", valid_from=NOW - timedelta(days=1))
    make_order(session, province="西藏自治区", status=OrderStatus.PAID, ordered_at=NOW - timedelta(days=1))
    moving = make_order(session, province="西藏自治区", ordered_at=NOW - timedelta(days=2))
    make_parcel(session, order=moving, shipped_at=NOW - timedelta(days=1))
    regions.flag_orders(session, now=NOW)
    assert regions.hold_counts(session) == {region.id: (1, 1)}
