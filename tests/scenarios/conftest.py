"""The harness of the golden stories: a shop's day driven through the REST API and the jobs on a
moving clock, with what leaves the outbox recorded where a provider would receive it (the buyer
channels' recorder, a local HTTP server for the group bots and the ERP)."""

import inspect
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from aftersales.auth.models import Role
from aftersales.catalog.models import Shop
from aftersales.jobs.runner import drain
from aftersales.kit.time import format_local
from aftersales.logistics import jobs as logistics_jobs
from aftersales.logistics.defaults import ensure_defaults
from aftersales.messaging import customer_channels
from aftersales.messaging.customer_channels import OutboundRecorder, use_recorder
from aftersales.messaging.jobs import deliver_outbox
from aftersales.orders.models import Order
from aftersales.tickets.models import Ticket
from tests.builders import make_shop
from tests.receiver import Receiver, receiving_server


@pytest.fixture
def outbound(tmp_path: Path) -> Iterator[OutboundRecorder]:
    previous = customer_channels.recorder()
    yield use_recorder(tmp_path / "outbound")
    customer_channels._recorder = previous


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving_server() as server:
        yield server


class Story:
    """One shop and its clock. ``at(t)`` moves the clock; every call runs at the current time."""

    def __init__(
        self,
        session: Session,
        client: TestClient,
        headers: Callable[..., dict[str, str]],
        outbound: OutboundRecorder,
        start: datetime,
        factory: sessionmaker[Session],
    ) -> None:
        self.session, self.client, self.headers, self.outbound = session, client, headers, outbound
        self.factory = factory
        self.now = start
        self.shop: Shop = make_shop(session, code="digital", name="数码旗舰店")
        ensure_defaults(session)
        session.commit()

    def at(self, moment: datetime) -> "Story":
        self.now = moment
        return self

    def later(self, **delta: float) -> "Story":
        return self.at(self.now + timedelta(**delta))

    def call(
        self, method: str, path: str, body: Any = None, *, role: Role = Role.AGENT, expect: int = 200
    ) -> Any:
        with time_machine.travel(self.now, tick=False):
            response = self.client.request(method, path, json=body, headers=self.headers(role))
        assert response.status_code == expect, response.text
        return response.json()

    def page(self, path: str) -> str:
        """A console page as an agent reads it."""
        with time_machine.travel(self.now, tick=False):
            response = self.client.get(path, headers=self.headers(Role.AGENT))
        assert response.status_code == 200, response.text
        return response.text

    def post(self, path: str, body: Any = None, *, role: Role = Role.AGENT, expect: int = 200) -> Any:
        return self.call("POST", path, body, role=role, expect=expect)

    def order(self, order_no: str, buyer: str, **fields: Any) -> Order:
        body = {
            "shop_code": self.shop.code,
            "order_no": order_no,
            "buyer_nick": buyer,
            "status": "shipped",
            "total_fen": 29_900,
            "paid_fen": 29_900,
            "receiver_name": "李雷",
            "receiver_phone": "13812345678",
            "province": "浙江省",
            "city": "杭州市",
            "district": "西湖区",
            "address": "文三路 100 号",
            "ordered_at": (self.now - timedelta(days=3)).isoformat(),
            "paid_at": (self.now - timedelta(days=3)).isoformat(),
            **fields,
        }
        self.post("/api/orders", body)
        return self.session.scalars(select(Order).where(Order.source_id == order_no)).one()

    def ship(self, order_no: str, courier: str, tracking_no: str, **fields: Any) -> None:
        body = {
            "shop_code": self.shop.code,
            "order_no": order_no,
            "courier": courier,
            "tracking_no": tracking_no,
            "shipped_at": self.now.isoformat(),
            **fields,
        }
        self.post("/api/shipments", body)

    def track(self, courier: str, tracking_no: str, text: str, location: str | None = None) -> None:
        body = {
            "courier": courier,
            "tracking_no": tracking_no,
            "occurred_at": self.now.isoformat(),
            "raw_text": text,
            "location": location,
        }
        self.post("/api/tracking-events", body)

    def run(self, *jobs: Callable[[Session], Any]) -> list[Any]:
        """The jobs as the worker runs them, in order, at the current time, then the outbox."""
        with time_machine.travel(self.now, tick=False):
            results = [self._call(job) for job in jobs]
            deliver_outbox(self.session, checkpoint=self.session.commit)
        self.session.commit()
        return results

    def _call(self, job: Callable[..., Any]) -> Any:
        """A job that takes the runner's checkpoint commits its batches as the worker's would."""
        if "checkpoint" in inspect.signature(job).parameters:
            return job(self.session, checkpoint=self.session.commit)
        return job(self.session)

    def worker(self) -> int:
        """The queued jobs (the courier calls, the ERP pushes), as the worker runs them now."""
        with time_machine.travel(self.now, tick=False):
            done = drain(self.factory)
            deliver_outbox(self.session, checkpoint=self.session.commit)
        self.session.commit()
        return done

    def logistics(self) -> None:
        self.run(logistics_jobs.scan, logistics_jobs.follow_up)

    def sent(self, channel: str = "platform_im") -> list[tuple[str, str, str]]:
        """What reached ``channel``'s provider: (when, Shanghai time; to whom; the text)."""
        return [
            (format_local(datetime.fromisoformat(r["at"]), "%m-%d %H:%M"), r["destination"], r["text"])
            for r in self.outbound.records(channel)
        ]

    def tickets(self, order: Order) -> list[str]:
        statement = select(Ticket.title).where(Ticket.order_id == order.id).order_by(Ticket.id)
        return list(self.session.scalars(statement))


@pytest.fixture
def story_at(
    session: Session,
    session_factory: sessionmaker[Session],
    client: TestClient,
    auth_headers: Callable[..., dict[str, str]],
    outbound: OutboundRecorder,
) -> Callable[[datetime], Story]:
    return lambda start: Story(session, client, auth_headers, outbound, start, session_factory)
