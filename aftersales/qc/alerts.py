"""Risk alerts: raised on ingest, one per session, routed to the shop's group bots through the outbox.

A later, higher risk in the same session escalates the existing alert (and notifies again); a
repeat of the same or a lower level changes nothing. People move an alert through
open → acknowledged → handling → closed; closing needs a note on what was done.
"""

from collections.abc import Sequence

from sqlalchemy.orm import Session

from aftersales.auth.models import User
from aftersales.catalog.models import Shop
from aftersales.conversations.models import ChatSession
from aftersales.kit.errors import InvalidInputError
from aftersales.kit.time import format_local, utcnow
from aftersales.qc import repository
from aftersales.qc.checkpoints import MessageView
from aftersales.qc.errors import AlertNotFoundError, AlertTransitionError
from aftersales.qc.models import AlertStatus, QcAlert, QcShopSetting
from aftersales.qc.risk import LEVEL_RANK
from aftersales.tickets.service import GroupNotice, notify_groups

LEVEL_LABELS = {"low": "初级", "medium": "中级", "high": "高级"}


def _strongest(messages: list[MessageView]) -> tuple[MessageView, dict[str, object]] | None:
    """The message with the highest-level hit (the earliest among equals) and that hit."""
    best: tuple[MessageView, dict[str, object]] | None = None
    for message in messages:
        for hit in message.risks:
            if best is None or LEVEL_RANK[str(hit["level"])] > LEVEL_RANK[str(best[1]["level"])]:
                best = (message, hit)
    return best


def raise_for_sessions(
    session: Session,
    chats: Sequence[tuple[ChatSession, list[MessageView]]],
    settings: dict[int, QcShopSetting],
) -> None:
    """Create or escalate each session's alert; notify the shops' groups of those created or
    escalated. The sessions' alerts are read in one query and the groups once for all of them."""
    existing = repository.alerts_of(session, [chat.id for chat, _messages in chats])
    changed = [
        found for chat, messages in chats if (found := _raise(session, chat, messages, existing.get(chat.id)))
    ]
    if not changed:
        return
    session.flush()
    notices = [
        _notices(session, alert, chat, message, label, settings[chat.shop_id])
        for alert, chat, message, label in changed
    ]
    counts = iter(notify_groups(session, [notice for of_alert in notices for notice in of_alert]))
    for (alert, *_rest), of_alert in zip(changed, notices, strict=True):
        alert.notified += sum(next(counts) for _notice in of_alert)
    session.flush()


Raised = tuple[QcAlert, ChatSession, MessageView, str]


def _raise(
    session: Session, chat: ChatSession, messages: list[MessageView], alert: QcAlert | None
) -> Raised | None:
    """The session's alert, new or escalated, with the message, the chat and the hit's kind label
    to notify; None when there is no hit or the alert stays as it was (kinds kept up to date)."""
    strongest = _strongest(messages)
    if strongest is None:
        return None
    message, hit = strongest
    level = str(hit["level"])
    kinds = sorted({str(h["kind"]) for m in messages for h in m.risks})
    if alert is not None:
        alert.kinds = kinds
        if LEVEL_RANK[level] <= LEVEL_RANK[alert.level]:
            return None
        alert.level, alert.message_id, alert.phrase, alert.escalated_at = (
            level,
            message.id,
            str(hit["phrase"]),
            utcnow(),
        )
        if alert.status == AlertStatus.CLOSED:
            alert.status = AlertStatus.OPEN
    else:
        alert = QcAlert(
            session_id=chat.id,
            shop_id=chat.shop_id,
            level=level,
            kinds=kinds,
            message_id=message.id,
            phrase=str(hit["phrase"]),
            status=AlertStatus.OPEN,
            raised_at=utcnow(),
            notified=0,
        )
        session.add(alert)
    return alert, chat, message, str(hit["label"])


def _notices(
    session: Session,
    alert: QcAlert,
    chat: ChatSession,
    message: MessageView,
    kind_label: str,
    setting: QcShopSetting,
) -> list[GroupNotice]:
    """The alert text for the shop's alert group (and the supervisors' for high alerts)."""
    shop = session.get(Shop, chat.shop_id)
    text = (
        f"【质检告警·{LEVEL_LABELS[alert.level]}】{shop.name if shop else chat.shop_id} "
        f"会话 {chat.session_key} {format_local(message.sent_at)}\n"
        f"风险: {kind_label}\n顾客原话: 「{message.text[:200]}」\n"
        f"请在控制台处理: /console/qc/sessions/{chat.id}"
    )
    groups = [setting.alert_group_code]
    if alert.level == "high" and setting.high_alert_group_code:
        groups.append(setting.high_alert_group_code)
    return [
        GroupNotice(group, text, f"qc-alert:{alert.id}:{alert.level}:{group}", ("qc_alert", alert.id))
        for group in dict.fromkeys(groups)
    ]


def get_alert(session: Session, alert_id: int) -> QcAlert:
    alert = session.get(QcAlert, alert_id)
    if alert is None:
        raise AlertNotFoundError(alert_id)
    return alert


def acknowledge(session: Session, *, alert_id: int, user: User) -> QcAlert:
    alert = get_alert(session, alert_id)
    if alert.status != AlertStatus.OPEN:
        raise AlertTransitionError(alert.status.label, "确认")
    alert.status, alert.acknowledged_at, alert.acknowledged_by_id = (
        AlertStatus.ACKNOWLEDGED,
        utcnow(),
        user.id,
    )
    session.flush()
    return alert


def start_handling(session: Session, *, alert_id: int, user: User) -> QcAlert:
    alert = get_alert(session, alert_id)
    if alert.status not in (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED):
        raise AlertTransitionError(alert.status.label, "开始处理")
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by_id = utcnow(), user.id
    alert.status, alert.handling_at, alert.handling_by_id = AlertStatus.HANDLING, utcnow(), user.id
    session.flush()
    return alert


def close(session: Session, *, alert_id: int, user: User, note: str) -> QcAlert:
    alert = get_alert(session, alert_id)
    if alert.status == AlertStatus.CLOSED:
        raise AlertTransitionError(alert.status.label, "完结")
    if not note.strip():
        raise InvalidInputError("note", "完结告警需填写处理说明")
    now = utcnow()
    alert.acknowledged_at = alert.acknowledged_at or now
    alert.acknowledged_by_id = alert.acknowledged_by_id or user.id
    alert.status, alert.closed_at, alert.closed_by_id, alert.note = (
        AlertStatus.CLOSED,
        now,
        user.id,
        note.strip(),
    )
    session.flush()
    return alert
