"""快递100: signatures, subscription of every new parcel through the job, the push endpoint and
the real-time query, against a local server that checks requests as 快递100 does."""

import hashlib
import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.connectors import kuaidi100, service, tracking
from aftersales.connectors.errors import ProviderError
from aftersales.connectors.models import ConnectorAccount, SubscriptionStatus, TrackingSubscription
from aftersales.jobs.models import Job
from aftersales.kit.time import utcnow
from aftersales.orders.models import Shipment, TrackingEvent, TrackingStatus
from aftersales.orders.schemas import ShipmentIn
from aftersales.orders.service import ingest_shipments
from tests.builders import make_order, make_shipment, make_shop
from tests.builders.connectors import KUAIDI100_CREDENTIALS, make_kuaidi100_account
from tests.connectors.fake_kuaidi100 import FakeKuaidi100, entry, push_form
from tests.connectors.provider_server import ProviderServer

KEY, CUSTOMER, SALT = (KUAIDI100_CREDENTIALS[k] for k in ("key", "customer", "salt"))


@pytest.fixture
def fake() -> FakeKuaidi100:
    return FakeKuaidi100(key=KEY, customer=CUSTOMER)


@pytest.fixture
def account(session: Session, server: ProviderServer) -> ConnectorAccount:
    return make_kuaidi100_account(session, endpoint=server.url)


def subscription_of(session: Session, shipment: Shipment) -> TrackingSubscription | None:
    return session.scalar(select(TrackingSubscription).where(TrackingSubscription.shipment_id == shipment.id))


def events_of(session: Session, shipment: Shipment) -> list[TrackingEvent]:
    return list(session.scalars(select(TrackingEvent).where(TrackingEvent.shipment_id == shipment.id)))


class TestSignatures:
    def test_push_sign_is_upper_case_md5_of_param_and_salt(self) -> None:
        assert kuaidi100.push_sign('{"a":1}', "s") == hashlib.md5(b'{"a":1}s').hexdigest().upper()

    def test_query_sign_is_upper_case_md5_of_param_key_customer(self) -> None:
        expected = hashlib.md5(b'{"com":"yunda"}KC').hexdigest().upper()
        assert kuaidi100.query_sign('{"com":"yunda"}', "K", "C") == expected

    @pytest.mark.parametrize(
        ("courier", "company"),
        [
            ("zto", "zhongtong"),
            ("yto", "yuantong"),
            ("yunda", "yunda"),
            ("sto", "shentong"),
            ("sf", "shunfeng"),
            ("jd", "jd"),
            ("ems", "ems"),
            ("jt", "jtexpress"),
        ],
    )
    def test_maps_each_seed_courier_to_its_company_code(self, courier: str, company: str) -> None:
        assert kuaidi100.company_code(courier) == company


class TestSubscribe:
    def test_subscribes_a_new_parcel_with_the_documented_form(
        self, session: Session, fake: FakeKuaidi100, account: ConnectorAccount
    ) -> None:
        parcel = make_shipment(session, courier="yunda")
        counts = tracking.subscribe_due(session)
        assert counts["subscribed"] == 1
        assert fake.subscribed == [
            {
                "company": "yunda",
                "number": parcel.tracking_no,
                "callbackurl": f"https://aftersales.example.com/api/connectors/kuaidi100/{account.id}/push",
                "salt": SALT,
                "resultv2": "1",
            }
        ]
        assert subscription_of(session, parcel).status == SubscriptionStatus.SUBSCRIBED  # type: ignore[union-attr]

    def test_sends_the_receivers_phone_for_shunfeng(
        self, session: Session, fake: FakeKuaidi100, account: ConnectorAccount
    ) -> None:
        make_shipment(session, courier="sf", order=make_order(session, receiver_phone="13912345678"))
        tracking.subscribe_due(session)
        assert fake.subscribed[0]["phone"] == "13912345678"

    def test_a_parcel_is_subscribed_once(
        self, session: Session, fake: FakeKuaidi100, account: ConnectorAccount
    ) -> None:
        make_shipment(session)
        tracking.subscribe_due(session)
        assert tracking.subscribe_due(session) == {"subscribed": 0, "refused": 0, "retry": 0}
        assert len(fake.subscribed) == 1

    def test_a_repeat_subscription_answer_counts_as_subscribed(
        self, session: Session, fake: FakeKuaidi100, account: ConnectorAccount
    ) -> None:
        parcel = make_shipment(session)
        fake.subscribed.append({"company": "zhongtong", "number": parcel.tracking_no})
        tracking.subscribe_due(session)
        assert subscription_of(session, parcel).last_code == "501"  # type: ignore[union-attr]
        assert subscription_of(session, parcel).status == SubscriptionStatus.SUBSCRIBED  # type: ignore[union-attr]

    def test_a_refused_courier_is_left_to_the_real_time_query(
        self, session: Session, fake: FakeKuaidi100, account: ConnectorAccount
    ) -> None:
        fake.refuse_companies.add("jtexpress")
        parcel = make_shipment(session, courier="jt")
        tracking.subscribe_due(session)
        assert subscription_of(session, parcel).status == SubscriptionStatus.FAILED  # type: ignore[union-attr]

    def test_a_wrong_key_marks_the_account_and_records_no_parcel(
        self, session: Session, fake: FakeKuaidi100, account: ConnectorAccount
    ) -> None:
        fake.key = "another-key"
        parcel = make_shipment(session)
        tracking.subscribe_due(session)
        assert subscription_of(session, parcel) is None
        assert account.error_count == 1
        assert "600" in (account.last_error or "")

    def test_a_busy_server_is_retried_later(
        self, session: Session, fake: FakeKuaidi100, account: ConnectorAccount
    ) -> None:
        fake.busy_next = 1
        parcel = make_shipment(session)
        tracking.subscribe_due(session)
        subscription = subscription_of(session, parcel)
        assert subscription is not None
        assert subscription.status == SubscriptionStatus.RETRY
        assert subscription.next_attempt_at is not None
        assert subscription.next_attempt_at > utcnow()

    def test_delivered_parcels_are_not_subscribed(
        self, session: Session, fake: FakeKuaidi100, account: ConnectorAccount
    ) -> None:
        make_shipment(session, delivered_at=utcnow() - timedelta(hours=1))
        tracking.subscribe_due(session)
        assert fake.subscribed == []

    def test_parcels_of_shops_without_an_account_never_fill_the_batch(
        self, session: Session, fake: FakeKuaidi100, server: ProviderServer
    ) -> None:
        shop = make_shop(session)
        make_kuaidi100_account(session, endpoint=server.url, shop=shop)
        for _ in range(3):
            make_shipment(session)  # another shop's parcels, older ids
        own = make_shipment(session, order=make_order(session, shop=shop))
        tracking.subscribe_due(session, limit=1)
        assert [s["number"] for s in fake.subscribed] == [own.tracking_no]

    def test_an_account_without_a_callback_address_is_marked_not_crashed(
        self, session: Session, fake: FakeKuaidi100, account: ConnectorAccount
    ) -> None:
        account.settings = {"endpoint": account.settings["endpoint"]}
        make_shipment(session)
        assert tracking.subscribe_due(session) == {"subscribed": 0, "refused": 0, "retry": 0}
        assert "callback_base" in (account.last_error or "")

    def test_ingesting_a_parcel_queues_the_subscription_job(
        self, session: Session, account: ConnectorAccount
    ) -> None:
        ingest_parcel(session, "73100000000001")
        names = session.scalars(select(Job.name).where(Job.name == "connectors.kuaidi100_subscribe"))
        assert list(names) == ["connectors.kuaidi100_subscribe"]

    def test_without_an_account_nothing_is_queued(self, session: Session) -> None:
        ingest_parcel(session, "73100000000002")
        assert session.scalar(select(Job.id).where(Job.name == "connectors.kuaidi100_subscribe")) is None


def ingest_parcel(session: Session, tracking_no: str) -> None:
    shop = make_shop(session)
    order = make_order(session, shop=shop)
    parcel = ShipmentIn(
        shop_code=shop.code,
        order_no=order.source_id,
        courier="zto",
        tracking_no=tracking_no,
        shipped_at=utcnow(),
    )
    ingest_shipments(session, [parcel])


def post_push(client: TestClient, account: ConnectorAccount, form: dict[str, str]) -> dict[str, object]:
    response = client.post(f"/api/connectors/kuaidi100/{account.id}/push", data=form)
    return {"status": response.status_code, **response.json()}


class TestPush:
    def test_a_signed_push_becomes_tracking_events(
        self, session: Session, client: TestClient, account: ConnectorAccount
    ) -> None:
        parcel = make_shipment(session, courier="yto")
        data = [
            entry("2026-11-12 09:10:00", "【上海转运中心】已发出,下一站【北京】", area="上海市"),
            entry("2026-11-11 20:00:00", "【杭州】快件已揽收", code="1", area="杭州市"),
        ]
        answer = post_push(
            client, account, push_form(company="yuantong", number=parcel.tracking_no, data=data, salt=SALT)
        )
        assert answer == {"status": 200, "result": True, "returnCode": "200", "message": "成功"}
        events = sorted(events_of(session, parcel), key=lambda e: e.occurred_at)
        assert [(e.status, e.location) for e in events] == [
            (TrackingStatus.COLLECTED, "杭州市"),
            (TrackingStatus.IN_TRANSIT, "上海市"),
        ]
        assert events[0].occurred_at.isoformat() == "2026-11-11T12:00:00+00:00"

    def test_the_same_push_twice_stores_each_event_once(
        self, session: Session, client: TestClient, account: ConnectorAccount
    ) -> None:
        parcel = make_shipment(session)
        form = push_form(
            company="zhongtong",
            number=parcel.tracking_no,
            data=[entry("2026-11-11 20:00:00", "快件已揽收", code="1")],
            salt=SALT,
        )
        post_push(client, account, form)
        post_push(client, account, form)
        assert len(events_of(session, parcel)) == 1

    def test_a_wrong_signature_is_refused(
        self, session: Session, client: TestClient, account: ConnectorAccount
    ) -> None:
        parcel = make_shipment(session)
        form = push_form(
            company="zhongtong",
            number=parcel.tracking_no,
            data=[entry("2026-11-11 20:00:00", "揽收")],
            salt="x",
        )
        assert post_push(client, account, form)["status"] == 401
        assert events_of(session, parcel) == []

    def test_a_signed_for_push_finishes_the_subscription(
        self, session: Session, client: TestClient, account: ConnectorAccount
    ) -> None:
        parcel = make_shipment(session)
        data = [entry("2026-11-13 10:00:00", "已签收,签收人: 本人", code="3")]
        post_push(
            client,
            account,
            push_form(
                company="zhongtong", number=parcel.tracking_no, data=data, salt=SALT, status="shutdown"
            ),
        )
        assert subscription_of(session, parcel).status == SubscriptionStatus.FINISHED  # type: ignore[union-attr]
        session.refresh(parcel)
        assert parcel.status == TrackingStatus.DELIVERED

    def test_an_aborted_subscription_is_renewed_after_half_an_hour(
        self, session: Session, client: TestClient, account: ConnectorAccount
    ) -> None:
        parcel = make_shipment(session)
        post_push(
            client,
            account,
            push_form(company="zhongtong", number=parcel.tracking_no, data=[], salt=SALT, status="abort"),
        )
        subscription = subscription_of(session, parcel)
        assert subscription is not None
        assert subscription.status == SubscriptionStatus.RETRY
        assert subscription.next_attempt_at is not None
        assert timedelta(minutes=29) < subscription.next_attempt_at - utcnow() <= timedelta(minutes=30)

    def test_a_push_for_a_parcel_we_do_not_have_is_acknowledged(
        self, session: Session, client: TestClient, account: ConnectorAccount
    ) -> None:
        form = push_form(
            company="zhongtong", number="NOT-OURS-1", data=[entry("2026-11-11 20:00:00", "揽收")], salt=SALT
        )
        assert post_push(client, account, form)["returnCode"] == "200"


class TestRealTimeQuery:
    def test_queries_a_parcel_whose_subscription_failed(
        self, session: Session, fake: FakeKuaidi100, account: ConnectorAccount
    ) -> None:
        fake.refuse_companies.add("jtexpress")
        parcel = make_shipment(session, courier="jt")
        fake.tracks[parcel.tracking_no] = [entry("2026-11-12 09:10:00", "【广州】快件已揽收", code="1")]
        tracking.subscribe_due(session)
        counts = tracking.query_untracked(session)
        assert counts == {"queried": 1, "events": 1, "errors": 0}
        assert [e.status for e in events_of(session, parcel)] == [TrackingStatus.COLLECTED]

    def test_does_not_query_the_same_parcel_again_within_two_hours(
        self, session: Session, fake: FakeKuaidi100, server: ProviderServer, account: ConnectorAccount
    ) -> None:
        fake.refuse_companies.add("jtexpress")
        make_shipment(session, courier="jt")
        tracking.subscribe_due(session)
        tracking.query_untracked(session)
        tracking.query_untracked(session)
        assert [call.path for call in server.calls].count("/poll/query.do") == 1

    def test_the_query_request_is_signed_as_documented(
        self, session: Session, server: ProviderServer, account: ConnectorAccount
    ) -> None:
        parcel = make_shipment(session, courier="zto")
        tracking.query_parcel(session, account=account, shipment=parcel, phone=None)
        form = server.calls[-1].form
        assert json.loads(form["param"]) == {"com": "zhongtong", "num": parcel.tracking_no, "resultv2": "1"}
        assert form["customer"] == CUSTOMER
        assert form["sign"] == hashlib.md5((form["param"] + KEY + CUSTOMER).encode()).hexdigest().upper()

    def test_a_wrong_key_is_a_permanent_error(
        self, session: Session, fake: FakeKuaidi100, account: ConnectorAccount
    ) -> None:
        fake.customer = "SOMEONE-ELSE"
        with pytest.raises(ProviderError) as raised:
            tracking.query_parcel(session, account=account, shipment=make_shipment(session), phone=None)
        assert (raised.value.code, raised.value.retry) == ("503", False)


class TestConnectionCheck:
    def test_right_credentials_pass(self, session: Session, account: ConnectorAccount) -> None:
        assert service.test_connection(session, account=account).startswith("凭证有效")
        assert account.success_count == 1

    def test_wrong_credentials_fail_and_are_recorded(
        self, session: Session, fake: FakeKuaidi100, account: ConnectorAccount
    ) -> None:
        fake.key = "changed"
        with pytest.raises(ProviderError, match="503"):
            service.test_connection(session, account=account)
        assert account.error_count == 1


class TestMalformedPush:
    def test_a_signed_push_that_is_not_json_is_invalid_input(
        self, session: Session, client: TestClient, account: ConnectorAccount
    ) -> None:
        param = "not json"
        form = {"param": param, "sign": hashlib.md5((param + SALT).encode()).hexdigest().upper()}
        assert post_push(client, account, form)["status"] == 422

    def test_a_push_without_a_signature_is_refused(
        self, client: TestClient, account: ConnectorAccount
    ) -> None:
        assert post_push(client, account, {"param": "{}"})["status"] == 401
