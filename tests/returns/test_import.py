from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.returns.importer import import_requests
from aftersales.returns.models import RequestKind, ReturnRequest
from tests.builders import make_order

HEADER = "店铺编码,订单号,退款编号,售后类型,退款原因,退款金额,申请时间\n"


def _csv(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "refunds.csv"
    path.write_text(HEADER + body, encoding="utf-8-sig")
    return path


class TestImport:
    def test_platform_wording_maps_to_reason_codes_and_kinds(self, session: Session, tmp_path: Path) -> None:
        order = make_order(session)
        shop = session.get(Shop, order.shop_id)
        assert shop is not None
        path = _csv(
            tmp_path, f"{shop.code},{order.source_id},RF1,仅退款,七天无理由退货,99.90,2026-11-13 10:00\n"
        )
        report = import_requests(session, path)
        assert (report.stored, report.errors) == (1, [])
        request = session.scalar(select(ReturnRequest).where(ReturnRequest.source_id == "RF1"))
        assert request is not None
        assert (request.kind, request.reason_code, request.refund_fen) == (
            RequestKind.REFUND_ONLY,
            "no_reason",
            9990,
        )

    def test_bad_rows_are_reported_by_row_and_column_and_good_rows_stored(
        self, session: Session, tmp_path: Path
    ) -> None:
        order = make_order(session)
        shop = session.get(Shop, order.shop_id)
        assert shop is not None
        body = (
            f"{shop.code},{order.source_id},RF2,退货退款,尺码不合适,10.00,2026-11-13 10:00\n"
            f"{shop.code},{order.source_id},RF3,退货退款,看心情,10.00,2026-11-13 10:00\n"
            f"{shop.code},NOPE,RF4,退货退款,不想要了,10.00,2026-11-13 10:00\n"
        )
        report = import_requests(session, _csv(tmp_path, body))
        assert report.stored == 1
        assert [(e["row"], e["column"]) for e in report.errors] == [(3, "退款原因"), (4, "order_no")]

    def test_importing_the_same_file_twice_creates_nothing_new(
        self, session: Session, tmp_path: Path
    ) -> None:
        order = make_order(session)
        shop = session.get(Shop, order.shop_id)
        assert shop is not None
        path = _csv(tmp_path, f"{shop.code},{order.source_id},RF5,换货,不合适(尺寸/款式),,2026-11-13 10:00\n")
        import_requests(session, path)
        import_requests(session, path)
        assert session.scalar(select(func.count()).where(ReturnRequest.order_id == order.id)) == 1
