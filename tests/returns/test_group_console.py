"""The 群协作 card on the ticket page and the supervisors' inbox render real data and their forms
work (the browser tests cover the clicks)."""

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.messaging.callbacks import Inbound
from aftersales.tickets import collab_replies
from aftersales.tickets.collab_models import GroupCard, GroupReply, TicketPhoto
from tests.builders import make_order, make_shipment
from tests.builders.tickets import PNG, make_bot, make_bot_app, make_ticket

Headers = Callable[..., dict[str, str]]


def unmatched(session: Session, text: str = "这票在网点滞留") -> GroupReply:
    bot = make_bot(session, group_code="logistics", channel="feishu")
    app = make_bot_app(session, bot=bot, role="courier", token="t")
    return collab_replies.receive(
        session, bot=bot, app=app, message=Inbound("feishu", f"om-{bot.id}", "ou_1", text)
    )


class TestTicketPanel:
    def test_shows_the_card_form_prefilled_and_the_groups_reply_with_its_action(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        order = make_order(session)
        make_shipment(session, order=order, tracking_no="73511112222333")
        ticket = make_ticket(session, order=order)
        reply = unmatched(session, f"#{ticket.id} 已拦截成功")
        page = client.get(
            f"/console/returns/groups/panels/ticket/{ticket.id}", headers=auth_headers(Role.AGENT)
        )
        assert 'value="73511112222333"' in page.text
        assert f"/console/returns/groups/replies/{reply.id}/apply" in page.text
        assert "确认拦截" in page.text

    def test_the_form_sends_the_edited_card(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        ticket = make_ticket(session, order=make_order(session))
        make_bot(session, group_code="logistics", channel="wecom")
        form = {
            "group_code": "logistics",
            "order": "T1",
            "parcel": "735",
            "courier": "中通",
            "problem": "破损",
            "ask": "请加急",
        }
        response = client.post(
            f"/console/returns/groups/tickets/{ticket.id}/cards",
            data=form,
            headers=auth_headers(Role.AGENT),
            follow_redirects=False,
        )
        card = session.scalars(select(GroupCard).where(GroupCard.ticket_id == ticket.id)).one()
        assert (response.status_code, card.fields["ask"]) == (303, "请加急")

    def test_an_emptied_field_is_a_422_naming_it(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        ticket = make_ticket(session, order=make_order(session))
        form = {
            "group_code": "logistics",
            "order": "T1",
            "parcel": "735",
            "courier": "中通",
            "problem": "破损",
            "ask": " ",
        }
        response = client.post(
            f"/console/returns/groups/tickets/{ticket.id}/cards", data=form, headers=auth_headers(Role.AGENT)
        )
        assert response.status_code == 422
        assert "请协助不能为空" in response.text

    def test_an_agents_photo_joins_the_ticket(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        ticket = make_ticket(session)
        client.post(
            f"/console/returns/groups/tickets/{ticket.id}/photos",
            files={"photo": ("截图.png", PNG, "image/png")},
            headers=auth_headers(Role.AGENT),
        )
        photo = session.scalars(select(TicketPhoto).where(TicketPhoto.ticket_id == ticket.id)).one()
        assert (photo.source, photo.content) == ("agent", PNG)

    def test_a_file_that_is_not_an_image_is_refused(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        ticket = make_ticket(session)
        response = client.post(
            f"/console/returns/groups/tickets/{ticket.id}/photos",
            files={"photo": ("a.png", b"<html>", "image/png")},
            headers=auth_headers(Role.AGENT),
        )
        assert response.status_code == 422


class TestInbox:
    def test_lists_unmatched_replies_for_supervisors(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        unmatched(session)
        page = client.get("/console/returns/groups/inbox", headers=auth_headers(Role.SUPERVISOR))
        assert "这票在网点滞留" in page.text

    def test_agents_may_not_open_it(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        assert (
            client.get("/console/returns/groups/inbox", headers=auth_headers(Role.AGENT)).status_code == 403
        )

    def test_filing_a_reply_puts_it_on_the_ticket(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        ticket = make_ticket(session)
        reply = unmatched(session)
        client.post(
            f"/console/returns/groups/replies/{reply.id}/file",
            data={"ticket_id": str(ticket.id)},
            headers=auth_headers(Role.SUPERVISOR),
        )
        session.refresh(reply)
        assert (reply.ticket_id, reply.matched_by) == (ticket.id, "manual")
