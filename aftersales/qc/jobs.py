"""Background QC work: the daily VOC digest to the product department, and a backlog sweep."""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from aftersales.jobs import job
from aftersales.kit.time import format_local, utcnow
from aftersales.qc import repository, service

DIGEST_WINDOW = timedelta(days=7)
DIGEST_MIN_MENTIONS = 3
DIGEST_GROUP = "product"


def voc_digest_text(rows: list[dict[str, Any]], since: datetime, until: datetime) -> str | None:
    """The digest message, or None when no SKU topic reached the threshold."""
    lines = [
        f"· {r['sku_name'] or '(未关联商品)'} — {r['topic']} {r['mentions']} 次(如「{r['keyword']}」)"
        for r in rows
        if r["mentions"] >= DIGEST_MIN_MENTIONS
    ]
    if not lines:
        return None
    header = (
        f"【VOC 周报】{format_local(since, '%m-%d')} 至 {format_local(until, '%m-%d')} 顾客在咨询中反复提到:"
    )
    return "\n".join([header, *lines[:15], "详情: /console/qc/dashboard"])


@job("qc.voc_digest", every=timedelta(days=1))
def voc_digest(session: Session, now: str | None = None) -> dict[str, Any]:
    """Send the week's most raised product topics per SKU to the product group (once per day)."""
    from aftersales.tickets.service import notify_group

    until = datetime.fromisoformat(now) if now else utcnow()
    since = until - DIGEST_WINDOW
    text = voc_digest_text(repository.voc_by_sku(session, since=since, until=until, limit=50), since, until)
    if text is None:
        return {"sent": 0}
    sent = notify_group(
        session,
        group_code=DIGEST_GROUP,
        text=text,
        idempotency_key=f"qc-voc-digest:{until.date().isoformat()}",
    )
    return {"sent": sent}


@job("qc.analyse_backlog", every=timedelta(hours=1))
def analyse_backlog(session: Session) -> dict[str, Any]:
    """Customer messages stored without analysis (e.g. restored from a backup) are inspected."""
    return {"analysed": service.analyse_backlog(session)}


@job("qc.reinspect_shop")
def reinspect_shop(session: Session, shop_id: int) -> dict[str, Any]:
    """After a shop's checkpoints or pass mark changed, its recent sessions are scored again."""
    return {"sessions": service.reinspect_shop(session, shop_id=shop_id)}
