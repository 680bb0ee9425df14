"""淘宝消息服务 (TMC): the frame codec against bytes written out from the SDKs' layout, the signed
connect against a local TMC that checks it, each trade or refund message queuing one targeted
fetch before it is confirmed (a redelivered id once, another topic confirmed with no work), and a
refund message on a parcel in transit read from the local TOP gateway and held for interception."""

import hashlib
import struct
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from websockets.sync.client import connect

from aftersales.catalog.models import Shop
from aftersales.connectors import jobs, platform_sync, taobao_tmc
from aftersales.connectors.errors import ProviderError
from aftersales.connectors.models import ConnectorAccount
from aftersales.connectors.taobao_tmc import Frame, FrameError, Group, Kind, MessageType
from aftersales.jobs import enqueue, runner
from aftersales.jobs.models import Job
from aftersales.jobs.registry import get_spec
from aftersales.logistics.models import Intercept, InterceptStatus
from aftersales.returns.models import RefundState, ReturnRequest
from tests.builders import make_shop
from tests.builders.connectors import TOP_CREDENTIALS, make_taobao_account
from tests.connectors.fake_taobao import NOW, FakeTop, refund, trade
from tests.connectors.fake_tmc import FakeTmc, data_message, tmc_server
from tests.connectors.provider_server import ProviderServer

APP_KEY, SECRET = TOP_CREDENTIALS["app_key"], TOP_CREDENTIALS["app_secret"]
TID = "3300000000000101"


@pytest.fixture
def fake() -> FakeTop:
    return FakeTop(app_key=APP_KEY, secret=SECRET, session=TOP_CREDENTIALS["session"])


@pytest.fixture
def tmc() -> FakeTmc:
    return FakeTmc(app_key=APP_KEY, secret=SECRET)


@pytest.fixture
def tmc_url(tmc: FakeTmc) -> Iterator[str]:
    with tmc_server(tmc) as url:
        yield url


@pytest.fixture
def account(session: Session, server: ProviderServer, shop: Shop, tmc_url: str) -> ConnectorAccount:
    return make_taobao_account(
        session, endpoint=server.url + "/router/rest", shop=shop, tmc_group="default", tmc_endpoint=tmc_url
    )


def drain(session: Session) -> dict[str, int]:
    """One run of the job, with a short idle wait (the local server answers at once)."""
    return taobao_tmc.drain_due(session, checkpoint=session.commit, seconds=10, idle=0.5)


def queued(session: Session) -> list[Job]:
    return list(session.scalars(select(Job).where(Job.name == "connectors.platform_fetch").order_by(Job.id)))


def trade_message(message_id: int, tid: str = TID, topic: str = "taobao_trade_TradeCreate") -> Frame:
    content = {"buyer_nick": "t**买家", "payment": "399.00", "tid": int(tid), "seller_nick": "好物旗舰店"}
    return data_message(message_id, topic, content)


def refund_message(message_id: int, refund_id: str, tid: str) -> Frame:
    content = {"refund_id": int(refund_id), "tid": int(tid), "oid": int(tid + "1"), "refund_fee": "399.00"}
    return data_message(message_id, "taobao_refund_RefundCreated", {**content, "seller_nick": "好物旗舰店"})


def counted(text: str) -> bytes:
    return struct.pack("<i", len(text.encode())) + text.encode()


class TestFrames:
    def test_a_confirm_is_written_as_the_sdks_lay_it_out(self) -> None:
        expected = (
            bytes([2, 2])  # protocol version 2, SEND
            + struct.pack("<h", 5)
            + counted("tk")  # Token header
            + struct.pack("<h", 1)
            + counted("__kind")
            + bytes([2, 2])  # Custom: Byte 2 = Confirm
            + struct.pack("<h", 1)
            + counted("id")
            + bytes([5])
            + struct.pack("<q", 7000000000000000123)  # Custom: Int64 id
            + struct.pack("<h", 0)  # EndOfHeaders
        )
        assert taobao_tmc.encode(taobao_tmc.confirm_frame("tk", 7000000000000000123)) == expected

    def test_a_pushed_message_written_out_by_hand_is_read(self) -> None:
        published = datetime(2026, 12, 7, 2, 0, 0, tzinfo=UTC)
        content = '{"tid":3300000000000101,"seller_nick":"好物旗舰店"}'
        raw = (
            bytes([2, 2])
            + struct.pack("<h", 1)
            + counted("id")
            + bytes([5])
            + struct.pack("<q", 42)
            + struct.pack("<h", 1)
            + counted("topic")
            + bytes([1])
            + counted("taobao_trade_TradeCreate")
            + struct.pack("<h", 1)
            + counted("content")
            + bytes([1])
            + counted(content)
            + struct.pack("<h", 1)
            + counted("time")
            + bytes([6])
            + struct.pack("<q", int(published.timestamp() * 1000))
            + struct.pack("<h", 1)
            + counted("userid")
            + bytes([4])
            + struct.pack("<i", 22000001)
            + struct.pack("<h", 0)
        )
        message = taobao_tmc.Message.of(taobao_tmc.decode(raw))
        assert (message.id, message.topic, message.user_id) == (42, "taobao_trade_TradeCreate", 22000001)
        assert message.content["tid"] == int(TID)
        assert message.published_at == published

    def test_every_header_and_value_format_survives_a_round_trip(self) -> None:
        frame = Frame(
            MessageType.CONNECTACK,
            {
                "__kind": Kind.DATA,
                "id": -5,
                "topic": "淘宝",
                "time": datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
                "raw": b"\x00\x01",
                "none": None,
            },
            token="tok",
            status_code=500,
            status_phrase="失败",
            flag=9,
        )
        assert taobao_tmc.decode(taobao_tmc.encode(frame)) == frame

    def test_a_truncated_frame_is_refused(self) -> None:
        whole = taobao_tmc.encode(taobao_tmc.pull_frame("tk"))
        with pytest.raises(FrameError):
            taobao_tmc.decode(whole[:-3])

    def test_the_connect_sign_is_tops_md5_over_app_key_group_and_timestamp(self) -> None:
        text = "secretapp_key12345678group_namedefaulttimestamp1765000000000secret"
        expected = hashlib.md5(text.encode()).hexdigest().upper()
        sign = taobao_tmc.connect_sign(
            app_key="12345678", group_name="default", timestamp="1765000000000", secret="secret"
        )
        assert sign == expected


class TestConnect:
    def test_a_signed_connect_is_accepted_and_pulls_what_waits(
        self, session: Session, tmc: FakeTmc, account: ConnectorAccount
    ) -> None:
        assert drain(session)["failed"] == 0
        [hello] = tmc.connects
        assert (hello["app_key"], hello["group_name"]) == (APP_KEY, "default")
        assert tmc.pulls == 1
        assert account.last_success_at is not None

    def test_a_wrong_secret_is_refused_and_is_the_accounts_error(
        self, session: Session, tmc: FakeTmc, account: ConnectorAccount
    ) -> None:
        tmc.secret = "another-secret"
        assert drain(session)["failed"] == 1
        assert tmc.refusals == ["sign error"]
        assert account.last_error is not None
        assert "sign error" in account.last_error

    def test_a_stale_timestamp_is_refused(self, tmc: FakeTmc, tmc_url: str) -> None:
        stale = int((datetime.now(UTC) - timedelta(minutes=11)).timestamp() * 1000)
        hello = taobao_tmc.connect_frame(app_key=APP_KEY, secret=SECRET, group_name="default", now_ms=stale)
        with connect(tmc_url) as ws:
            ws.send(taobao_tmc.encode(hello))
            ack = taobao_tmc.decode(bytes(ws.recv(timeout=5)))
        assert (ack.message_type, ack.status_code, ack.token) == (MessageType.CONNECTACK, 401, None)

    def test_an_unreachable_service_is_a_retryable_provider_error(self) -> None:
        group = Group(url="ws://127.0.0.1:9/", app_key=APP_KEY, group_name="default")
        with pytest.raises(ProviderError) as failed:
            taobao_tmc.drain(group, secret=SECRET, handle=lambda message: True, seconds=1)
        assert failed.value.retry is True

    def test_accounts_without_a_tmc_group_are_not_connected(
        self, session: Session, tmc: FakeTmc, server: ProviderServer
    ) -> None:
        make_taobao_account(session, endpoint=server.url + "/router/rest", shop=make_shop(session))
        assert drain(session)["connections"] == 0
        assert tmc.connects == []


class TestMessages:
    def test_a_trade_message_queues_the_fetch_of_its_trade_and_is_confirmed(
        self, session: Session, tmc: FakeTmc, account: ConnectorAccount
    ) -> None:
        tmc.queue = [trade_message(7001)]
        assert drain(session)["confirmed"] == 1
        [job] = queued(session)
        assert job.payload == {"account_id": account.id, "trades": [TID], "refunds": []}
        assert tmc.confirmed == [7001]

    def test_a_redelivered_message_is_fetched_once_and_confirmed_each_time(
        self, session: Session, tmc: FakeTmc, account: ConnectorAccount
    ) -> None:
        tmc.queue = [trade_message(7002), trade_message(7002)]
        drain(session)
        assert len(queued(session)) == 1
        assert tmc.confirmed == [7002, 7002]

    def test_another_topic_is_confirmed_with_no_work(
        self, session: Session, tmc: FakeTmc, account: ConnectorAccount
    ) -> None:
        tmc.queue = [data_message(7003, "taobao_item_ItemAdd", {"num_iid": 1, "nick": "好物旗舰店"})]
        drain(session)
        assert queued(session) == []
        assert tmc.confirmed == [7003]

    def test_a_message_not_taken_is_not_confirmed(self, tmc: FakeTmc, tmc_url: str) -> None:
        tmc.queue = [trade_message(7004)]
        group = Group(url=tmc_url, app_key=APP_KEY, group_name="default")
        counts = taobao_tmc.drain(group, secret=SECRET, handle=lambda message: False, seconds=5, idle=0.5)
        assert counts == {"received": 1, "confirmed": 0}
        assert tmc.confirmed == []
        assert len(tmc.queue) == 1

    def test_shops_sharing_an_app_are_told_apart_by_seller_nick(
        self, session: Session, tmc: FakeTmc, server: ProviderServer, tmc_url: str
    ) -> None:
        settings: dict[str, Any] = {"tmc_group": "default", "tmc_endpoint": tmc_url}
        endpoint = server.url + "/router/rest"
        make_taobao_account(
            session, endpoint=endpoint, shop=make_shop(session), seller_nick="甲店", **settings
        )
        second = make_taobao_account(
            session, endpoint=endpoint, shop=make_shop(session), seller_nick="乙店", **settings
        )
        frame = data_message(7005, "taobao_trade_TradeCreate", {"tid": int(TID)}, nick="乙店")
        tmc.queue = [frame]
        assert drain(session)["connections"] == 1
        [job] = queued(session)
        assert job.payload["account_id"] == second.id

    def test_a_message_for_a_seller_without_a_connection_is_confirmed_and_recorded(
        self, session: Session, tmc: FakeTmc, server: ProviderServer, tmc_url: str
    ) -> None:
        settings: dict[str, Any] = {"tmc_group": "default", "tmc_endpoint": tmc_url}
        endpoint = server.url + "/router/rest"
        first = make_taobao_account(
            session, endpoint=endpoint, shop=make_shop(session), seller_nick="甲店", **settings
        )
        make_taobao_account(
            session, endpoint=endpoint, shop=make_shop(session), seller_nick="乙店", **settings
        )
        tmc.queue = [data_message(7006, "taobao_trade_TradeCreate", {"tid": int(TID)}, nick="丙店")]
        drain(session)
        assert queued(session) == []
        assert tmc.confirmed == [7006]
        assert first.last_error is not None
        assert "丙店" in first.last_error


class TestPushedRefund:
    def test_a_refund_message_on_a_parcel_in_transit_is_held_for_interception(
        self,
        session: Session,
        fake: FakeTop,
        server: ProviderServer,
        tmc: FakeTmc,
        account: ConnectorAccount,
    ) -> None:
        fake.trades = [trade(TID, shipped=True, hours_ago=20)]
        platform_sync.sync_account(session, account=account, now=NOW)
        fake.refunds = [refund("88000101", TID)]
        tmc.queue = [refund_message(7100, "88000101", TID)]
        drain(session)
        results = [jobs.platform_fetch(session, **job.payload) for job in queued(session)]
        assert results == [{"trades": 0, "refunds": 1}]
        assert server.calls[-1].form["method"] == "taobao.refund.get"
        request = session.scalar(select(ReturnRequest).where(ReturnRequest.source_id == "88000101"))
        assert request is not None
        assert (request.refund_fen, request.refund_state) == (39900, RefundState.HELD_FOR_INTERCEPT)
        assert session.scalar(select(Intercept).where(Intercept.refund_request_id == request.id)) is not None
        assert tmc.confirmed == [7100]

    def test_a_trade_message_reads_the_trade_in_full(
        self, session: Session, fake: FakeTop, server: ProviderServer, tmc: FakeTmc, account: ConnectorAccount
    ) -> None:
        fake.trades = [trade(TID, shipped=True)]
        tmc.queue = [trade_message(7101, topic="taobao_trade_TradeSellerShip")]
        drain(session)
        assert [jobs.platform_fetch(session, **job.payload) for job in queued(session)] == [
            {"trades": 1, "refunds": 0}
        ]
        assert (server.calls[-1].form["method"], server.calls[-1].form["tid"]) == (
            "taobao.trade.fullinfo.get",
            TID,
        )


class TestJob:
    def test_runs_every_minute_committing_before_it_confirms(self) -> None:
        spec = get_spec("connectors.taobao_tmc")
        assert (spec.every, spec.checkpoints) == (timedelta(minutes=1), True)

    def test_the_runner_drains_tmc_then_intercepts_and_releases_the_refund(
        self,
        session: Session,
        session_factory: sessionmaker[Session],
        fake: FakeTop,
        tmc: FakeTmc,
        account: ConnectorAccount,
    ) -> None:
        """The path of the embedded loop and of the Celery task (both call ``run_job``): the TMC
        job, the fetch it queued, the interception at the simulated courier, the release."""
        fake.trades = [trade(TID, shipped=True, hours_ago=20)]
        platform_sync.sync_account(session, account=account, now=NOW)
        fake.refunds = [refund("88000201", TID)]
        tmc.queue = [refund_message(7200, "88000201", TID)]
        enqueue(session, "connectors.taobao_tmc", seconds=3)
        session.commit()
        runner.drain(session_factory)
        request = session.scalar(select(ReturnRequest).where(ReturnRequest.source_id == "88000201"))
        assert request is not None
        intercept = session.scalar(select(Intercept).where(Intercept.refund_request_id == request.id))
        assert intercept is not None
        assert (intercept.status, request.refund_state) == (InterceptStatus.ACCEPTED, RefundState.RELEASED)
        assert tmc.confirmed == [7200]
