from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from aftersales.audit.webhooks import purge_receipts
from aftersales.jobs import job


@job("audit.purge_webhook_receipts", every=timedelta(hours=1))
def purge_webhook_receipts(session: Session) -> dict[str, Any]:
    """Old receipts cannot be replayed anyway (timestamp window); keep the unique index small."""
    return {"deleted": purge_receipts(session)}
