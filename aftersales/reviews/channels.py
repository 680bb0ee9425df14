"""The platform adapter that posts review replies.

Replies reach it only through the outbox. A shop connected to 淘宝/天猫 (a ``taobao`` connector
account) gets its reply posted as the seller's explanation, ``taobao.traderate.explain.add`` on
the rate's sub-order (``connectors.taobao``); a refusal or an unreachable TOP is a
``DeliveryError``, so the outbox retries and finally shows it in the dead letters. Any other shop
keeps the recorded client: as with the customer channels of the messaging domain, it records what
it would post (``review_reply.jsonl`` of the outbound recorder); another platform's client plugs
in with ``register_channel("review_reply", ReviewReplyChannel(MyPlatformClient()))``.
Destination: ``<platform>:<shop code>:<platform review id>``.
"""

from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from aftersales.catalog.models import Shop
from aftersales.connectors import service, taobao
from aftersales.connectors.errors import ProviderError
from aftersales.connectors.models import ConnectorAccount, Provider
from aftersales.messaging.channels import DeliveryError, register_channel
from aftersales.messaging.customer_channels import recorder
from aftersales.messaging.models import OutboxMessage

CHANNEL = "review_reply"


class ReviewReplyClient(Protocol):
    def post_reply(self, *, platform: str, shop_code: str, review_id: str, text: str, key: str) -> None: ...


class RecordedReviewReplyClient:
    def post_reply(self, *, platform: str, shop_code: str, review_id: str, text: str, key: str) -> None:
        recorder().record(
            CHANNEL, destination=f"{platform}:{shop_code}:{review_id}", text=text, key=key, platform=platform
        )


def reply_destination(platform: str, shop_code: str, review_id: str) -> str:
    return f"{platform}:{shop_code}:{review_id}"


class ReviewReplyChannel:
    def __init__(self, client: ReviewReplyClient) -> None:
        self.client = client

    def send(self, message: OutboxMessage) -> None:
        parts = message.destination.split(":", 2)
        if len(parts) != 3 or not all(parts):
            raise DeliveryError(f"bad review reply destination {message.destination!r}")
        text = message.payload.get("text")
        if not isinstance(text, str) or not text:
            raise DeliveryError("payload has no text")
        platform, shop_code, review_id = parts
        session = object_session(message)
        account = _taobao_account(session, shop_code) if session is not None else None
        if account is not None:
            _explain(account, review_id=review_id, text=text)
            return
        self.client.post_reply(
            platform=platform,
            shop_code=shop_code,
            review_id=review_id,
            text=text,
            key=message.idempotency_key,
        )


def _taobao_account(session: Session, shop_code: str) -> ConnectorAccount | None:
    shop_id = session.scalar(select(Shop.id).where(Shop.code == shop_code))
    if shop_id is None:
        return None
    return service.account_for(session, provider=Provider.TAOBAO, shop_id=shop_id)


def _explain(account: ConnectorAccount, *, review_id: str, text: str) -> None:
    try:
        taobao.explain_rate(account, oid=review_id, text=text)
    except ProviderError as exc:
        service.record_failure(account, exc.message)
        raise DeliveryError(exc.message) from exc
    service.record_success(account)


register_channel(CHANNEL, ReviewReplyChannel(RecordedReviewReplyClient()))
