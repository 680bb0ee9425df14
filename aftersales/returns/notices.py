"""Customer notices of the returns domain, always through the outbox.

The shop's own template is used when it exists (``reshipment_notice``, ``refund_completed``,
editable in the template editor); otherwise a built-in text goes to the buyer's platform IM, so
a shop that never configured templates still tells its customers.
"""

from typing import Any

from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.messaging.customer_channels import im_destination
from aftersales.messaging.service import queue_message, send_customer_message
from aftersales.messaging.templates import TemplateNotFoundError
from aftersales.orders.models import Customer, Order


def tell_customer(
    session: Session,
    *,
    order: Order,
    template_code: str,
    idempotency_key: str,
    fallback_text: str,
    extra: dict[str, Any] | None = None,
) -> None:
    try:
        send_customer_message(
            session,
            order_id=order.id,
            template_code=template_code,
            idempotency_key=idempotency_key,
            extra=extra,
        )
        return
    except TemplateNotFoundError:
        pass
    shop = session.get(Shop, order.shop_id)
    customer = session.get(Customer, order.customer_id)
    assert shop is not None
    assert customer is not None
    queue_message(
        session,
        channel="platform_im",
        destination=im_destination(str(order.platform), shop.code, customer.source_id),
        payload={"text": fallback_text, "order_id": order.id, "template_code": None},
        idempotency_key=idempotency_key,
        subject=("order", order.id),
    )
