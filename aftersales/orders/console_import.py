"""订单导入 in the console: a platform export uploaded by a supervisor, previewed, then imported.

The same importer as ``aftersales import orders`` (row errors with row, column and reason; a
re-run changes nothing); the page itself is ``web.imports``.
"""

from sqlalchemy.orm import Session

from aftersales.catalog import repository as catalog_repository
from aftersales.kit.pii import mask_address, mask_name, mask_phone
from aftersales.orders.importer import MAPPINGS_DIR, REQUIRED_FIELDS, ColumnMapping, OrderImporter
from aftersales.web import imports
from aftersales.web.uploads import KeptFile

BASE = "/console/orders/import"

MAPPINGS = {
    "taobao": "淘宝/天猫 订单报表",
    "jd": "京东 订单导出",
    "douyin": "抖店 订单导出",
    "pdd": "拼多多 订单导出",
    "generic": "通用模板",
    "olist": "Olist 数据集格式",
}
FIELD_LABELS = {
    "order_no": "订单号",
    "buyer_nick": "买家账号",
    "status": "订单状态",
    "paid": "实付金额",
    "total": "订单总额",
    "postage": "邮费",
    "goods_amount": "货款",
    "receiver_name": "收货人",
    "receiver_phone": "收货手机",
    "full_address": "收货地址",
    "province": "省份",
    "city": "城市",
    "district": "区县",
    "street": "详细地址",
    "ordered_at": "下单时间",
    "paid_at": "付款时间",
    "shipped_at": "发货时间",
    "estimated_delivery_at": "预计送达",
    "delivered_at": "签收时间",
    "item_sku": "商品编码",
    "item_title": "商品名称",
    "item_quantity": "数量",
    "item_price": "单价",
    "courier": "快递公司",
    "tracking_no": "运单号",
    "buyer_message": "买家留言",
    "seller_note": "卖家备注",
    "invoice_title": "发票抬头",
}

PII = {
    "receiver_name": mask_name,
    "receiver_phone": mask_phone,
    "full_address": mask_address,
    "street": mask_address,
}


def _run(session: Session, kept: KeptFile, mapping: str, shop: str | None) -> imports.Outcome:
    report = OrderImporter(session, ColumnMapping.load(mapping), shop_code=shop).run(kept.path)
    counts = [("读取行数", report.rows), ("入库订单", report.orders), ("其中新增", report.created)]
    return imports.Outcome([*counts, ("新增包裹", report.shipments)], report.errors)


def _matches(mapping: str, headers: list[str]) -> list[imports.FieldMatch]:
    loaded = ColumnMapping.load(mapping)
    found = loaded.resolve(headers)
    return [
        imports.FieldMatch(FIELD_LABELS.get(name, name), found[name], name in REQUIRED_FIELDS, PII.get(name))
        for name in loaded.fields
    ]


PAGE = imports.ImportPage(
    title="订单",
    action=BASE,
    mappings={name: label for name, label in MAPPINGS.items() if (MAPPINGS_DIR / f"{name}.yaml").exists()},
    shop_note="淘宝/天猫报表按「店铺名称」列识别店铺;其他导出请选择店铺",
    run=_run,
    matches=_matches,
    shops=catalog_repository.shops,
)

router = imports.import_router(PAGE)
