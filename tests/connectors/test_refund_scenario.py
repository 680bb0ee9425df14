"""From a 淘宝 refund to the buyer's SMS: the refund comes from the local TOP gateway, logistics
asks the (simulated) courier to intercept the parcel in transit, the courier returns it, the
refund is released, and the buyer's notice goes out as an SMS through the local 阿里云 gateway."""

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.connectors import platform_sync, sms
from aftersales.logistics import intercepts
from aftersales.logistics.couriers import SimulatedCourier, use_simulated_courier
from aftersales.logistics.models import Intercept, InterceptStatus
from aftersales.messaging.channels import register_channel
from aftersales.messaging.jobs import deliver_outbox
from aftersales.returns.models import RefundState, ReturnRequest
from tests.builders import make_shop
from tests.builders.connectors import (
    ALIYUN_CREDENTIALS,
    TOP_CREDENTIALS,
    make_aliyun_sms_account,
    make_taobao_account,
)
from tests.builders.logistics import make_template
from tests.connectors.fake_aliyun_sms import FakeAliyunSms
from tests.connectors.fake_taobao import NOW, FakeTop, refund, trade
from tests.connectors.provider_server import provider_server

TID = "3300000000000777"
WAYBILL = f"7310{TID[-8:]}"


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


@pytest.mark.usefixtures("courier_returning_the_parcel")
def test_a_platform_refund_is_intercepted_released_and_told_by_sms(session: Session) -> None:
    register_channel("sms", sms.channel)  # another test module may have restored the plain channel
    shop = make_shop(session)
    top = FakeTop(
        app_key=TOP_CREDENTIALS["app_key"],
        secret=TOP_CREDENTIALS["app_secret"],
        session=TOP_CREDENTIALS["session"],
    )
    top.trades = [trade(TID, shipped=True, hours_ago=20)]
    top.refunds = [refund("88000777", TID)]
    gateway = FakeAliyunSms(
        access_key_id=ALIYUN_CREDENTIALS["access_key_id"],
        secret=ALIYUN_CREDENTIALS["access_key_secret"],
        sign_name="好物旗舰店",
        templates={"SMS_470000001": {"order_no", "refund_amount"}},
    )
    make_template(
        session,
        code="refund_completed",
        channel="sms",
        body="亲,订单 {{ order_no }} 的退款 {{ refund_amount }} 元已退回",
    )
    with provider_server(top) as top_server, provider_server(gateway) as sms_server:
        account = make_taobao_account(session, endpoint=top_server.url + "/router/rest", shop=shop)
        make_aliyun_sms_account(
            session, endpoint=sms_server.url, templates={"refund_completed": "SMS_470000001"}
        )
        platform_sync.sync_account(session, account=account, now=NOW)

        request = session.scalar(select(ReturnRequest).where(ReturnRequest.source_id == "88000777"))
        assert request is not None
        assert request.refund_state == RefundState.HELD_FOR_INTERCEPT
        [intercept] = session.scalars(
            select(Intercept).where(Intercept.refund_request_id == request.id)
        ).all()
        intercepts.submit(session, intercept_id=intercept.id, now=NOW)
        intercepts.poll(session, now=NOW + timedelta(days=5))
        assert intercept.status == InterceptStatus.RETURNED
        session.refresh(request)
        assert request.refund_state == RefundState.RELEASED

        session.commit()
        deliver_outbox(session, checkpoint=session.commit)
    [sent] = gateway.sent
    assert (sent["PhoneNumbers"], sent["TemplateCode"]) == ("13912345678", "SMS_470000001")
    assert sent["TemplateParam"] == f'{{"order_no":"{TID}","refund_amount":"399.00"}}'
