"""New parcels are subscribed at 快递100 by a job soon after they are stored."""

from sqlalchemy.orm import Session

from aftersales.connectors import service
from aftersales.connectors.models import Provider
from aftersales.jobs import enqueue
from aftersales.kit.events import subscribe
from aftersales.kit.time import utcnow
from aftersales.orders.events import ShipmentsIngested

SUBSCRIBE_SLOT_SECONDS = 10


@subscribe(ShipmentsIngested)
def subscribe_new_parcels(session: Session, event: ShipmentsIngested) -> None:
    """In the ingesting transaction: one job per few seconds however many batches arrive; the
    job finds the unsubscribed parcels itself, so nothing about them rides in the payload."""
    if not event.order_ids or not service.any_account(session, provider=Provider.KUAIDI100):
        return
    slot = int(utcnow().timestamp() // SUBSCRIBE_SLOT_SECONDS)
    enqueue(session, "connectors.kuaidi100_subscribe", dedupe_key=f"connectors.kuaidi100_subscribe#{slot}")
