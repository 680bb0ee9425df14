"""Money moves once under parallel requests: 20 copies at once against a real server.

The server runs as a shop runs it (``aftersales serve``, in-process jobs included) on this suite's
database: a SQLite file in the SQLite pass, a fresh PostgreSQL database in the PostgreSQL pass.
Each test asserts what the policy allows was paid exactly once, the rest were refused with a
4xx (never a 5xx), and the ledger balances.
"""

from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.auth.service import issue_token
from aftersales.config import get_settings
from aftersales.db import make_engine
from aftersales.kit.time import utcnow
from aftersales.returns.models import (
    ApprovalStatus,
    Compensation,
    CompensationApproval,
    PayoutKind,
    RequestKind,
    ReturnRequest,
)
from aftersales.selfservice import access
from aftersales.web import csrf
from tests.builders import make_order, make_return_request, make_shipment, make_ticket, make_user
from tests.databases import fresh_database
from tests.e2e.conftest import LiveServer
from tests.reliability.support import SERVER_SECRET_KEY, running_server

PARALLEL = 20


class Shop(LiveServer):
    """The live server of these tests, which also reads totals and issues tokens."""

    def read(self, query: Any) -> Any:
        engine = make_engine(self.database_url)
        try:
            with Session(engine) as session:
                return session.scalar(query)
        finally:
            engine.dispose()

    def token(self, role: Role) -> str:
        return str(self.seed(lambda s: issue_token(s, user=make_user(s, role=role))))


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    directory = tmp_path_factory.mktemp("money")
    with fresh_database(directory) as url, running_server(url, directory / "server.log") as base:
        yield Shop(base, url)


def in_parallel(calls: list[Callable[[httpx.Client], httpx.Response]]) -> list[httpx.Response]:
    """Every call at once, each on its own connection."""

    def run(call: Callable[[httpx.Client], httpx.Response]) -> httpx.Response:
        with httpx.Client(timeout=120) as client:
            return call(client)

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def statuses(responses: list[httpx.Response]) -> Counter[int]:
    return Counter(r.status_code for r in responses)


def bearer(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


def paid(shop: Shop, order_id: int, kind: PayoutKind) -> int:
    total = shop.read(
        select(func.coalesce(func.sum(Compensation.amount_fen), 0)).where(
            Compensation.order_id == order_id, Compensation.kind == kind
        )
    )
    return int(total)


def post(path: str, token: str, body: dict[str, Any] | None = None, **headers: str) -> Callable[..., Any]:
    return lambda client: client.post(path, json=body, headers=bearer(token, **headers))


class TestCompensation:
    def test_parallel_payouts_of_two_agents_stop_at_the_agents_limit(self, shop: Shop) -> None:
        order = shop.seed(lambda s: make_order(s, paid_fen=33_800))  # agent limit: 50 % = ¥169
        agents = [shop.token(Role.AGENT), shop.token(Role.AGENT)]
        body = {"order_id": order.id, "amount_fen": 5_000, "reason_code": "other"}
        calls = [post(f"{shop.url}/api/returns/compensations", agents[n % 2], body) for n in range(PARALLEL)]
        responses = in_parallel(calls)
        assert statuses(responses) == {201: 3, 403: PARALLEL - 3}
        assert paid(shop, order.id, PayoutKind.COMPENSATION) == 15_000

    def test_parallel_copies_with_one_idempotency_key_pay_once(self, shop: Shop) -> None:
        order = shop.seed(lambda s: make_order(s, paid_fen=33_800))
        agent = shop.token(Role.AGENT)
        body = {"order_id": order.id, "amount_fen": 1_000, "reason_code": "other"}
        url = f"{shop.url}/api/returns/compensations"
        responses = in_parallel([post(url, agent, body, **{"Idempotency-Key": "once"})] * PARALLEL)
        assert statuses(responses) == {201: PARALLEL}
        assert len({r.json()["id"] for r in responses}) == 1
        assert paid(shop, order.id, PayoutKind.COMPENSATION) == 1_000


class TestApprovals:
    def test_parallel_decisions_pay_no_more_than_the_ceiling(self, shop: Shop) -> None:
        """Five approvals of 150 % each (written before the pending total was checked), decided by
        four supervisors at once: two are paid (300 %), each approval is decided once."""
        order = shop.seed(lambda s: make_order(s, paid_fen=10_000))
        requester = shop.seed(lambda s: make_user(s, role=Role.AGENT))
        ids = shop.seed(lambda s: [seed_approval(s, order.id, requester.id) for _ in range(5)])
        supervisors = [shop.token(Role.SUPERVISOR) for _ in range(4)]
        calls = [
            post(
                f"{shop.url}/api/returns/approvals/{ids[n % 5]}/decision",
                supervisors[n % 4],
                {"approve": True},
            )
            for n in range(PARALLEL)
        ]
        responses = in_parallel(calls)
        assert statuses(responses)[200] == 2
        assert all(r.status_code in (200, 403, 409) for r in responses)
        assert paid(shop, order.id, PayoutKind.COMPENSATION) == 30_000
        approved = select(func.count()).where(
            CompensationApproval.order_id == order.id, CompensationApproval.status == ApprovalStatus.APPROVED
        )
        assert shop.read(approved) == 2


def seed_approval(session: Session, order_id: int, requester_id: int) -> int:
    from aftersales.orders.models import Order

    order = session.get(Order, order_id)
    assert order is not None
    approval = CompensationApproval(
        shop_id=order.shop_id,
        order_id=order_id,
        amount_fen=15_000,
        reason_code="defective",
        note="质量问题",
        status=ApprovalStatus.PENDING,
        requested_by=requester_id,
    )
    session.add(approval)
    session.flush()
    return approval.id


class TestRefunds:
    def test_parallel_refunds_of_one_request_pay_once(self, shop: Shop) -> None:
        request = shop.seed(
            lambda s: make_return_request(
                s, order=make_order(s, paid_fen=19_900), kind=RequestKind.REFUND_ONLY
            )
        )
        agent = shop.token(Role.AGENT)
        url = f"{shop.url}/api/returns/requests/{request.id}/refund"
        responses = in_parallel([post(url, agent)] * PARALLEL)
        assert statuses(responses) == {200: 1, 409: PARALLEL - 1}
        assert paid(shop, request.order_id, PayoutKind.REFUND) == 19_900

    def test_parallel_early_refunds_pay_once(self, shop: Shop) -> None:
        request = shop.seed(build_early_refundable)
        agent = shop.token(Role.AGENT)
        url = f"{shop.url}/api/returns/requests/{request.id}/early-refund"
        responses = in_parallel([post(url, agent)] * PARALLEL)
        assert statuses(responses) == {200: 1, 409: PARALLEL - 1}
        assert paid(shop, request.order_id, PayoutKind.EARLY_REFUND) == 9_900

    def test_parallel_console_requests_for_one_order_make_one(self, shop: Shop) -> None:
        order = shop.seed(lambda s: make_order(s, paid_fen=487_700))
        shop_code = shop.seed(lambda s: s.scalar(select_shop_code(order.shop_id)))
        agent = shop.token(Role.AGENT)
        body = {
            "shop_code": shop_code,
            "order_no": order.source_id,
            "kind": "refund_only",
            "reason_code": "not_fit",
            "channel": "console",
        }
        responses = in_parallel([post(f"{shop.url}/api/returns/requests", agent, body)] * PARALLEL)
        assert statuses(responses) == {201: PARALLEL}
        assert len({r.json()["id"] for r in responses}) == 1
        count = select(func.count()).where(ReturnRequest.order_id == order.id)
        assert shop.read(count) == 1


class TestPortal:
    def test_parallel_refund_submits_of_one_buyer_make_one_request(
        self, shop: Shop, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        order = shop.seed(lambda s: make_order(s, paid_fen=487_700))
        cookie, token = portal_session(order.id, monkeypatch)
        form = {"kind": "refund", "reason": "damaged"}
        headers = {"Origin": shop.url, csrf.HEADER: token}

        def submit(client: httpx.Client) -> httpx.Response:
            url = f"{shop.url}/portal/apply/return"
            return client.post(url, data=form, headers=headers, cookies={access.SESSION_COOKIE: cookie})

        responses = in_parallel([submit] * PARALLEL)
        assert statuses(responses) == {303: 1, 409: PARALLEL - 1}
        made = select(func.count()).where(ReturnRequest.order_id == order.id)
        assert shop.read(made) == 1


def portal_session(order_id: int, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """The buyer's portal cookie and its CSRF token, signed with the test server's key."""
    monkeypatch.setenv("AFTERSALES_SECRET_KEY", SERVER_SECRET_KEY)
    get_settings.cache_clear()
    try:
        cookie = access.issue_session(order_id)
        return cookie, csrf.token_for(cookie)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def select_shop_code(shop_id: int) -> Any:
    from aftersales.catalog.models import Shop as ShopRow

    return select(ShopRow.code).where(ShopRow.id == shop_id)


def build_early_refundable(session: Session) -> ReturnRequest:
    """A ¥99 return whose parcel the courier has picked up: early refund allowed."""
    order = make_order(session, paid_fen=9_900)
    request = make_return_request(session, order=order)
    parcel = make_shipment(session, order=order, first_scan_at=utcnow() - timedelta(hours=1))
    request.return_shipment_id = parcel.id
    return request


class TestWritersBesideJobs:
    """The server's in-process jobs run meanwhile; no writer meets "database is locked"."""

    def test_parallel_payouts_on_different_orders_all_succeed(self, shop: Shop) -> None:
        orders = shop.seed(lambda s: [make_order(s, paid_fen=10_000) for _ in range(PARALLEL)])
        agent = shop.token(Role.AGENT)
        body = {"amount_fen": 100, "reason_code": "other"}
        url = f"{shop.url}/api/returns/compensations"
        responses = in_parallel([post(url, agent, {**body, "order_id": order.id}) for order in orders])
        assert statuses(responses) == {201: PARALLEL}

    def test_parallel_comments_on_different_tickets_all_succeed(self, shop: Shop) -> None:
        tickets = shop.seed(lambda s: [make_ticket(s).id for _ in range(PARALLEL)])
        agent = shop.token(Role.AGENT)
        body = {"text": "已联系快递催件"}
        calls = [post(f"{shop.url}/api/tickets/{ticket}/comments", agent, body) for ticket in tickets]
        assert statuses(in_parallel(calls)) == {201: PARALLEL}


class TestPriceProtection:
    def test_parallel_price_protections_pay_each_line_once_within_the_cap(self, shop: Shop) -> None:
        """Two lines whose drops are worth ¥60 each under a ¥100 cap: ¥60 + ¥40, once each."""
        order = shop.seed(build_price_dropped)
        agents = [shop.token(Role.AGENT), shop.token(Role.AGENT)]
        url = f"{shop.url}/api/returns/price-protection"
        calls = [
            post(
                url,
                agents[n % 2],
                {"order_id": order.id, "sku_code": ("A", "B")[n % 2], "new_unit_fen": 13_900},
            )
            for n in range(PARALLEL)
        ]
        responses = in_parallel(calls)
        assert statuses(responses) == {201: 2, 422: PARALLEL - 2}
        assert paid(shop, order.id, PayoutKind.PRICE_PROTECTION) == 10_000


def build_price_dropped(session: Session) -> Any:
    from aftersales.returns import price_protection
    from tests.builders import make_order_item

    order = make_order(session, paid_fen=39_800)
    for line_no, code in enumerate(("A", "B"), start=1):
        make_order_item(session, order=order, sku_code=code, line_no=line_no, unit_price_fen=19_900)
    price_protection.save_rule(
        session,
        shop_id=order.shop_id,
        values={"window_days": 15, "sku_codes": [], "max_per_order_fen": 10_000},
    )
    return order
