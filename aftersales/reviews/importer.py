"""Reading a platform's review export (CSV/XLSX) through a column mapping, as orders are read.

The default mapping covers our own layout and the platforms' usual names; any other export works
with a YAML file of the same shape (``fields: {review_id: 评价ID, stars: [评分, 星级], …}``),
packaged ones by name (``reviews/mappings/olist.yaml``). Bad rows are reported with row number,
column and reason; good rows are stored. Running the same file again changes nothing (reviews are
keyed by the platform's review id).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy.orm import Session

from aftersales.kit import cells
from aftersales.kit.tables import FileFormatError, read_table, require_columns
from aftersales.reviews.schemas import ReviewIn
from aftersales.reviews.service import ingest_reviews

BATCH = 2000

# field -> accepted column names (our generic layout first, then the platforms' own)
COLUMNS: dict[str, list[str]] = {
    "review_id": ["评价ID", "评价编号", "评论ID", "review_id"],
    "shop_code": ["店铺编码", "店铺", "shop_code"],
    "order_no": ["订单号", "订单编号", "子订单编号", "order_no"],
    "sku_code": ["商品编码", "商家编码", "SKU编码", "sku_code"],
    "buyer": ["买家", "买家昵称", "买家账号", "用户昵称", "buyer"],
    "stars": ["评分", "星级", "商品评分", "stars"],
    "text": ["评价内容", "评论内容", "初评内容", "text"],
    "images_count": ["图片数", "晒图数", "images_count"],
    "reviewed_at": ["评价时间", "评论时间", "reviewed_at"],
}
REQUIRED = ("review_id", "stars", "reviewed_at")
MAPPINGS_DIR = Path(__file__).parent / "mappings"


def load_mapping(name_or_path: str | None) -> dict[str, list[str]]:
    """The default columns, a packaged mapping by name, or a YAML file; its fields replace the
    default's candidates one by one (a field it does not name keeps the default's)."""
    if not name_or_path:
        return COLUMNS
    path = Path(name_or_path)
    if not path.exists():
        path = MAPPINGS_DIR / f"{name_or_path}.yaml"
    if not path.exists():
        raise FileFormatError(f"找不到列映射: {name_or_path}")
    fields = yaml.safe_load(path.read_text(encoding="utf-8")).get("fields", {})
    unknown = sorted(set(fields) - set(COLUMNS))
    if unknown:
        raise FileFormatError(f"列映射含未知字段: {', '.join(unknown)}")
    return {**COLUMNS, **{k: v if isinstance(v, list) else [v] for k, v in fields.items()}}


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    reason: str


@dataclass
class ReviewImportReport:
    rows: int = 0
    created: int = 0
    stored: int = 0
    errors: list[RowError] = field(default_factory=list)


class ReviewImporter:
    def __init__(
        self,
        session: Session,
        *,
        shop_code: str | None = None,
        mapping: dict[str, list[str]] = COLUMNS,
        on_progress: Callable[[int], None] | None = None,
    ) -> None:
        self.session = session
        self.shop_code = shop_code
        self.mapping = mapping
        self.on_progress = on_progress or (lambda _n: None)

    def run(self, path: Path) -> ReviewImportReport:
        table = read_table(path)
        needed = {f: self.mapping[f] for f in REQUIRED}
        if self.shop_code is None:
            needed["shop_code"] = self.mapping["shop_code"]
        require_columns(table.headers, needed)
        columns = {
            f: next((c for c in names if c in table.headers), None) for f, names in self.mapping.items()
        }
        report = ReviewImportReport()
        batch: list[tuple[int, ReviewIn]] = []
        for number, row in table.rows:
            report.rows += 1
            parsed = self._parse(number, row, columns, report)
            if parsed is not None:
                batch.append((number, parsed))
            if len(batch) >= BATCH:
                self._store(batch, report)
                batch = []
        self._store(batch, report)
        return report

    def _parse(
        self, number: int, row: dict[str, Any], columns: dict[str, str | None], report: ReviewImportReport
    ) -> ReviewIn | None:
        values: dict[str, Any] = {}
        for name, column in columns.items():
            if column is None:
                continue
            try:
                values[name] = _cell(name, row.get(column))
            except cells.CellError as exc:
                report.errors.append(RowError(number, column, str(exc)))
                return None
        if self.shop_code:
            values.setdefault("shop_code", self.shop_code)
            values["shop_code"] = values["shop_code"] or self.shop_code
        values = {k: v for k, v in values.items() if v is not None}
        try:
            return ReviewIn(**values)
        except ValidationError as exc:
            error = exc.errors()[0]
            name = str(error["loc"][0]) if error["loc"] else ""
            report.errors.append(RowError(number, columns.get(name) or name, _reason(error)))
            return None

    def _store(self, batch: list[tuple[int, ReviewIn]], report: ReviewImportReport) -> None:
        if not batch:
            return
        result = ingest_reviews(self.session, [review for _, review in batch])
        for rejection in result.rejected:
            number = batch[rejection["index"]][0]
            report.errors.append(RowError(number, self.mapping[rejection["field"]][0], rejection["reason"]))
        report.created += result.created
        report.stored += result.created + result.updated_or_unchanged
        self.on_progress(len(batch))


def _cell(name: str, value: Any) -> Any:
    if name in ("stars", "images_count"):
        return cells.integer(value, default=0) if cells.text(value) is not None else None
    if name == "reviewed_at":
        return cells.timestamp(value)
    if name == "text":
        return cells.text(value) or ""
    return cells.text(value)


def _reason(error: Any) -> str:
    kind = error.get("type", "")
    if kind == "missing":
        return "不能为空"
    if kind in ("greater_than_equal", "less_than_equal"):
        return f"取值超出范围: {error.get('input')}"
    return str(error.get("msg", "格式错误"))
