"""Which inputs exist: analytics reads other domains' tables by name and reports what is missing.

Other domains land at different times and may name a column differently from what an analysis
expects; each logical field therefore lists candidate column names. An analysis asks for the
fields it needs and gets either the columns or a Chinese sentence naming what is missing, so it can
show what it can and say what it cannot, instead of failing.
"""

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Table

from aftersales.db import Base
from aftersales.registry import load_all_models

LABELS = {
    "orders": "订单",
    "order_items": "订单商品",
    "shipments": "包裹",
    "tracking_events": "物流轨迹",
    "skus": "商品",
    "shops": "店铺",
    "users": "客服账号",
    "tickets": "工单",
    "ticket_ratings": "工单评价",
    "conversations": "会话",
    "chat_messages": "聊天消息",
    "qc_session_results": "质检结果",
    "qc_findings": "质检点结果",
    "qc_voc_mentions": "聊天话题",
    "chat_sessions": "会话",
    "rating_invitations": "邀评记录",
    "rating_recoveries": "差评挽回",
    "ticket_groups": "客服组",
    "parcel_intercepts": "拦截记录",
    "qc_alerts": "质检告警",
    "reviews": "评价",
    "intercepts": "拦截记录",
    "logistics_anomalies": "物流异常",
    "return_requests": "售后申请",
}


@dataclass
class Inputs:
    """Collects the tables and columns one analysis could find, and the sentences for the rest."""

    missing: list[str] = field(default_factory=list)

    def table(self, *names: str) -> Table | None:
        """The first of ``names`` that is a known table; notes it as missing otherwise."""
        load_all_models()
        for name in names:
            table = Base.metadata.tables.get(name)
            if table is not None:
                return table
        self.missing.append(f"缺少{LABELS.get(names[0], names[0])}数据表({names[0]}),相关指标未计算")
        return None

    def column(self, table: Table | None, *candidates: str, why: str = "") -> ColumnElement[object] | None:
        """The first candidate column present on ``table``; notes it as missing otherwise."""
        if table is None:
            return None
        for name in candidates:
            if name in table.c:
                return table.c[name]
        note = f"({why})" if why else ""
        self.missing.append(f"{LABELS.get(table.name, table.name)}缺少字段 {'/'.join(candidates)}{note}")
        return None

    def merge(self, other: "Inputs") -> None:
        for sentence in other.missing:
            if sentence not in self.missing:
                self.missing.append(sentence)
