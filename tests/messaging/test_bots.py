"""Group robots: each platform's documented JSON and signature, delivered through the outbox to a
local HTTP server; a failed delivery is retried without a duplicate."""

import base64
import hashlib
import hmac
from urllib.parse import parse_qs, unquote_plus, urlsplit

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.kit.time import utcnow
from aftersales.messaging.bots import check_reply, dingtalk_sign, feishu_sign, split_secret, with_secret
from aftersales.messaging.channels import DeliveryError
from aftersales.messaging.jobs import deliver_outbox
from aftersales.messaging.models import OutboxMessage, OutboxStatus
from aftersales.tickets.service import notify_group
from tests.builders.tickets import make_bot
from tests.receiver import receiving_server

SECRET = "SEC0123456789abcdef"


def deliver(session: Session) -> None:
    session.commit()
    deliver_outbox(session, checkpoint=session.commit)


class TestPayloads:
    def test_wecom_text_message(self, session: Session) -> None:
        with receiving_server() as receiver:
            make_bot(
                session,
                group_code="aftersales",
                channel="wecom",
                url=f"{receiver.url}/cgi-bin/webhook/send?key=K1",
            )
            notify_group(session, group_code="aftersales", text="【工单 #1】破损", idempotency_key="w1")
            deliver(session)
        got = receiver.received[0]
        assert got.path == "/cgi-bin/webhook/send?key=K1"
        assert got.body == {
            "msgtype": "text",
            "text": {"content": "【工单 #1】破损", "mentioned_mobile_list": []},
        }

    def test_dingtalk_text_message_with_signed_url(self, session: Session) -> None:
        with receiving_server() as receiver:
            url = f"{receiver.url}/robot/send?access_token=T1"
            make_bot(session, group_code="aftersales", channel="dingtalk", url=url, secret=SECRET)
            notify_group(session, group_code="aftersales", text="SLA 已超时", idempotency_key="d1")
            deliver(session)
        got = receiver.received[0]
        query = parse_qs(urlsplit(got.path).query)
        timestamp = query["timestamp"][0]
        expected = base64.b64encode(
            hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(), hashlib.sha256).digest()
        ).decode()
        assert query["access_token"] == ["T1"]
        assert query["sign"] == [expected]  # parse_qs has undone the URL encoding once
        assert got.body == {
            "msgtype": "text",
            "text": {"content": "SLA 已超时"},
            "at": {"atMobiles": [], "isAtAll": False},
        }

    def test_feishu_text_message_with_signature_in_the_body(self, session: Session) -> None:
        with receiving_server() as receiver:
            url = f"{receiver.url}/open-apis/bot/v2/hook/H1"
            make_bot(session, group_code="aftersales", channel="feishu", url=url, secret=SECRET)
            notify_group(session, group_code="aftersales", text="新工单", idempotency_key="f1")
            deliver(session)
        body = receiver.received[0].body
        key = f"{body['timestamp']}\n{SECRET}".encode()
        expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
        assert (body["msg_type"], body["content"], body["sign"]) == ("text", {"text": "新工单"}, expected)

    def test_feishu_without_secret_sends_no_signature(self, session: Session) -> None:
        with receiving_server() as receiver:
            make_bot(session, group_code="aftersales", channel="feishu", url=f"{receiver.url}/hook")
            notify_group(session, group_code="aftersales", text="x", idempotency_key="f2")
            deliver(session)
        assert receiver.received[0].body == {"msg_type": "text", "content": {"text": "x"}}

    def test_the_secret_never_leaves_in_the_request(self, session: Session) -> None:
        with receiving_server() as receiver:
            make_bot(
                session,
                group_code="aftersales",
                channel="dingtalk",
                url=f"{receiver.url}/r?access_token=T",
                secret=SECRET,
            )
            notify_group(session, group_code="aftersales", text="x", idempotency_key="d2")
            deliver(session)
        got = receiver.received[0]
        assert SECRET not in got.path
        assert SECRET not in str(got.body)


class TestSigning:
    def test_dingtalk_sign_is_url_encoded_base64(self) -> None:
        signed = dingtalk_sign(SECRET, 1700000000000)
        raw = base64.b64decode(unquote_plus(signed))
        assert raw == hmac.new(SECRET.encode(), f"1700000000000\n{SECRET}".encode(), hashlib.sha256).digest()

    def test_feishu_sign_keys_the_hmac_with_timestamp_and_secret(self) -> None:
        expected = hmac.new(f"1700000000\n{SECRET}".encode(), b"", hashlib.sha256).digest()
        assert base64.b64decode(feishu_sign(SECRET, 1700000000)) == expected

    def test_secret_round_trips_through_the_destination_fragment(self) -> None:
        url = "https://oapi.dingtalk.com/robot/send?access_token=abc"
        assert split_secret(with_secret(url, "S+/=")) == (url, "S+/=")

    @pytest.mark.parametrize(
        "reply", ['{"errcode":310000,"errmsg":"sign not match"}', '{"code":19021,"msg":"sign match fail"}']
    )
    def test_a_refusal_in_the_reply_body_is_a_failed_delivery(self, reply: str) -> None:
        with pytest.raises(DeliveryError, match="robot refused"):
            check_reply(reply)


class TestRetry:
    def test_failed_delivery_is_retried_and_arrives_once(self, session: Session) -> None:
        with receiving_server() as receiver:
            receiver.fail_next = 1
            make_bot(session, group_code="aftersales", channel="wecom", url=f"{receiver.url}/send?key=K")
            notify_group(session, group_code="aftersales", text="重试", idempotency_key="r1")
            deliver(session)
            message = session.scalars(select(OutboxMessage)).one()
            assert (message.status, message.attempts) == (OutboxStatus.PENDING, 1)
            message.next_attempt_at = utcnow()
            deliver(session)
            deliver(session)
        session.expire_all()
        assert [r.body["text"]["content"] for r in receiver.received] == ["重试"]
        assert session.scalars(select(OutboxMessage)).one().status == OutboxStatus.SENT

    def test_notifying_twice_with_the_same_key_delivers_once(self, session: Session) -> None:
        with receiving_server() as receiver:
            make_bot(session, group_code="aftersales", channel="wecom", url=f"{receiver.url}/send?key=K")
            for _ in range(2):
                notify_group(session, group_code="aftersales", text="一次", idempotency_key="r2")
            deliver(session)
            deliver(session)
        assert len(receiver.received) == 1
