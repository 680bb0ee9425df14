"""Normalising couriers' free-text tracking lines to one status vocabulary."""

import hashlib
from datetime import datetime

from aftersales.orders.models import TrackingStatus

# Checked in order: the first matching keyword wins (签收失败 must not read as 签收).
_RULES: tuple[tuple[TrackingStatus, tuple[str, ...]], ...] = (
    (TrackingStatus.RETURNED, ("退回", "退件", "返回寄件", "已退签")),
    (TrackingStatus.FAILED, ("派送失败", "投递失败", "签收失败", "拒收", "无法派送", "未妥投")),
    (TrackingStatus.EXCEPTION, ("异常", "滞留", "问题件", "破损", "丢失", "延误", "停发", "暂停派送")),
    (TrackingStatus.DELIVERED, ("已签收", "签收", "妥投", "已送达", "已取件", "代收")),
    (TrackingStatus.OUT_FOR_DELIVERY, ("派送中", "派件中", "正在派送", "安排投递", "派件员")),
    (TrackingStatus.COLLECTED, ("已揽收", "揽收", "揽件", "已收件", "收寄")),
)

STATUS_LABELS = {
    TrackingStatus.COLLECTED: "已揽收",
    TrackingStatus.IN_TRANSIT: "运输中",
    TrackingStatus.OUT_FOR_DELIVERY: "派送中",
    TrackingStatus.DELIVERED: "已签收",
    TrackingStatus.FAILED: "派送失败",
    TrackingStatus.RETURNED: "已退回",
    TrackingStatus.EXCEPTION: "异常",
}


def classify(raw_text: str) -> TrackingStatus:
    for status, keywords in _RULES:
        if any(word in raw_text for word in keywords):
            return status
    return TrackingStatus.IN_TRANSIT


def event_source_id(occurred_at: datetime, raw_text: str) -> str:
    """Couriers rarely give event ids; the same time and text is the same event."""
    return hashlib.sha1(f"{occurred_at.isoformat()}|{raw_text}".encode()).hexdigest()
