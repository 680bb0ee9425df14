"""A bad review from 淘宝 to the seller's explanation, end to end: the rate synced from the local
TOP gateway is triaged 差评 and opens a ticket for the supervisors by the existing rules, an
agent may not post its reply, a supervisor approves and posts it, and the outbox delivers it to
the gateway as ``taobao.traderate.explain.add`` exactly once however often it runs."""

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.catalog.models import Shop
from aftersales.connectors import platform_sync
from aftersales.messaging.jobs import deliver_outbox
from aftersales.reviews.models import ReplyStatus, Review, Triage
from aftersales.tickets.models import Ticket, TicketGroup
from tests.builders import make_shop
from tests.builders.connectors import TOP_CREDENTIALS, make_taobao_account
from tests.connectors.fake_taobao import NOW, FakeTop, rate, trade
from tests.connectors.provider_server import provider_server

OID, TID = "33000000000007771", "3300000000000777"


def test_a_bad_taobao_review_is_ticketed_and_its_approved_reply_reaches_top_once(
    session: Session, client: TestClient, auth_headers: Callable[..., dict[str, str]]
) -> None:
    shop: Shop = make_shop(session)
    top = FakeTop(
        app_key=TOP_CREDENTIALS["app_key"],
        secret=TOP_CREDENTIALS["app_secret"],
        session=TOP_CREDENTIALS["session"],
    )
    top.trades = [trade(TID, shipped=True, hours_ago=30)]
    top.rates = [rate(OID, TID, result="bad", content="耳机左边没声音,质量太差了")]
    with provider_server(top) as server:
        account = make_taobao_account(session, endpoint=server.url + "/router/rest", shop=shop)
        platform_sync.sync_account(session, account=account, now=NOW)
        review = session.scalar(select(Review).where(Review.source_id == OID))
        assert review is not None
        assert (review.triage, review.stars) == (Triage.NEGATIVE, 1)
        ticket = session.get_one(Ticket, review.ticket_id)
        assert session.get_one(TicketGroup, ticket.group_id).code == "supervisors"

        path = f"/api/reviews/{review.id}/reply/post"
        assert client.post(path, headers=auth_headers(Role.AGENT)).status_code == 403
        posted = client.post(path, headers=auth_headers(Role.SUPERVISOR))
        assert posted.status_code == 200
        session.commit()
        deliver_outbox(session, checkpoint=session.commit)
        deliver_outbox(session, checkpoint=session.commit)
    explains = [call for call in server.calls if call.form.get("method") == "taobao.traderate.explain.add"]
    assert len(explains) == 1
    assert top.explanations == [{"oid": OID, "reply": posted.json()["text"]}]
    session.refresh(review)
    assert review.reply_status == ReplyStatus.POSTED
