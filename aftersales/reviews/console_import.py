"""评价导入 in the console: a platform's review export, previewed with a dry run, then imported.

The same importer as ``aftersales import reviews`` (triage, reply drafts and tickets for bad
reviews happen on import); the page itself is ``web.imports``.
"""

from sqlalchemy.orm import Session

from aftersales.catalog import repository as catalog_repository
from aftersales.reviews.importer import REQUIRED, ReviewImporter, load_mapping
from aftersales.web import imports
from aftersales.web.uploads import KeptFile

AUTO = "auto"
MAPPINGS = {AUTO: "常见列名(淘宝/京东/抖店/拼多多导出,自动识别)", "olist": "Olist 数据集格式"}
FIELD_LABELS = {
    "review_id": "评价编号",
    "shop_code": "店铺",
    "order_no": "订单号",
    "sku_code": "商品编码",
    "buyer": "买家",
    "stars": "评分",
    "text": "评价内容",
    "images_count": "图片数",
    "reviewed_at": "评价时间",
}


def _columns(mapping: str) -> dict[str, list[str]]:
    return load_mapping(None if mapping == AUTO else mapping)


def _run(session: Session, kept: KeptFile, mapping: str, shop: str | None) -> imports.Outcome:
    report = ReviewImporter(session, shop_code=shop, mapping=_columns(mapping)).run(kept.path)
    counts = [("读取行数", report.rows), ("入库评价", report.stored), ("其中新增", report.created)]
    return imports.Outcome(counts, report.errors)


def _matches(mapping: str, headers: list[str]) -> list[imports.FieldMatch]:
    return [
        imports.FieldMatch(FIELD_LABELS[name], [c for c in candidates if c in headers][:1], name in REQUIRED)
        for name, candidates in _columns(mapping).items()
    ]


PAGE = imports.ImportPage(
    title="评价",
    action="/console/reviews/import",
    mappings=MAPPINGS,
    shop_note="表格里有「店铺编码」列时按列识别店铺;没有时请选择店铺",
    run=_run,
    matches=_matches,
    shops=catalog_repository.shops,
)

router = imports.import_router(PAGE)
