from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.messaging.models import OutboxMessage
from aftersales.messaging.service import send_customer_message
from aftersales.messaging.templates import (
    BASE_CONTEXT,
    TemplateInvalidError,
    TemplateNotFoundError,
    compiled,
    order_context,
    render,
    render_plain,
    render_shared,
    save_template,
    validate_template,
)
from aftersales.orders.models import Customer, OrderItem
from tests.builders import make_order, make_shipment, make_template

NOW = datetime(2026, 11, 13, 2, 0, tzinfo=UTC)

SPLIT_BODY = (
    "订单 {{ order_no }} 分 {{ parcel_count }} 个包裹:"
    "{% for p in parcels %}[{{ p.courier_name }} {{ p.tracking_no }} {{ p.contents }}]{% endfor %}"
)


class TestValidate:
    def test_accepts_order_variables_and_loop_variables(self) -> None:
        assert validate_template(SPLIT_BODY) == {"order_no", "parcel_count", "parcels"}

    def test_refuses_an_unknown_variable_when_saving(self, session: Session) -> None:
        with pytest.raises(TemplateInvalidError, match="未知变量: tracking_number"):
            save_template(session, code="x", name="x", body="运单 {{ tracking_number }}")

    def test_refuses_broken_syntax_naming_the_line(self) -> None:
        with pytest.raises(TemplateInvalidError, match="第 1 行"):
            validate_template("{% for p in parcels %}")

    def test_refuses_an_unknown_variable_in_the_email_subject(self, session: Session) -> None:
        with pytest.raises(TemplateInvalidError) as caught:
            save_template(session, code="x", name="x", body="hi", subject="{{ nope }}", channel="email")
        assert caught.value.field == "subject"

    def test_the_sandbox_refuses_python_internals(self) -> None:
        with pytest.raises(Exception, match="unsafe|not safely"):
            render("{{ order_no.__class__.__mro__ }}", {"order_no": "1"})


class TestRender:
    def test_lists_every_parcel_of_a_split_shipment(self, session: Session) -> None:
        order = make_order(session, source_id="T100")
        make_shipment(session, order=order, courier="zto", tracking_no="ZT1", item_summary="保温杯x1")
        make_shipment(session, order=order, courier="sf", tracking_no="SF2", item_summary="杯盖x2")
        text = render(SPLIT_BODY, order_context(session, order.id))
        assert text == "订单 T100 分 2 个包裹:[中通快递 ZT1 保温杯x1][顺丰速运 SF2 杯盖x2]"

    def test_shows_the_estimated_arrival_as_a_shanghai_date_and_days_left(self, session: Session) -> None:
        order = make_order(session)
        make_shipment(session, order=order, estimated_delivery_at=datetime(2026, 11, 15, 17, 0, tzinfo=UTC))
        context = order_context(session, order.id, now=NOW)
        assert (context["eta_date"], context["eta_days"]) == ("11月16日", 3)

    def test_keeps_reshipment_and_gift_parcels_apart_from_the_order_parcels(self, session: Session) -> None:
        order = make_order(session)
        session.add_all(
            [
                OrderItem(order_id=order.id, line_no=0, title="保温杯", quantity=1, unit_price_fen=9900),
                OrderItem(
                    order_id=order.id, line_no=1, title="杯刷", quantity=1, unit_price_fen=0, is_gift=True
                ),
            ]
        )
        make_shipment(session, order=order, tracking_no="MAIN1", item_lines=[0])
        make_shipment(session, order=order, tracking_no="GIFT1", item_lines=[1])
        make_shipment(session, order=order, tracking_no="RE1", is_reshipment=True)
        context = order_context(session, order.id)
        assert (context["gift_tracking_no"], context["reshipment_tracking_no"]) == ("GIFT1", "RE1")

    def test_a_parcel_described_as_a_gift_is_not_a_gift_parcel_without_the_items_flag(
        self, session: Session
    ) -> None:
        order = make_order(session)
        make_shipment(session, order=order, tracking_no="GIFT2", item_summary="赠品:杯刷x1")
        assert order_context(session, order.id)["gift_tracking_no"] == ""

    def test_a_known_variable_without_a_value_renders_empty(self) -> None:
        assert render("退款{{ refund_amount }}元", {}) == "退款元"


class TestRenderSharedEqualsPlain:
    """``render_shared`` (Jinja internals, for bulk sends) is a speed trick over ``render_plain``."""

    BODIES = (
        SPLIT_BODY,
        "亲,您的订单 {{ order_no }}{% if eta_date %}预计 {{ eta_date }} 送达{% endif %}。",
        "{{ receiver_name | default('亲') }},退款 {{ refund_amount }} 元{{ ' ' ~ courier_name | upper }}",
        "{% for n in range(parcel_count) %}{{ loop.index }}/{{ parcel_count }} {% endfor %}",
        "  前后空白与换行  \n",
    )

    @pytest.mark.parametrize("body", BODIES)
    def test_gives_the_same_text_for_an_order(self, session: Session, body: str) -> None:
        order = make_order(session, source_id="T200")
        make_shipment(session, order=order, courier="zto", tracking_no="ZT9", item_summary="杯x1")
        make_shipment(session, order=order, courier="sf", tracking_no="SF9", item_summary="盖x2")
        context = {**BASE_CONTEXT, **order_context(session, order.id, now=NOW)}
        assert render_shared(compiled(body), context) == render_plain(compiled(body), context)

    @pytest.mark.parametrize("body", BODIES)
    def test_gives_the_same_text_with_every_variable_empty(self, body: str) -> None:
        context = {**BASE_CONTEXT, "parcel_count": 0, "parcels": []}
        assert render_shared(compiled(body), context) == render_plain(compiled(body), context)

    def test_both_refuse_python_internals(self) -> None:
        template = compiled("{{ order_no.__class__.__mro__ }}")
        refusals = []
        for renderer in (render_shared, render_plain):
            with pytest.raises(Exception, match="unsafe|not safely") as refused:
                renderer(template, {**BASE_CONTEXT, "order_no": "1"})
            refusals.append(type(refused.value))
        assert refusals[0] is refusals[1]


class TestSendCustomerMessage:
    def test_queues_the_rendered_text_to_the_buyer_on_platform_im(self, session: Session) -> None:
        order = make_order(session, source_id="T200")
        make_template(session, code="hello", body="亲,订单 {{ order_no }} 已发货")
        send_customer_message(session, order_id=order.id, template_code="hello", idempotency_key="k1")
        message = session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == "k1"))
        assert message is not None
        assert message.payload["text"] == "亲,订单 T200 已发货"
        shop, buyer = session.get(Shop, order.shop_id), session.get(Customer, order.customer_id)
        assert shop is not None
        assert buyer is not None
        assert (message.channel, message.destination) == (
            "platform_im",
            f"{order.platform}:{shop.code}:{buyer.source_id}",
        )

    def test_sms_goes_to_the_receiver_phone(self, session: Session) -> None:
        order = make_order(session, receiver_phone="13900001111")
        make_template(session, code="hello", body="订单 {{ order_no }}")
        send_customer_message(
            session, order_id=order.id, template_code="hello", channel="sms", idempotency_key="k2"
        )
        message = session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == "k2"))
        assert message is not None
        assert message.destination == "13900001111"

    def test_extra_values_fill_the_refund_variables(self, session: Session) -> None:
        order = make_order(session)
        make_template(session, code="refund", body="退款 {{ refund_amount }} 元已到账")
        send_customer_message(
            session,
            order_id=order.id,
            template_code="refund",
            idempotency_key="k3",
            extra={"refund_amount": "59.00"},
        )
        message = session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == "k3"))
        assert message is not None
        assert message.payload["text"] == "退款 59.00 元已到账"

    def test_an_unknown_template_is_a_not_found_error(self, session: Session) -> None:
        order = make_order(session)
        with pytest.raises(TemplateNotFoundError):
            send_customer_message(session, order_id=order.id, template_code="missing", idempotency_key="k4")

    def test_the_same_key_queues_one_message(self, session: Session) -> None:
        order = make_order(session)
        make_template(session, code="hello", body="订单 {{ order_no }}")
        for _ in range(2):
            send_customer_message(session, order_id=order.id, template_code="hello", idempotency_key="k5")
        assert (
            len(session.scalars(select(OutboxMessage).where(OutboxMessage.idempotency_key == "k5")).all())
            == 1
        )


def test_order_context_has_no_eta_without_any_date(session: Session) -> None:
    order = make_order(session)
    make_shipment(session, order=order, estimated_delivery_at=None, shipped_at=NOW - timedelta(days=1))
    assert order_context(session, order.id)["eta_date"] == ""
