"""聊天导入 in the console: a chat export previewed with a dry run, then imported and inspected.

The same importer as ``aftersales import chats`` (every imported session is inspected by the QC
model on import); the page itself is ``web.imports``.
"""

from sqlalchemy.orm import Session

from aftersales.catalog import repository as catalog_repository
from aftersales.conversations.importer import REQUIRED, ChatImporter, ChatMapping
from aftersales.web import imports
from aftersales.web.uploads import KeptFile

MAPPINGS = {
    "generic": "通用模板(带表头)",
    "qianniu": "千牛聊天记录导出",
    "jddc": "京东客服对话(无表头,制表符分隔)",
}
FIELD_LABELS = {
    "shop_code": "店铺",
    "session_key": "会话编号",
    "message_id": "消息编号",
    "sender": "发送方",
    "text": "消息内容",
    "sent_at": "发送时间",
    "agent_account": "客服账号",
    "customer_account": "买家账号",
    "order_no": "订单号",
}


def _run(session: Session, kept: KeptFile, mapping: str, shop: str | None) -> imports.Outcome:
    report = ChatImporter(session, ChatMapping.load(mapping), shop_code=shop).run(kept.path)
    counts = [("读取行数", report.rows), ("新增消息", report.created), ("已质检会话", report.sessions)]
    return imports.Outcome(counts, report.errors)


def _matches(mapping: str, headers: list[str]) -> list[imports.FieldMatch]:
    return [
        imports.FieldMatch(
            FIELD_LABELS.get(name, name), [c for c in columns if c in headers], name in REQUIRED
        )
        for name, columns in ChatMapping.load(mapping).fields.items()
    ]


PAGE = imports.ImportPage(
    title="聊天记录",
    action="/console/qc/import",
    mappings=MAPPINGS,
    shop_note="文件里有「店铺」列时按列识别店铺;京东客服对话等没有店铺列的文件请选择店铺",
    run=_run,
    matches=_matches,
    shops=catalog_repository.shops,
    header=lambda mapping: ChatMapping.load(mapping).header,
)

router = imports.import_router(PAGE)
