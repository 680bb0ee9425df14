"""Seed 001 + 004 end to end: a buyer photographs a damaged parcel in the portal; the shop's rule
refunds at once; routing sends the warehouse group a card with the photo; the warehouse answers
in DingTalk and the answer lands on the ticket as 仓库回复."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from aftersales.jobs.runner import drain
from aftersales.messaging.jobs import deliver_outbox
from aftersales.returns import photo_refunds
from aftersales.returns.models import Authority, Compensation, ReturnRequest
from aftersales.selfservice import service
from aftersales.selfservice.schemas import ReturnApply
from aftersales.selfservice.settings import get_selfservice_settings
from aftersales.tickets.models import TimelineEntry
from tests.builders import make_order, make_shipment
from tests.builders.tickets import PNG, make_bot, make_bot_app, make_rule
from tests.receiver import receiving_server
from tests.tickets.group_platforms import DINGTALK_SECRET, dingtalk_request


@pytest.fixture(autouse=True)
def upload_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("AFTERSALES_SELFSERVICE_UPLOAD_DIR", str(tmp_path / "uploads"))
    get_selfservice_settings.cache_clear()
    yield tmp_path / "uploads"
    get_selfservice_settings.cache_clear()


def test_damaged_parcel_photo_to_warehouse_reply_and_refund(
    session: Session, session_factory: sessionmaker[Session], client: TestClient
) -> None:
    order = make_order(session, paid_fen=9_900, total_fen=9_900)
    make_shipment(session, order=order, delivered_at=order.ordered_at)
    photo_refunds.save_rule(session, shop_id=order.shop_id, values={"max_fen": 20_000})
    make_rule(session, conditions={"subcategories": ["质量问题"]}, cc_group_code="warehouse")
    with receiving_server() as warehouse:
        bot = make_bot(session, group_code="warehouse", channel="dingtalk", url=f"{warehouse.url}/robot/send")
        make_bot_app(session, bot=bot, role="warehouse", app_secret=DINGTALK_SECRET)
        portal = service.submit_return(
            session,
            order_id=order.id,
            data=ReturnApply(kind="refund", reason="damaged"),
            photos=[(PNG, "破损.png")],
        )
        session.commit()
        drain(session_factory)
        deliver_outbox(session, checkpoint=session.commit)
    card = next(r.body["actionCard"] for r in warehouse.received if r.body["msgtype"] == "actionCard")
    assert f"【售后工单 #{portal.ticket_id}】" in card["title"]
    assert "/api/tickets/group-photos/" in card["text"]

    refund = session.scalars(select(Compensation).where(Compensation.order_id == order.id)).one()
    request = session.get(ReturnRequest, portal.return_request_id)
    assert request is not None
    assert (refund.amount_fen, refund.authority) == (9_900, Authority.SHOP_RULE)

    body, headers = dingtalk_request(f"工单#{portal.ticket_id} 已核实外箱破损,同意退款")
    assert (
        client.post(
            f"/api/tickets/group-callbacks/{bot.id}/dingtalk", content=body, headers=headers
        ).status_code
        == 200
    )
    replies = session.scalars(
        select(TimelineEntry.message).where(
            TimelineEntry.ticket_id == portal.ticket_id, TimelineEntry.kind == "group_reply"
        )
    ).all()
    assert replies == [f"仓库回复(仓库小王):工单#{portal.ticket_id} 已核实外箱破损,同意退款"]
