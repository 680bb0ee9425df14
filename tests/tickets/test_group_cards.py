"""Ticket cards to the logistics and warehouse groups: each platform's documented card and image
payloads, delivered through the outbox to local servers speaking the platform's protocol."""

import base64
import hashlib
import json
from contextlib import AbstractContextManager
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from aftersales.jobs.runner import drain
from aftersales.kit.errors import InvalidInputError
from aftersales.messaging.jobs import deliver_outbox
from aftersales.messaging.models import OutboxMessage, OutboxStatus
from aftersales.tickets import collab
from aftersales.tickets.models import Ticket
from tests.builders.orders import make_order, make_shipment
from tests.builders.tickets import PNG, make_bot, make_bot_app, make_photo, make_rule, make_ticket
from tests.connectors.provider_server import Answer, Call, ProviderServer, provider_server
from tests.receiver import Receiver, receiving_server


def deliver(session: Session) -> None:
    session.commit()
    deliver_outbox(session, checkpoint=session.commit)


def damaged_ticket(session: Session, tracking_no: str = "73500000012345") -> Ticket:
    order = make_order(session)
    make_shipment(session, order=order, courier="zto", tracking_no=tracking_no)
    return make_ticket(session, order=order, detail="破损", title="收到时外箱破损")


def card_to(session: Session, receiver: Receiver, channel: str, ticket: Ticket, **bot: str) -> None:
    make_bot(session, group_code="logistics", channel=channel, url=f"{receiver.url}/hook", **bot)
    collab.send_card(session, ticket_id=ticket.id, group_code="logistics")
    deliver(session)


class TestWeCom:
    def test_card_is_a_text_notice_template_card_with_the_ticket_fields_and_a_link_back(
        self, session: Session
    ) -> None:
        ticket = damaged_ticket(session)
        with receiving_server() as receiver:
            card_to(session, receiver, "wecom", ticket)
        card = receiver.received[0].body["template_card"]
        fields = {item["keyname"]: item["value"] for item in card["horizontal_content_list"]}
        assert (card["card_type"], fields["快递单号"], fields["工单号"]) == (
            "text_notice",
            "73500000012345",
            f"#{ticket.id}",
        )
        assert card["card_action"] == {"type": 1, "url": f"http://127.0.0.1:8000/console/tickets/{ticket.id}"}

    def test_photo_follows_as_an_image_message_with_base64_and_the_md5_of_the_raw_bytes(
        self, session: Session
    ) -> None:
        ticket = damaged_ticket(session)
        make_photo(session, ticket=ticket)
        with receiving_server() as receiver:
            card_to(session, receiver, "wecom", ticket)
        image = receiver.received[1].body
        assert image["msgtype"] == "image"
        assert base64.b64decode(image["image"]["base64"]) == PNG
        assert image["image"]["md5"] == hashlib.md5(PNG).hexdigest()

    def test_a_photo_wecom_cannot_show_is_named_in_the_card_instead(self, session: Session) -> None:
        ticket = damaged_ticket(session)
        make_photo(session, ticket=ticket, content=b"RIFF\x00\x00\x00\x00WEBPVP8 ")
        with receiving_server() as receiver:
            card_to(session, receiver, "wecom", ticket)
        assert len(receiver.received) == 1
        assert "另有 1 张照片" in receiver.received[0].body["template_card"]["main_title"]["desc"]


class TestDingTalk:
    def test_card_is_an_action_card_whose_markdown_shows_the_photo_by_a_signed_link(
        self, session: Session
    ) -> None:
        ticket = damaged_ticket(session)
        photo = make_photo(session, ticket=ticket)
        with receiving_server() as receiver:
            card_to(session, receiver, "dingtalk", ticket)
        card = receiver.received[0].body["actionCard"]
        assert card["singleURL"].endswith(f"/console/tickets/{ticket.id}")
        assert f"/api/tickets/group-photos/{photo.id}?sig=" in card["text"]
        assert "**快递单号**:73500000012345" in card["text"]

    def test_the_signed_photo_link_serves_the_photo_without_a_login(
        self, session: Session, client: TestClient
    ) -> None:
        ticket = damaged_ticket(session)
        photo = make_photo(session, ticket=ticket)
        link = urlsplit(collab.photo_link(photo.id))
        response = client.get(f"{link.path}?{link.query}")
        assert (response.status_code, response.content) == (200, PNG)

    def test_a_photo_link_with_a_forged_signature_is_refused(
        self, session: Session, client: TestClient
    ) -> None:
        ticket = damaged_ticket(session)
        photo = make_photo(session, ticket=ticket)
        other = make_photo(session, ticket=ticket)
        sig = parse_qs(urlsplit(collab.photo_link(other.id)).query)["sig"][0]
        assert client.get(f"/api/tickets/group-photos/{photo.id}?sig={sig}").status_code == 401


def feishu_platform(calls: list[Call]) -> AbstractContextManager[ProviderServer]:
    """Token, image upload and custom-bot webhook, answering as the Feishu open platform does."""

    def handle(call: Call) -> Answer:
        calls.append(call)
        if call.path == "/open-apis/auth/v3/tenant_access_token/internal":
            body = json.loads(call.body)
            ok = body == {"app_id": "cli_test", "app_secret": "app-secret"}
            reply = {"code": 0, "tenant_access_token": "t-abc", "expire": 7200} if ok else {"code": 10014}
            return Answer(200, json.dumps(reply).encode())
        if call.path == "/open-apis/im/v1/images":
            ok = (
                call.headers.get("Authorization") == "Bearer t-abc"
                and b'name="image_type"\r\n\r\nmessage' in call.body
            )
            reply = {"code": 0, "data": {"image_key": "img_v2_key1"}} if ok else {"code": 99991663}
            return Answer(200, json.dumps(reply).encode())
        return Answer(200, b'{"code":0,"msg":"success","data":{}}')

    return provider_server(handle)


class TestFeishu:
    def test_photo_is_uploaded_with_the_apps_token_and_its_image_key_goes_into_the_card(
        self, session: Session
    ) -> None:
        ticket = damaged_ticket(session)
        make_photo(session, ticket=ticket)
        calls: list[Call] = []
        with feishu_platform(calls) as server:
            bot = make_bot(
                session, group_code="logistics", channel="feishu", url=f"{server.url}/open-apis/bot/v2/hook/x"
            )
            make_bot_app(session, bot=bot, app_id="cli_test", app_secret="app-secret", api_base=server.url)
            collab.send_card(session, ticket_id=ticket.id, group_code="logistics")
            deliver(session)
        posted = json.loads(calls[-1].body)
        images = [e for e in posted["card"]["elements"] if e["tag"] == "img"]
        assert (posted["msg_type"], images[0]["img_key"]) == ("interactive", "img_v2_key1")
        assert [c.path for c in calls[:2]] == [
            "/open-apis/auth/v3/tenant_access_token/internal",
            "/open-apis/im/v1/images",
        ]

    def test_without_app_credentials_the_card_goes_without_image_elements(self, session: Session) -> None:
        ticket = damaged_ticket(session)
        make_photo(session, ticket=ticket)
        with receiving_server() as receiver:
            card_to(session, receiver, "feishu", ticket)
        elements = receiver.received[0].body["card"]["elements"]
        assert [e["tag"] for e in elements] == ["div", "div", "action"]

    def test_a_refused_upload_leaves_the_card_to_be_retried(self, session: Session) -> None:
        ticket = damaged_ticket(session)
        make_photo(session, ticket=ticket)
        calls: list[Call] = []
        with feishu_platform(calls) as server:
            bot = make_bot(session, group_code="logistics", channel="feishu", url=f"{server.url}/hook")
            make_bot_app(session, bot=bot, app_id="cli_test", app_secret="wrong", api_base=server.url)
            collab.send_card(session, ticket_id=ticket.id, group_code="logistics")
            deliver(session)
        message = session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "feishu_card")).one()
        assert (message.status, "10014" in (message.last_error or "")) == (OutboxStatus.PENDING, True)


class TestOutbox:
    def test_a_failed_delivery_is_retried_and_reaches_the_group_once(self, session: Session) -> None:
        ticket = damaged_ticket(session)
        with receiving_server() as receiver:
            receiver.fail_next = 1
            card_to(session, receiver, "wecom", ticket)
            session.execute(OutboxMessage.__table__.update().values(next_attempt_at=OutboxMessage.created_at))
            deliver(session)
            deliver(session)
        assert len(receiver.received) == 1

    def test_outbox_row_keeps_the_app_secret_out(self, session: Session) -> None:
        ticket = damaged_ticket(session)
        make_photo(session, ticket=ticket)
        bot = make_bot(session, group_code="logistics", channel="feishu", url="http://127.0.0.1:9/hook")
        make_bot_app(session, bot=bot, app_id="cli_test", app_secret="app-secret-xyz")
        collab.send_card(session, ticket_id=ticket.id, group_code="logistics")
        destination = session.scalars(select(OutboxMessage.destination)).one()
        assert "app-secret-xyz" not in destination


class TestSending:
    def test_agents_edit_is_what_the_group_receives(self, session: Session) -> None:
        ticket = damaged_ticket(session)
        fields = {
            **collab.card_fields(session, ticket, collab.group_by_code(session, "logistics")),
            "ask": "请加急拦截",
        }
        with receiving_server() as receiver:
            make_bot(session, group_code="logistics", channel="dingtalk", url=f"{receiver.url}/hook")
            collab.send_card(
                session, ticket_id=ticket.id, group_code="logistics", fields=fields, photo_ids=[]
            )
            deliver(session)
        assert "**请协助**:请加急拦截" in receiver.received[0].body["actionCard"]["text"]

    def test_an_emptied_field_is_refused_naming_it(self, session: Session) -> None:
        ticket = damaged_ticket(session)
        fields = {
            **collab.card_fields(session, ticket, collab.group_by_code(session, "logistics")),
            "parcel": " ",
        }
        with pytest.raises(InvalidInputError) as caught:
            collab.send_card(session, ticket_id=ticket.id, group_code="logistics", fields=fields)
        assert caught.value.field == "parcel"

    def test_a_photo_of_another_ticket_cannot_be_attached(self, session: Session) -> None:
        ticket, other = damaged_ticket(session), damaged_ticket(session, "73500000054321")
        photo = make_photo(session, ticket=other)
        with pytest.raises(InvalidInputError):
            collab.send_card(session, ticket_id=ticket.id, group_code="logistics", photo_ids=[photo.id])

    def test_a_routing_rule_that_ccs_a_card_group_sends_the_card_after_commit(
        self, session: Session, session_factory: sessionmaker[Session]
    ) -> None:
        bot = make_bot(session, group_code="logistics", channel="wecom")
        make_bot_app(session, bot=bot)
        make_rule(session, conditions={"subcategories": ["质量问题"]}, cc_group_code="logistics")
        ticket = damaged_ticket(session)
        session.commit()
        drain(session_factory)
        cards = session.scalars(select(OutboxMessage).where(OutboxMessage.subject_id == ticket.id)).all()
        assert [m.payload["msgtype"] for m in cards if m.reason] == ["template_card"]

    def test_a_ticket_without_order_still_gets_a_card(self, session: Session) -> None:
        ticket = make_ticket(session)
        fields = collab.card_fields(session, ticket, collab.group_by_code(session, "logistics"))
        assert (fields["order"], fields["parcel"]) == ("无订单", "未发货")
