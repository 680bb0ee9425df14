"""From a platform refund to the buyer's SMS. A 淘宝 refund from the local TOP gateway: logistics
asks the (simulated) courier to intercept the parcel in transit, the courier returns it, the
refund is released and the buyer's notice goes out as an SMS through the local 阿里云 gateway. A
抖店 after-sale from the local 抖店 gateway on a 顺丰 or a 中通 parcel: the interception is requested
for real at the local 丰桥 or 中通 gateway, accepted, the refund released and the SMS sent the same way."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.connectors import douyin, platform_sync, sf_express, sms, taobao, zto  # noqa: F401  (registered)
from aftersales.connectors.models import ConnectorAccount
from aftersales.logistics import intercepts
from aftersales.logistics.couriers import (
    SimulatedCourier,
    register_courier,
    unregister_courier,
    use_simulated_courier,
)
from aftersales.logistics.models import Intercept, InterceptStatus
from aftersales.messaging.channels import register_channel
from aftersales.messaging.jobs import deliver_outbox
from aftersales.returns.models import RefundState, ReturnRequest
from tests.builders import make_return_policy, make_shop
from tests.builders.connectors import (
    ALIYUN_CREDENTIALS,
    DOUYIN_CREDENTIALS,
    SF_CREDENTIALS,
    TOP_CREDENTIALS,
    ZTO_CREDENTIALS,
    make_aliyun_sms_account,
    make_platform_account,
    make_sf_account,
    make_taobao_account,
    make_zto_account,
)
from tests.builders.logistics import make_template
from tests.connectors import fake_douyin
from tests.connectors.fake_aliyun_sms import FakeAliyunSms
from tests.connectors.fake_sf import FakeSf
from tests.connectors.fake_taobao import NOW, FakeTop, refund, trade
from tests.connectors.fake_zto import FakeZto
from tests.connectors.provider_server import provider_server

TID = "3300000000000777"
WAYBILL = f"7310{TID[-8:]}"
TEMPLATE = "SMS_470000001"


@pytest.fixture
def courier_returning_the_parcel() -> Iterator[None]:
    """A seed under which the simulated courier accepts this waybill's intercept and returns it."""
    seed = next(
        s
        for s in range(200)
        if SimulatedCourier(s)
        .request_intercept(courier="zto", tracking_no=WAYBILL, parcel_status=None, now=NOW)
        .outcome
        == "accepted"
        and SimulatedCourier(s)
        .intercept_status(
            courier="zto", tracking_no=WAYBILL, courier_ref="x", accepted_at=NOW, now=NOW + timedelta(days=5)
        )
        .outcome
        == "returned"
    )
    use_simulated_courier(seed)
    yield
    use_simulated_courier(0)


@pytest.fixture
def sms_gateway(session: Session) -> Iterator[FakeAliyunSms]:
    """The local 阿里云 gateway with the refund template, connected for all shops."""
    register_channel("sms", sms.channel)  # another test module may have restored the plain channel
    gateway = FakeAliyunSms(
        access_key_id=ALIYUN_CREDENTIALS["access_key_id"],
        secret=ALIYUN_CREDENTIALS["access_key_secret"],
        sign_name="好物旗舰店",
        templates={TEMPLATE: {"order_no", "refund_amount"}},
    )
    make_template(
        session,
        code="refund_completed",
        channel="sms",
        body="亲,订单 {{ order_no }} 的退款 {{ refund_amount }} 元已退回",
    )
    with provider_server(gateway) as server:
        make_aliyun_sms_account(session, endpoint=server.url, templates={"refund_completed": TEMPLATE})
        yield gateway


def held_request(session: Session, refund_id: str) -> tuple[ReturnRequest, Intercept]:
    request = session.scalar(select(ReturnRequest).where(ReturnRequest.source_id == refund_id))
    assert request is not None
    assert request.refund_state == RefundState.HELD_FOR_INTERCEPT
    [intercept] = session.scalars(select(Intercept).where(Intercept.refund_request_id == request.id)).all()
    return request, intercept


def assert_refund_sms(gateway: FakeAliyunSms, order_no: str, phone: str) -> None:
    [sent] = gateway.sent
    assert (sent["PhoneNumbers"], sent["TemplateCode"]) == (phone, TEMPLATE)
    assert sent["TemplateParam"] == f'{{"order_no":"{order_no}","refund_amount":"399.00"}}'


@pytest.mark.usefixtures("courier_returning_the_parcel")
def test_a_taobao_refund_is_intercepted_released_and_told_by_sms(
    session: Session, sms_gateway: FakeAliyunSms
) -> None:
    top = FakeTop(
        app_key=TOP_CREDENTIALS["app_key"],
        secret=TOP_CREDENTIALS["app_secret"],
        session=TOP_CREDENTIALS["session"],
    )
    top.trades = [trade(TID, shipped=True, hours_ago=20)]
    top.refunds = [refund("88000777", TID)]
    with provider_server(top) as top_server:
        account = make_taobao_account(
            session, endpoint=top_server.url + "/router/rest", shop=make_shop(session)
        )
        platform_sync.sync_account(session, account=account, now=NOW)
        request, intercept = held_request(session, "88000777")
        intercepts.submit(session, intercept_id=intercept.id, now=NOW)
        intercepts.poll(session, now=NOW + timedelta(days=5))
        assert intercept.status == InterceptStatus.RETURNED
        session.refresh(request)
        assert request.refund_state == RefundState.RELEASED
        session.commit()
        deliver_outbox(session, checkpoint=session.commit)
    assert_refund_sms(sms_gateway, TID, "13912345678")


@pytest.fixture
def real_couriers() -> Iterator[None]:
    register_courier("sf", sf_express.SfExpressCourier())
    register_courier("zto", zto.ZtoCourier())
    yield
    unregister_courier("sf")
    unregister_courier("zto")


@dataclass(frozen=True)
class RealCourier:
    """A courier with a published interception API: its name on 抖店, its local server, how to
    connect the shop to it and what it was asked to stop."""

    company: str
    gateway: Callable[[], FakeSf | FakeZto]
    path: str
    connect: Callable[..., ConnectorAccount]
    stopped: Callable[[Any], list[str]]


REAL_COURIERS = {
    "sf": RealCourier(
        "顺丰速运",
        lambda: FakeSf(*SF_CREDENTIALS.values()),
        "/std/service",
        make_sf_account,
        lambda gateway: [sent["waybillNo"] for sent in gateway.intercepts],
    ),
    "zto": RealCourier(
        "中通快递",
        lambda: FakeZto(*ZTO_CREDENTIALS.values()),
        "",
        make_zto_account,
        lambda gateway: [sent["billCode"] for sent in gateway.intercepts.values()],
    ),
}


@pytest.mark.usefixtures("real_couriers")
@pytest.mark.parametrize("code", REAL_COURIERS)
def test_a_douyin_after_sale_is_intercepted_at_the_real_courier_released_and_told_by_sms(
    session: Session, sms_gateway: FakeAliyunSms, code: str
) -> None:
    courier = REAL_COURIERS[code]
    shop: Shop = make_shop(session)
    make_return_policy(session, shop=shop, release_refund_on="accepted")
    doudian = fake_douyin.FakeDoudian(*DOUYIN_CREDENTIALS.values())
    doudian.orders = [
        fake_douyin.order("6900000000000777", shipped=True, hours_ago=20, company=courier.company)
    ]
    doudian.aftersales = [fake_douyin.aftersale("92000777", "6900000000000777")]
    gateway = courier.gateway()
    with provider_server(doudian) as dd_server, provider_server(gateway) as courier_server:
        account = make_platform_account(session, provider="douyin", endpoint=dd_server.url, shop=shop)
        courier.connect(session, endpoint=courier_server.url + courier.path, shop=shop)
        platform_sync.sync_account(session, account=account, now=fake_douyin.NOW)
        request, intercept = held_request(session, "92000777")
        intercepts.submit(session, intercept_id=intercept.id)
        assert intercept.status == InterceptStatus.ACCEPTED
        assert courier.stopped(gateway) == ["731000000777"]
        session.refresh(request)
        assert request.refund_state == RefundState.RELEASED
        session.commit()
        deliver_outbox(session, checkpoint=session.commit)
    assert_refund_sms(sms_gateway, "6900000000000777", "13812345678")
