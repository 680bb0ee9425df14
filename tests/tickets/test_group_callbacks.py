"""Replies from the groups: each platform's callback verified as documented (valid, wrong
signature, replayed, encrypted), matched to its ticket and written into the timeline."""

import json
import time
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.messaging.callbacks import Inbound
from aftersales.tickets import collab, collab_replies
from aftersales.tickets.collab_models import GroupBotApp, GroupReply
from aftersales.tickets.models import GroupBot, Ticket, TimelineEntry
from tests.builders.orders import make_order, make_shipment
from tests.builders.tickets import make_bot, make_bot_app, make_ticket
from tests.tickets.group_platforms import (
    DINGTALK_SECRET,
    FEISHU_KEY,
    FEISHU_TOKEN,
    WECOM_AES_KEY,
    WECOM_CORP,
    WECOM_TOKEN,
    dingtalk_request,
    feishu_event,
    feishu_request,
    wecom_encrypt,
    wecom_message,
    wecom_query,
)


def feishu_bot(session: Session) -> GroupBot:
    bot = make_bot(session, group_code="logistics", channel="feishu")
    make_bot_app(session, bot=bot, role="courier", token=FEISHU_TOKEN, aes_key=FEISHU_KEY)
    return bot


def dingtalk_bot(session: Session) -> GroupBot:
    bot = make_bot(session, group_code="warehouse", channel="dingtalk")
    make_bot_app(session, bot=bot, role="warehouse", app_secret=DINGTALK_SECRET)
    return bot


def wecom_bot(session: Session) -> GroupBot:
    bot = make_bot(session, group_code="logistics", channel="wecom")
    make_bot_app(
        session, bot=bot, role="courier", token=WECOM_TOKEN, aes_key=WECOM_AES_KEY, app_id=WECOM_CORP
    )
    return bot


def timeline_of(session: Session, ticket: Ticket) -> list[str]:
    query = select(TimelineEntry.message).where(
        TimelineEntry.ticket_id == ticket.id, TimelineEntry.kind == "group_reply"
    )
    return list(session.scalars(query))


class TestFeishu:
    def test_an_encrypted_signed_message_is_written_into_the_ticket_as_courier_reply(
        self, session: Session, client: TestClient
    ) -> None:
        bot, ticket = feishu_bot(session), make_ticket(session)
        body, headers = feishu_request(feishu_event(f"工单#{ticket.id} 已拦截,包裹退回中"))
        response = client.post(f"/api/tickets/group-callbacks/{bot.id}/feishu", content=body, headers=headers)
        assert response.status_code == 200
        assert timeline_of(session, ticket) == [f"快递回复(ou_courier):工单#{ticket.id} 已拦截,包裹退回中"]

    def test_a_wrong_signature_is_refused(self, session: Session, client: TestClient) -> None:
        bot, ticket = feishu_bot(session), make_ticket(session)
        body, headers = feishu_request(feishu_event(f"#{ticket.id} 好的"))
        headers["X-Lark-Signature"] = "0" * 64
        response = client.post(f"/api/tickets/group-callbacks/{bot.id}/feishu", content=body, headers=headers)
        assert (response.status_code, timeline_of(session, ticket)) == (401, [])

    def test_an_event_encrypted_with_another_key_is_refused(
        self, session: Session, client: TestClient
    ) -> None:
        bot, ticket = feishu_bot(session), make_ticket(session)
        body, headers = feishu_request(feishu_event(f"#{ticket.id} 好的"), key="someone-elses-key")
        response = client.post(f"/api/tickets/group-callbacks/{bot.id}/feishu", content=body, headers=headers)
        assert response.status_code == 401

    def test_a_wrong_verification_token_is_refused(self, session: Session, client: TestClient) -> None:
        bot, ticket = feishu_bot(session), make_ticket(session)
        body, headers = feishu_request(feishu_event(f"#{ticket.id} 好的", token="other"))
        response = client.post(f"/api/tickets/group-callbacks/{bot.id}/feishu", content=body, headers=headers)
        assert response.status_code == 401

    def test_the_same_signed_request_a_second_time_is_refused_as_a_replay(
        self, session: Session, client: TestClient
    ) -> None:
        bot, ticket = feishu_bot(session), make_ticket(session)
        body, headers = feishu_request(feishu_event(f"#{ticket.id} 已拦截"))
        url = f"/api/tickets/group-callbacks/{bot.id}/feishu"
        statuses = [client.post(url, content=body, headers=headers).status_code for _ in range(2)]
        assert (statuses, len(timeline_of(session, ticket))) == ([200, 409], 1)

    def test_an_old_timestamp_is_refused(self, session: Session, client: TestClient) -> None:
        bot, ticket = feishu_bot(session), make_ticket(session)
        body, headers = feishu_request(feishu_event(f"#{ticket.id} 好的"), timestamp=int(time.time()) - 7200)
        response = client.post(f"/api/tickets/group-callbacks/{bot.id}/feishu", content=body, headers=headers)
        assert response.status_code == 401

    def test_url_verification_answers_the_challenge(self, session: Session, client: TestClient) -> None:
        bot = feishu_bot(session)
        handshake = {"challenge": "ajls384kdjx98XX", "token": FEISHU_TOKEN, "type": "url_verification"}
        body, headers = feishu_request(handshake, signed=False)
        response = client.post(f"/api/tickets/group-callbacks/{bot.id}/feishu", content=body, headers=headers)
        assert response.json() == {"challenge": "ajls384kdjx98XX"}

    def test_an_unsigned_event_is_refused_even_when_encrypted_right(
        self, session: Session, client: TestClient
    ) -> None:
        bot, ticket = feishu_bot(session), make_ticket(session)
        body, headers = feishu_request(feishu_event(f"#{ticket.id} 好的"), signed=False)
        response = client.post(f"/api/tickets/group-callbacks/{bot.id}/feishu", content=body, headers=headers)
        assert response.status_code == 401


class TestFeishuWithoutEncryptKey:
    """Without an Encrypt Key Feishu posts the event in clear; its Verification Token decides."""

    def test_a_clear_event_with_the_right_token_is_filed(self, session: Session, client: TestClient) -> None:
        bot, ticket = make_bot(session, group_code="logistics", channel="feishu"), make_ticket(session)
        make_bot_app(session, bot=bot, role="courier", token=FEISHU_TOKEN)
        body = json.dumps(feishu_event(f"#{ticket.id} 已到网点")).encode()
        response = client.post(f"/api/tickets/group-callbacks/{bot.id}/feishu", content=body)
        assert (response.status_code, len(timeline_of(session, ticket))) == (200, 1)

    def test_a_clear_event_with_another_token_is_refused(self, session: Session, client: TestClient) -> None:
        bot, ticket = make_bot(session, group_code="logistics", channel="feishu"), make_ticket(session)
        make_bot_app(session, bot=bot, role="courier", token=FEISHU_TOKEN)
        body = json.dumps(feishu_event(f"#{ticket.id} 已到网点", token="forged")).encode()
        assert client.post(f"/api/tickets/group-callbacks/{bot.id}/feishu", content=body).status_code == 401


class TestDingTalk:
    def test_a_signed_message_is_written_into_the_ticket_as_warehouse_reply(
        self, session: Session, client: TestClient
    ) -> None:
        bot, ticket = dingtalk_bot(session), make_ticket(session)
        body, headers = dingtalk_request(f"工单 {ticket.id} 已补发 顺丰 SF1234567890")
        response = client.post(
            f"/api/tickets/group-callbacks/{bot.id}/dingtalk", content=body, headers=headers
        )
        assert response.status_code == 200
        assert timeline_of(session, ticket) == [
            f"仓库回复(仓库小王):工单 {ticket.id} 已补发 顺丰 SF1234567890"
        ]

    def test_a_sign_made_with_another_secret_is_refused(self, session: Session, client: TestClient) -> None:
        bot, ticket = dingtalk_bot(session), make_ticket(session)
        body, headers = dingtalk_request(f"#{ticket.id} 收到", secret="not-the-app-secret")
        response = client.post(
            f"/api/tickets/group-callbacks/{bot.id}/dingtalk", content=body, headers=headers
        )
        assert (response.status_code, timeline_of(session, ticket)) == (401, [])

    def test_a_replayed_request_is_refused(self, session: Session, client: TestClient) -> None:
        bot, ticket = dingtalk_bot(session), make_ticket(session)
        body, headers = dingtalk_request(f"#{ticket.id} 收到")
        url = f"/api/tickets/group-callbacks/{bot.id}/dingtalk"
        assert [client.post(url, content=body, headers=headers).status_code for _ in range(2)] == [200, 409]

    def test_a_timestamp_older_than_an_hour_is_refused(self, session: Session, client: TestClient) -> None:
        bot = dingtalk_bot(session)
        body, headers = dingtalk_request("收到", timestamp_ms=int((time.time() - 3700) * 1000))
        response = client.post(
            f"/api/tickets/group-callbacks/{bot.id}/dingtalk", content=body, headers=headers
        )
        assert response.status_code == 401

    def test_a_callback_naming_a_bot_of_another_platform_is_refused(
        self, session: Session, client: TestClient
    ) -> None:
        bot = feishu_bot(session)
        body, headers = dingtalk_request("收到")
        response = client.post(
            f"/api/tickets/group-callbacks/{bot.id}/dingtalk", content=body, headers=headers
        )
        assert response.status_code == 401


class TestWeCom:
    def test_url_verification_answers_the_decrypted_echostr(
        self, session: Session, client: TestClient
    ) -> None:
        bot = wecom_bot(session)
        echostr = wecom_encrypt("1616140317555161061")
        query = {**wecom_query(echostr), "echostr": echostr}
        response = client.get(f"/api/tickets/group-callbacks/{bot.id}/wecom", params=query)
        assert (response.status_code, response.text) == (200, "1616140317555161061")

    def test_an_encrypted_message_is_written_into_the_ticket(
        self, session: Session, client: TestClient
    ) -> None:
        bot, ticket = wecom_bot(session), make_ticket(session)
        body, query = wecom_message(f"工单#{ticket.id} 找到了,明天派送")
        response = client.post(f"/api/tickets/group-callbacks/{bot.id}/wecom", params=query, content=body)
        assert response.status_code == 200
        assert timeline_of(session, ticket) == [f"快递回复(zhangsan):工单#{ticket.id} 找到了,明天派送"]

    def test_a_wrong_msg_signature_is_refused(self, session: Session, client: TestClient) -> None:
        bot = wecom_bot(session)
        body, query = wecom_message("收到")
        query["msg_signature"] = "0" * 40
        response = client.post(f"/api/tickets/group-callbacks/{bot.id}/wecom", params=query, content=body)
        assert response.status_code == 401

    def test_a_message_for_another_corp_is_refused(self, session: Session, client: TestClient) -> None:
        bot = wecom_bot(session)
        body, query = wecom_message("收到", corp_id="wx_other_corp")
        response = client.post(f"/api/tickets/group-callbacks/{bot.id}/wecom", params=query, content=body)
        assert response.status_code == 401

    def test_a_replayed_message_is_refused(self, session: Session, client: TestClient) -> None:
        bot = wecom_bot(session)
        body, query = wecom_message("收到")
        url = f"/api/tickets/group-callbacks/{bot.id}/wecom"
        assert [client.post(url, params=query, content=body).status_code for _ in range(2)] == [200, 409]


def reply(session: Session, text: str, *, message_id: str, thread_id: str | None = None) -> GroupReply:
    """A Feishu group message as the callback hands it over after verification."""
    bot = session.scalars(select(GroupBot).where(GroupBot.channel == "feishu")).first() or feishu_bot(session)
    app = session.scalars(select(GroupBotApp).where(GroupBotApp.bot_id == bot.id)).one()
    message = Inbound("feishu", message_id, "ou_courier", text, "oc_group", thread_id)
    return collab_replies.receive(session, bot=bot, app=app, message=message)


class TestMatching:
    def test_by_the_ticket_number_in_the_text(self, session: Session) -> None:
        ticket = make_ticket(session)
        assert reply(session, f"#{ticket.id} 正在核实", message_id="m1").ticket_id == ticket.id

    def test_by_a_tracking_number_of_the_tickets_order(self, session: Session) -> None:
        order = make_order(session)
        make_shipment(session, order=order, tracking_no="75312345678901")
        ticket = make_ticket(session, order=order)
        found = reply(session, "75312345678901 已拦截成功", message_id="m2")
        assert (found.ticket_id, found.matched_by, found.action) == (ticket.id, "tracking", "intercept")

    def test_by_the_thread_a_reply_answers(self, session: Session) -> None:
        ticket = make_ticket(session)
        reply(session, f"#{ticket.id} 在查", message_id="om_root")
        threaded = reply(session, "找到了", message_id="om_child", thread_id="om_root")
        assert (threaded.ticket_id, threaded.matched_by, threaded.action) == (ticket.id, "thread", "found")

    def test_an_unmatched_reply_waits_in_the_supervisors_inbox(self, session: Session) -> None:
        make_ticket(session)
        lost = reply(session, "这个件在哪个网点?", message_id="m3")
        assert lost.ticket_id is None
        assert [r.id for r in collab_replies.unmatched_replies(session)] == [lost.id]

    def test_a_platforms_retry_of_one_message_is_stored_once(self, session: Session) -> None:
        ticket = make_ticket(session)
        first = reply(session, f"#{ticket.id} 收到", message_id="m4")
        again = reply(session, f"#{ticket.id} 收到", message_id="m4")
        assert (again.id, len(timeline_of(session, ticket))) == (first.id, 1)

    def test_a_matched_reply_answers_the_groups_open_card(self, session: Session) -> None:
        ticket = make_ticket(session)
        feishu_bot(session)
        card = collab.send_card(session, ticket_id=ticket.id, group_code="logistics")
        assert [c.id for c, _, _ in collab_replies.unanswered_cards(session)] == [card.id]
        reply(session, f"#{ticket.id} 已处理", message_id="m5")
        assert collab_replies.unanswered_cards(session) == []

    @pytest.mark.parametrize(
        ("text", "action"),
        [
            ("快递已拦截成功", "intercept"),
            ("已补发 中通 7351234567", "reshipment"),
            ("包裹找到了", "found"),
            ("收到", None),
        ],
    )
    def test_the_suggested_action(self, text: str, action: str | None) -> None:
        assert collab_replies.suggest_action(text) == action


class TestBotAppApi:
    def test_an_admin_connects_the_app_and_its_callback_then_verifies(
        self, session: Session, client: TestClient, auth_headers: Callable[..., dict[str, str]]
    ) -> None:
        bot, ticket = make_bot(session, group_code="warehouse", channel="dingtalk"), make_ticket(session)
        response = client.put(
            f"/api/tickets/group-bots/{bot.id}/app",
            json={"role": "warehouse", "app_secret": DINGTALK_SECRET},
            headers=auth_headers(Role.ADMIN),
        )
        assert DINGTALK_SECRET not in response.text
        body, headers = dingtalk_request(f"#{ticket.id} 收到")
        assert client.post(response.json()["callback_path"], content=body, headers=headers).status_code == 200

    def test_a_generic_webhook_has_no_app(
        self, session: Session, client: TestClient, auth_headers: Callable[..., dict[str, str]]
    ) -> None:
        bot = make_bot(session, channel="webhook")
        response = client.put(
            f"/api/tickets/group-bots/{bot.id}/app",
            json={"role": "courier"},
            headers=auth_headers(Role.ADMIN),
        )
        assert response.status_code == 404
