import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.audit.models import WebhookReceipt
from aftersales.audit.webhooks import (
    SIGNATURE_HEADER,
    WebhookReplayError,
    WebhookSignatureError,
    purge_receipts,
    sign,
    source_secret,
    verify,
)
from aftersales.kit.time import utcnow
from aftersales.orders.models import TrackingEvent
from tests.builders import make_shipment

BODY = b'{"hello":"world"}'


def signed(body: bytes, source: str = "zto", *, at: float | None = None) -> str:
    return sign(body, source_secret(source), int(at if at is not None else time.time()))


class TestVerify:
    def test_accepts_a_fresh_correctly_signed_body(self, session: Session) -> None:
        verify(session, source="zto", body=BODY, header=signed(BODY))

    def test_rejects_a_body_changed_after_signing(self, session: Session) -> None:
        with pytest.raises(WebhookSignatureError, match="签名校验失败"):
            verify(session, source="zto", body=b'{"hello":"mallory"}', header=signed(BODY))

    def test_rejects_a_signature_made_with_another_sources_secret(self, session: Session) -> None:
        with pytest.raises(WebhookSignatureError):
            verify(session, source="erp", body=BODY, header=signed(BODY, "zto"))

    def test_rejects_a_timestamp_older_than_five_minutes(self, session: Session) -> None:
        with pytest.raises(WebhookSignatureError, match="过期"):
            verify(session, source="zto", body=BODY, header=signed(BODY, at=time.time() - 301))

    def test_rejects_a_timestamp_from_the_future(self, session: Session) -> None:
        with pytest.raises(WebhookSignatureError):
            verify(session, source="zto", body=BODY, header=signed(BODY, at=time.time() + 301))

    @pytest.mark.parametrize("header", [None, "", "v1=abc", "t=123", "t=abc,v1=" + "0" * 64, "garbage"])
    def test_rejects_a_missing_or_malformed_header(self, session: Session, header: str | None) -> None:
        with pytest.raises(WebhookSignatureError):
            verify(session, source="zto", body=BODY, header=header)

    def test_rejects_the_same_signed_request_a_second_time(self, session: Session) -> None:
        header = signed(BODY)
        verify(session, source="zto", body=BODY, header=header)
        with pytest.raises(WebhookReplayError):
            verify(session, source="zto", body=BODY, header=header)

    def test_accepts_one_of_several_digests_during_secret_rotation(self, session: Session) -> None:
        now = int(time.time())
        good = sign(BODY, source_secret("zto"), now).split("v1=")[1]
        header = f"t={now},v1={'ab' * 32},v1={good}"
        verify(session, source="zto", body=BODY, header=header)

    def test_purge_forgets_only_receipts_past_twice_the_window(self, session: Session) -> None:
        now = utcnow()
        verify(session, source="zto", body=BODY, header=signed(BODY))
        old = datetime.fromtimestamp(int(time.time()) - 100, tz=UTC)
        session.add(
            WebhookReceipt(
                source="zto", signature="f" * 64, signed_at=old, received_at=now - timedelta(hours=1)
            )
        )
        session.flush()
        assert purge_receipts(session, now=now) == 1
        assert session.scalar(select(func.count()).select_from(WebhookReceipt)) == 1


def tracking_body(tracking_no: str) -> bytes:
    event = {
        "courier": "zto",
        "tracking_no": tracking_no,
        "occurred_at": "2026-11-12T08:00:00+08:00",
        "raw_text": "快件已到达【杭州转运中心】",
    }
    return json.dumps([event]).encode()


class TestTrackingWebhook:
    def post(self, client: TestClient, body: bytes, header: str | None, source: str = "zto"):  # type: ignore[no-untyped-def]
        headers = {"Content-Type": "application/json"}
        if header is not None:
            headers[SIGNATURE_HEADER] = header
        return client.post(f"/api/webhooks/{source}/tracking-events", content=body, headers=headers)

    def test_signed_push_stores_the_tracking_event(self, client: TestClient, session: Session) -> None:
        shipment = make_shipment(session)
        body = tracking_body(shipment.tracking_no)
        response = self.post(client, body, signed(body))
        assert (response.status_code, response.json()["created"]) == (200, 1)
        assert session.scalar(select(func.count()).where(TrackingEvent.shipment_id == shipment.id)) == 1

    def test_unsigned_push_is_401_and_stores_nothing(self, client: TestClient, session: Session) -> None:
        shipment = make_shipment(session)
        response = self.post(client, tracking_body(shipment.tracking_no), None)
        assert response.status_code == 401
        assert response.json()["error"] == "WebhookSignatureError"
        assert session.scalar(select(func.count()).where(TrackingEvent.shipment_id == shipment.id)) == 0

    def test_replayed_push_is_409(self, client: TestClient, session: Session) -> None:
        shipment = make_shipment(session)
        body = tracking_body(shipment.tracking_no)
        header = signed(body)
        assert self.post(client, body, header).status_code == 200
        replay = self.post(client, body, header)
        assert (replay.status_code, replay.json()["error"]) == (409, "WebhookReplayError")

    def test_invalid_source_name_is_422(self, client: TestClient, session: Session) -> None:
        body = tracking_body("ZT0000000001")
        response = self.post(client, body, signed(body, "zto"), source="ZTO!!")
        assert response.status_code == 422

    def test_a_failed_push_can_be_retried_with_the_same_signature(
        self, client: TestClient, session: Session
    ) -> None:
        body = b'[{"courier": "zto"}]'
        header = signed(body)
        assert self.post(client, body, header).status_code == 422
        session.expire_all()
        assert session.scalar(select(func.count()).select_from(WebhookReceipt)) == 0
