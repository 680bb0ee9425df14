"""The platform adapter that posts review replies (千牛 / 京东商家 / 抖店 / 拼多多 open APIs).

Replies reach it only through the outbox. As with the customer channels of the messaging
domain, the shipped client records what it would post (``review_reply.jsonl`` of the outbound
recorder) instead of calling a platform; a real client plugs in with
``register_channel("review_reply", ReviewReplyChannel(MyPlatformClient()))``.
Destination: ``<platform>:<shop code>:<platform review id>``.
"""

from typing import Protocol

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
        self.client.post_reply(
            platform=platform,
            shop_code=shop_code,
            review_id=review_id,
            text=text,
            key=message.idempotency_key,
        )


register_channel(CHANNEL, ReviewReplyChannel(RecordedReviewReplyClient()))
