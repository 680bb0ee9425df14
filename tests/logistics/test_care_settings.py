"""Care sequence settings per shop: step delays and quiet hours, by service, API and console."""

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.catalog.models import Shop
from aftersales.kit.errors import InvalidInputError
from aftersales.logistics import care, care_settings
from aftersales.logistics.defaults import ensure_defaults
from aftersales.logistics.models import CareMessage, CareStep
from aftersales.orders.models import Order
from tests.builders import make_order, make_parcel, make_shop

Headers = Callable[..., dict[str, str]]
DELIVERED = datetime(2026, 11, 13, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
PLAN = {
    "care_delay_hours": 6,
    "usage_delay_hours": 48,
    "feedback_delay_hours": 120,
    "quiet_start": time(22, 0),
    "quiet_end": time(8, 0),
}


def delivered_order(session: Session, shop: Shop | None = None) -> Order:
    order = make_order(session, shop=shop or make_shop(session))
    make_parcel(
        session,
        order=order,
        shipped_at=DELIVERED - timedelta(days=2),
        timeline=[
            (DELIVERED - timedelta(days=2), "【杭州】快件已揽收", "杭州"),
            (DELIVERED, "已签收", "北京"),
        ],
    )
    return order


def due_times(session: Session, order: Order) -> dict[CareStep, timedelta]:
    rows = session.scalars(select(CareMessage).where(CareMessage.order_id == order.id))
    return {CareStep(row.step): row.due_at - DELIVERED for row in rows}


class TestPlan:
    def test_a_shop_without_settings_uses_24_hours_3_days_and_7_days(self, session: Session) -> None:
        assert care_settings.plan_for(session, make_shop(session).id).delays == {
            CareStep.CARE: timedelta(hours=24),
            CareStep.USAGE: timedelta(days=3),
            CareStep.FEEDBACK: timedelta(days=7),
        }

    def test_steps_are_scheduled_with_the_shops_delays(self, session: Session) -> None:
        shop = make_shop(session)
        care_settings.save_plan(session, shop_id=shop.id, values=PLAN)
        order = delivered_order(session, shop)
        care.schedule(session, now=DELIVERED + timedelta(hours=1))
        assert due_times(session, order) == {
            CareStep.CARE: timedelta(hours=6),
            CareStep.USAGE: timedelta(hours=48),
            CareStep.FEEDBACK: timedelta(hours=120),
        }

    def test_a_usage_question_before_the_care_message_is_refused(self, session: Session) -> None:
        with pytest.raises(InvalidInputError) as caught:
            care_settings.save_plan(
                session, shop_id=make_shop(session).id, values={**PLAN, "usage_delay_hours": 4}
            )
        assert caught.value.field == "usage_delay_hours"


class TestShopQuietHours:
    def test_a_shop_awake_at_2130_sends_while_the_default_shop_waits(self, session: Session) -> None:
        ensure_defaults(session)
        night_owl = make_shop(session)
        care_settings.save_plan(session, shop_id=night_owl.id, values={**PLAN, "quiet_start": time(23, 0)})
        awake, asleep = delivered_order(session, night_owl), delivered_order(session)
        care.schedule(session, now=DELIVERED)
        evening = datetime(2026, 11, 14, 13, 30, tzinfo=UTC)  # 21:30 in Shanghai
        care.send_due(session, now=evening)
        sent = set(session.scalars(select(CareMessage.order_id).where(CareMessage.sent_at.is_not(None))))
        assert sent == {awake.id}
        assert asleep.id not in sent


class TestApi:
    def test_a_supervisor_sets_a_shops_plan(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        shop = make_shop(session)
        body = {**PLAN, "quiet_start": "22:00", "quiet_end": "08:00"}
        response = client.put(
            f"/api/logistics/care/settings/{shop.id}", json=body, headers=auth_headers(Role.SUPERVISOR)
        )
        assert (response.status_code, response.json()["care_delay_hours"]) == (200, 6)
        assert care_settings.plan_for(session, shop.id).quiet_start == time(22, 0)

    def test_agents_read_the_defaults(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        shop = make_shop(session)
        response = client.get(f"/api/logistics/care/settings/{shop.id}", headers=auth_headers())
        assert response.json()["quiet_start"] == "21:00"

    def test_an_agent_may_not_change_the_plan(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        shop = make_shop(session)
        body = {**PLAN, "quiet_start": "22:00", "quiet_end": "08:00"}
        response = client.put(f"/api/logistics/care/settings/{shop.id}", json=body, headers=auth_headers())
        assert response.status_code == 403

    def test_an_unknown_shop_is_a_422_naming_the_field(
        self, client: TestClient, auth_headers: Headers
    ) -> None:
        body = {**PLAN, "quiet_start": "22:00", "quiet_end": "08:00"}
        response = client.put(
            "/api/logistics/care/settings/999999", json=body, headers=auth_headers(Role.SUPERVISOR)
        )
        assert (response.status_code, response.json()["detail"].split(":")[0]) == (422, "shop_id")


class TestConsole:
    def test_the_form_saves_the_shops_plan(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        shop = make_shop(session)
        form = {**PLAN, "quiet_start": "22:30", "quiet_end": "08:00"}
        response = client.post(
            f"/console/logistics/care/{shop.id}", data=form, headers=auth_headers(Role.SUPERVISOR)
        )
        assert response.status_code == 200  # followed the redirect back to the page
        assert care_settings.plan_for(session, shop.id).quiet_start == time(22, 30)

    def test_the_page_shows_each_shops_plan(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        shop = make_shop(session)
        page = client.get("/console/logistics/care", headers=auth_headers())
        assert f'data-testid="care-{shop.code}"' in page.text
