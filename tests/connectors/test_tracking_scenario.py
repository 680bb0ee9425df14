"""From 快递100 to a ticket: a parcel subscribed by the job goes silent at a hub; the pushes
快递100 sends are the only tracking the system gets, and the anomaly scan opens the ticket."""

from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.connectors import tracking
from aftersales.kit.time import format_local, utcnow
from aftersales.logistics import service as logistics
from aftersales.logistics.defaults import ensure_defaults
from aftersales.logistics.models import Anomaly, AnomalyKind
from aftersales.tickets.models import Ticket
from tests.builders import make_order, make_shipment
from tests.builders.connectors import KUAIDI100_CREDENTIALS, make_kuaidi100_account
from tests.connectors.fake_kuaidi100 import FakeKuaidi100, entry, push_form
from tests.connectors.provider_server import provider_server


def local(moment: datetime) -> str:
    return format_local(moment, "%Y-%m-%d %H:%M:%S")


def test_a_stuck_parcel_pushed_by_kuaidi100_opens_a_logistics_ticket(
    session: Session, client: TestClient
) -> None:
    now = utcnow().replace(microsecond=0)
    ensure_defaults(session)
    fake = FakeKuaidi100(key=KUAIDI100_CREDENTIALS["key"], customer=KUAIDI100_CREDENTIALS["customer"])
    with provider_server(fake) as server:
        account = make_kuaidi100_account(session, endpoint=server.url)
        parcel = make_shipment(
            session, order=make_order(session), courier="yunda", shipped_at=now - timedelta(hours=80)
        )
        tracking.subscribe_due(session, now=now)
    [subscribed] = fake.subscribed
    assert subscribed["callbackurl"].endswith(f"/api/connectors/kuaidi100/{account.id}/push")

    data = [
        entry(local(now - timedelta(hours=60)), "快件已到达【华北转运中心】", area="河北省廊坊市"),
        entry(local(now - timedelta(hours=78)), "【杭州】快件已揽收", code="1", area="浙江省杭州市"),
    ]
    form = push_form(
        company="yunda", number=parcel.tracking_no, data=data, salt=KUAIDI100_CREDENTIALS["salt"]
    )
    assert (
        client.post(f"/api/connectors/kuaidi100/{account.id}/push", data=form).json()["returnCode"] == "200"
    )

    logistics.scan(session, now=now)
    logistics.follow_up(session, now=now)
    kinds = set(session.scalars(select(Anomaly.kind).where(Anomaly.shipment_id == parcel.id)))
    assert AnomalyKind.NO_UPDATE in kinds
    ticket = session.scalar(select(Ticket).where(Ticket.source_key == f"anomaly:{parcel.id}"))
    assert ticket is not None  # one ticket for the parcel, whatever its findings
