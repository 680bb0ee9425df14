"""阿里云短信: the POP signature against the document's own example, SendSms through the outbox
to a local dysmsapi that verifies requests as 阿里云 does, the per-phone limit, receipts."""

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.connectors import aliyun_sms, service, sms
from aftersales.connectors.errors import ProviderError
from aftersales.connectors.models import ConnectorAccount, SmsSend
from aftersales.kit.time import utcnow
from aftersales.messaging.channels import register_channel
from aftersales.messaging.customer_channels import OutboundRecorder, use_recorder
from aftersales.messaging.jobs import deliver_outbox
from aftersales.messaging.models import OutboxMessage, OutboxStatus
from aftersales.messaging.service import queue_message, send_customer_message
from aftersales.orders.models import Order
from tests.builders import make_order
from tests.builders.connectors import ALIYUN_CREDENTIALS, make_aliyun_sms_account
from tests.builders.logistics import make_template
from tests.connectors.fake_aliyun_sms import FakeAliyunSms
from tests.connectors.provider_server import ProviderServer

PHONE = "13912345678"


@pytest.fixture(autouse=True)
def sms_channel() -> None:
    """Another test module restores messaging's plain SMS channel; the outbox must use ours."""
    register_channel("sms", sms.channel)


@pytest.fixture
def fake() -> FakeAliyunSms:
    return FakeAliyunSms(
        access_key_id=ALIYUN_CREDENTIALS["access_key_id"],
        secret=ALIYUN_CREDENTIALS["access_key_secret"],
        sign_name="好物旗舰店",
        templates={"SMS_460000001": {"order_no"}},
    )


@pytest.fixture
def account(session: Session, server: ProviderServer) -> ConnectorAccount:
    return make_aliyun_sms_account(session, endpoint=server.url)


def queue_sms(
    session: Session, order: Order, key: str, *, template_code: str = "parcel_delay"
) -> OutboxMessage:
    payload = {
        "text": f"亲,您的订单 {order.source_id} 包裹延误了",
        "template_code": template_code,
        "order_id": order.id,
        "params": {"order_no": order.source_id},
    }
    queue_message(session, channel="sms", destination=PHONE, payload=payload, idempotency_key=key)
    message = session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))
    assert message is not None
    return message


def deliver(session: Session) -> None:
    session.commit()
    deliver_outbox(session, checkpoint=session.commit)


class TestSignature:
    def test_signs_the_documents_example_to_its_published_signature(self) -> None:
        """help.aliyun.com/document_detail/56189 (HTTP协议及签名), 2.1 短信发送API的HTTP协议包示例."""
        params = {
            "AccessKeyId": "testId",
            "Action": "SendSms",
            "Format": "XML",
            "OutId": "123",
            "PhoneNumbers": "15300000001",
            "RegionId": "cn-hangzhou",
            "SignName": "阿里云短信测试专用",
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
            "SignatureVersion": "1.0",
            "TemplateCode": "SMS_71390007",
            "TemplateParam": '{"customer":"test"}',
            "Timestamp": "2017-07-12T02:42:19Z",
            "Version": "2017-05-25",
        }
        assert aliyun_sms.signature(params, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="

    def test_percent_encoding_follows_the_pop_rules(self) -> None:
        assert aliyun_sms.percent_encode("a b*c~d/") == "a%20b%2Ac~d%2F"


class TestSendSms:
    def test_sends_the_mapped_template_with_its_variables(
        self, session: Session, fake: FakeAliyunSms, account: ConnectorAccount
    ) -> None:
        order = make_order(session)
        message = queue_sms(session, order, "delay:1")
        deliver(session)
        [sent] = fake.sent
        assert (sent["PhoneNumbers"], sent["SignName"], sent["TemplateCode"], sent["OutId"]) == (
            PHONE,
            "好物旗舰店",
            "SMS_460000001",
            "delay:1",
        )
        assert sent["TemplateParam"] == f'{{"order_no":"{order.source_id}"}}'
        session.refresh(message)
        assert message.status == OutboxStatus.SENT
        row = session.scalar(select(SmsSend).where(SmsSend.idempotency_key == "delay:1"))
        assert row is not None
        assert row.biz_id == sent["BizId"]

    def test_a_template_without_an_aliyun_code_is_not_sent(
        self, session: Session, fake: FakeAliyunSms, account: ConnectorAccount
    ) -> None:
        message = queue_sms(session, make_order(session), "x:1", template_code="unmapped")
        deliver(session)
        session.refresh(message)
        assert fake.sent == []
        assert "unmapped" in (message.last_error or "")

    def test_a_second_sms_to_the_same_phone_within_a_minute_waits(
        self, session: Session, fake: FakeAliyunSms, account: ConnectorAccount
    ) -> None:
        order = make_order(session)
        queue_sms(session, order, "a:1")
        second = queue_sms(session, order, "a:2")
        deliver(session)
        session.refresh(second)
        assert len(fake.sent) == 1
        assert (second.status, "过于频繁" in (second.last_error or "")) == (OutboxStatus.PENDING, True)

    def test_a_refused_number_fails_the_message_and_the_account_records_it(
        self, session: Session, fake: FakeAliyunSms, account: ConnectorAccount
    ) -> None:
        fake.refuse_numbers.add(PHONE)
        message = queue_sms(session, make_order(session), "r:1")
        deliver(session)
        session.refresh(message)
        session.refresh(account)
        assert "isv.MOBILE_NUMBER_ILLEGAL" in (message.last_error or "")
        assert account.error_count == 1

    def test_a_wrong_secret_is_refused_by_the_signature_check(
        self, session: Session, fake: FakeAliyunSms, account: ConnectorAccount
    ) -> None:
        fake.secret = "rotated-secret"
        message = queue_sms(session, make_order(session), "s:1")
        deliver(session)
        session.refresh(message)
        assert "SignatureDoesNotMatch" in (message.last_error or "")

    def test_a_redelivery_of_an_accepted_key_is_not_sent_again(
        self, session: Session, fake: FakeAliyunSms, account: ConnectorAccount
    ) -> None:
        message = queue_sms(session, make_order(session), "d:1")
        deliver(session)
        sms.send(session, account=account, message=message, phone=PHONE)
        assert len(fake.sent) == 1

    def test_a_shop_without_an_account_keeps_the_recorded_provider(
        self, session: Session, fake: FakeAliyunSms, tmp_path: Path
    ) -> None:
        recorded: OutboundRecorder = use_recorder(tmp_path / "outbound")
        queue_sms(session, make_order(session), "l:1")
        deliver(session)
        assert fake.sent == []
        assert [r["idempotency_key"] for r in recorded.records("sms")] == ["l:1"]

    def test_the_template_variables_travel_with_a_customer_sms(self, session: Session) -> None:
        make_template(session, code="parcel_delay", channel="sms", body="亲,订单 {{ order_no }} 的包裹延误了")
        order = make_order(session)
        send_customer_message(session, order_id=order.id, template_code="parcel_delay", idempotency_key="t:1")
        message = session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == "t:1"))
        assert message is not None
        assert message.payload["params"] == {"order_no": order.source_id}


class TestReceipts:
    def test_a_delivery_report_marks_the_send(
        self, session: Session, client: TestClient, fake: FakeAliyunSms, account: ConnectorAccount
    ) -> None:
        queue_sms(session, make_order(session), "p:1")
        deliver(session)
        url = sms.receipt_url(account)
        assert url is not None
        path = url.removeprefix("https://aftersales.example.com")
        response = client.post(path, json=[fake.receipt(fake.sent[0], success=False)])
        assert response.json() == {"code": 0, "msg": "接收成功"}
        row = session.scalar(select(SmsSend).where(SmsSend.idempotency_key == "p:1"))
        assert row is not None
        session.refresh(row)
        assert (row.delivered, row.report_code, row.report_message) == (False, "MK:0001", "用户关机")

    def test_the_connections_page_counts_delivery_reports(
        self,
        session: Session,
        client: TestClient,
        fake: FakeAliyunSms,
        account: ConnectorAccount,
        auth_headers: Callable[..., dict[str, str]],
    ) -> None:
        queue_sms(session, make_order(session), "c:1")
        deliver(session)
        path = (sms.receipt_url(account) or "").removeprefix("https://aftersales.example.com")
        client.post(path, json=[fake.receipt(fake.sent[0])])
        page = client.get("/console/connectors", headers=auth_headers(Role.ADMIN)).text
        assert "阿里云短信: 已送达 1 条" in page

    def test_a_wrong_token_is_refused(self, client: TestClient, account: ConnectorAccount) -> None:
        response = client.post(f"/api/connectors/aliyun-sms/{account.id}/receipts/{'0' * 32}", json=[])
        assert response.status_code == 401


class TestConnectionCheck:
    def test_queries_a_mapped_template(self, session: Session, account: ConnectorAccount) -> None:
        assert service.test_connection(session, account=account) == "凭证有效,模板 SMS_460000001 已通过审核"

    def test_an_unknown_access_key_fails(
        self, session: Session, fake: FakeAliyunSms, account: ConnectorAccount
    ) -> None:
        fake.access_key_id = "another"
        with pytest.raises(ProviderError, match="InvalidAccessKeyId.NotFound"):
            service.test_connection(session, account=account)


class TestTimestampWindow:
    def test_a_request_signed_twenty_minutes_ago_is_refused(
        self, fake: FakeAliyunSms, server: ProviderServer
    ) -> None:
        query = aliyun_sms.signed_params(
            access_key_id=fake.access_key_id,
            secret=fake.secret,
            action="QuerySmsTemplate",
            params={"TemplateCode": "SMS_460000001"},
            now=utcnow() - timedelta(minutes=20),
        )
        reply = service.request("GET", server.url + "/", params=query).json()
        assert reply["Code"] == "InvalidTimeStamp.Expired"
