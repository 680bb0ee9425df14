"""CSV/XLSX import of return requests (a platform's 退款/售后 export or our own layout).

Rows are taken one by one, each in a savepoint: a bad row is reported with its row number, column
and reason and the good rows are stored. A repeat of the same file creates nothing new
(requests are keyed by platform + refund number).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from aftersales.kit.cells import CellError, integer, money_fen, text, timestamp
from aftersales.kit.errors import AftersalesError, InvalidInputError
from aftersales.kit.tables import read_table, require_columns
from aftersales.returns.models import RequestKind
from aftersales.returns.reasons import REASONS
from aftersales.returns.schemas import ReturnRequestIn

COLUMNS: dict[str, list[str]] = {
    "shop_code": ["店铺编码", "shop_code"],
    "order_no": ["订单号", "订单编号", "order_no"],
    "request_no": ["退款编号", "售后单号", "request_no"],
    "kind": ["售后类型", "类型", "kind"],
    "reason": ["退款原因", "原因", "reason", "reason_code"],
}
OPTIONAL: dict[str, list[str]] = {
    "reason_text": ["退款说明", "说明", "reason_text"],
    "sku_code": ["商家编码", "商品编码", "sku_code"],
    "quantity": ["数量", "quantity"],
    "refund": ["退款金额", "申请金额", "refund"],
    "requested_at": ["申请时间", "requested_at"],
    "return_courier": ["退货快递", "退货物流公司", "return_courier"],
    "return_tracking_no": ["退货运单号", "退货物流单号", "return_tracking_no"],
}
KINDS = {
    "退货退款": RequestKind.RETURN,
    "退货": RequestKind.RETURN,
    "换货": RequestKind.EXCHANGE,
    "仅退款": RequestKind.REFUND_ONLY,
    **{k.value: k for k in RequestKind},
}
# platform wording -> our reason code
REASON_WORDS = {
    **{r.label: r.code for r in REASONS.values()},
    "七天无理由退换货": "no_reason",
    "七天无理由退货": "no_reason",
    "不想要了": "changed_mind",
    "拍错了": "changed_mind",
    "多拍/拍错/不想要": "changed_mind",
    "尺码不合适": "not_fit",
    "尺寸不合适": "not_fit",
    "与商品描述不符": "not_as_described",
    "质量问题": "defective",
    "商品破损": "damaged",
    "少件/漏发": "missing_item",
    "少件": "missing_item",
    "漏发": "missing_item",
    "发错货": "wrong_item",
    "效果不好/不喜欢": "not_expected",
}


@dataclass
class ImportReport:
    rows: int = 0
    stored: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)


def _pick(row: dict[str, Any], names: list[str]) -> Any:
    return next((row[name] for name in names if name in row and row[name] not in (None, "")), None)


def _reason(value: Any) -> str:
    raw = text(value) or ""
    code = raw if raw in REASONS else REASON_WORDS.get(raw)
    if code is None:
        raise CellError(f"无法识别的原因: {raw}")
    return code


def _kind(value: Any) -> RequestKind:
    raw = text(value) or ""
    if raw not in KINDS:
        raise CellError(f"无法识别的售后类型: {raw}(退货退款/换货/仅退款)")
    return KINDS[raw]


def parse_row(row: dict[str, Any], *, shop_code: str | None) -> ReturnRequestIn:
    """One spreadsheet row to a request; raises ``InvalidInputError`` naming the column."""
    values: dict[str, Any] = {"channel": "csv"}
    parsers: dict[str, Callable[[Any], Any]] = {
        "kind": _kind,
        "reason": _reason,
        "quantity": integer,
        "refund": money_fen,
        "requested_at": timestamp,
    }
    for name, columns in {**COLUMNS, **OPTIONAL}.items():
        raw = _pick(row, columns)
        if raw is None:
            continue
        try:
            values[name] = parsers.get(name, text)(raw)
        except CellError as exc:
            raise InvalidInputError(columns[0], str(exc)) from None
    values["reason_code"] = values.pop("reason", None)
    values["refund_fen"] = values.pop("refund", None)
    values.setdefault("shop_code", shop_code)
    try:
        return ReturnRequestIn.model_validate({k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InvalidInputError(".".join(str(p) for p in first["loc"]), first["msg"]) from None


def import_requests(session: Session, path: Path, *, shop_code: str | None = None) -> ImportReport:
    from aftersales.returns.service import create_request

    table = read_table(path)
    needed = dict(COLUMNS)
    if shop_code:
        needed.pop("shop_code")
    needed.pop("request_no")
    require_columns(table.headers, needed)
    report = ImportReport()
    for number, row in table.rows:
        report.rows += 1
        try:
            with session.begin_nested():
                create_request(session, data=parse_row(row, shop_code=shop_code))
            report.stored += 1
        except InvalidInputError as exc:
            report.errors.append({"row": number, "column": exc.field, "reason": exc.message})
        except AftersalesError as exc:
            report.errors.append({"row": number, "column": "", "reason": exc.message})
    return report
