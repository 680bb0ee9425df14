import csv
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from aftersales.audit.models import AuditAction, AuditEntry
from aftersales.auth.models import Role
from aftersales.cli import app as cli
from tests.builders import make_customer, make_order, make_user

Headers = Callable[..., dict[str, str]]
REASON = {"reason": "客户来电要求核对收货地址"}


def audit_rows(session: Session) -> list[AuditEntry]:
    session.expire_all()
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


class TestRevealOrderPii:
    def test_supervisor_gets_the_full_phone_and_address(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        order = make_order(session, receiver_phone="13812345678", address="文三路 100号 3幢")
        body = client.post(
            f"/api/orders/{order.id}/reveal", json=REASON, headers=auth_headers(Role.SUPERVISOR)
        )
        assert body.status_code == 200
        assert (body.json()["receiver_phone"], body.json()["address"]) == ("13812345678", "文三路 100号 3幢")

    def test_reveal_writes_who_which_order_and_why_to_the_audit_log(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        order = make_order(session)
        response = client.post(
            f"/api/orders/{order.id}/reveal", json=REASON, headers=auth_headers(Role.SUPERVISOR)
        )
        [entry] = audit_rows(session)
        assert (entry.action, entry.subject_type, entry.subject_id) == (
            AuditAction.REVEAL_PII,
            "order",
            order.id,
        )
        assert entry.reason == REASON["reason"]
        assert entry.id == response.json()["audit_entry_id"]
        assert "receiver_phone" in entry.fields

    def test_reveal_returns_the_customer_account_phone_too(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        order = make_order(session, customer=make_customer(session, phone="13900001111"))
        body = client.post(
            f"/api/orders/{order.id}/reveal", json=REASON, headers=auth_headers(Role.SUPERVISOR)
        )
        assert body.json()["customer_phone"] == "13900001111"

    def test_agent_may_not_reveal_and_nothing_is_logged(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        order = make_order(session)
        response = client.post(
            f"/api/orders/{order.id}/reveal", json=REASON, headers=auth_headers(Role.AGENT)
        )
        assert response.status_code == 403
        assert audit_rows(session) == []

    def test_reveal_without_a_reason_is_rejected_naming_the_field(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        order = make_order(session)
        response = client.post(
            f"/api/orders/{order.id}/reveal", json={}, headers=auth_headers(Role.SUPERVISOR)
        )
        assert response.status_code == 422
        assert [f["field"] for f in response.json()["fields"]] == ["reason"]

    def test_unknown_order_is_404_and_not_logged(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        response = client.post(
            "/api/orders/999999/reveal", json=REASON, headers=auth_headers(Role.SUPERVISOR)
        )
        assert response.status_code == 404
        assert audit_rows(session) == []

    def test_supervisor_still_sees_masked_data_in_the_order_detail(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        order = make_order(session, receiver_phone="13812345678")
        body = client.get(f"/api/orders/{order.id}", headers=auth_headers(Role.SUPERVISOR)).json()
        assert body["receiver_phone"] == "138****5678"


class TestAuditLog:
    def test_admin_lists_reveals_of_one_order(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        first, second = make_order(session), make_order(session)
        supervisor = auth_headers(Role.SUPERVISOR)
        for order in (first, second, first):
            client.post(f"/api/orders/{order.id}/reveal", json=REASON, headers=supervisor)
        body = client.get(
            "/api/audit/entries",
            params={"subject_type": "order", "subject_id": first.id},
            headers=auth_headers(Role.ADMIN),
        ).json()
        assert body["total"] == 2
        assert {item["subject_id"] for item in body["items"]} == {first.id}

    def test_supervisor_may_not_read_the_audit_log(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        assert client.get("/api/audit/entries", headers=auth_headers(Role.SUPERVISOR)).status_code == 403

    def test_entries_are_filtered_by_actor(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        from aftersales.audit.service import record

        alice, bob = make_user(session, role=Role.SUPERVISOR), make_user(session, role=Role.SUPERVISOR)
        for actor in (alice, bob, bob):
            record(
                session,
                actor_id=actor.id,
                action="reveal_pii",
                subject_type="order",
                subject_id=1,
                fields=["receiver_phone"],
                reason="回访",
            )
        body = client.get(
            "/api/audit/entries", params={"actor_id": bob.id}, headers=auth_headers(Role.ADMIN)
        ).json()
        assert body["total"] == 2


class TestOutOfRangeNumbers:
    def test_an_id_beyond_64_bits_is_422_not_a_crash(self, client: TestClient, auth_headers: Headers) -> None:
        response = client.get(
            "/api/audit/entries", params={"actor_id": 2**70}, headers=auth_headers(Role.ADMIN)
        )
        assert (response.status_code, response.json()["error"]) == (422, "ValidationError")


class TestAuditConsole:
    def test_admin_sees_who_revealed_which_order_and_why(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        order = make_order(session)
        client.post(f"/api/orders/{order.id}/reveal", json=REASON, headers=auth_headers(Role.SUPERVISOR))
        page = client.get("/console/audit", headers=auth_headers(Role.ADMIN))
        assert page.status_code == 200
        assert REASON["reason"] in page.text
        assert f"订单 {order.id}" in page.text

    def test_supervisor_may_not_open_the_audit_page(self, client: TestClient, auth_headers: Headers) -> None:
        assert client.get("/console/audit", headers=auth_headers(Role.SUPERVISOR)).status_code == 403


def cli_export(path: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["export", "orders", str(path), *extra])
    return result.exit_code, result.output


def exported_phone(path: Path) -> str:
    with path.open(encoding="utf-8-sig") as handle:
        return next(csv.DictReader(handle))["收货手机"]


class TestRevealedExport:
    def test_admin_named_with_as_exports_whole_numbers_and_is_audited(
        self, session: Session, tmp_path: Path
    ) -> None:
        admin = make_user(session, role=Role.ADMIN)
        make_order(session, receiver_phone="13812345678")
        session.commit()
        code, _ = cli_export(tmp_path / "o.csv", "--reveal-pii", "--as", admin.username, "--reason", "对账")
        [entry] = audit_rows(session)
        assert (code, exported_phone(tmp_path / "o.csv")) == (0, "13812345678")
        assert (entry.action, entry.actor_id, entry.reason) == (AuditAction.EXPORT_PII, admin.id, "对账")

    def test_reveal_without_an_acting_user_stays_masked(self, session: Session, tmp_path: Path) -> None:
        make_order(session, receiver_phone="13812345678")
        session.commit()
        code, _ = cli_export(tmp_path / "o.csv", "--reveal-pii")
        assert (code, exported_phone(tmp_path / "o.csv"), audit_rows(session)) == (0, "138****5678", [])

    def test_supervisor_may_not_export_whole_numbers(self, session: Session, tmp_path: Path) -> None:
        supervisor = make_user(session, role=Role.SUPERVISOR)
        make_order(session)
        session.commit()
        code, output = cli_export(
            tmp_path / "o.csv", "--reveal-pii", "--as", supervisor.username, "--reason", "对账"
        )
        assert (code, tmp_path.joinpath("o.csv").exists(), audit_rows(session)) == (1, False, [])
        assert "管理员" in output

    def test_revealed_export_needs_a_reason(self, session: Session, tmp_path: Path) -> None:
        admin = make_user(session, role=Role.ADMIN)
        session.commit()
        code, output = cli_export(tmp_path / "o.csv", "--reveal-pii", "--as", admin.username)
        assert (code, audit_rows(session)) == (1, [])
        assert "--reason" in output


class TestConsoleReveal:
    """查看完整信息 on the order page: masked for every role until a supervisor asks, with a reason."""

    def test_an_admins_order_page_is_masked(
        self, client: TestClient, session: Session, auth_headers: Callable[..., dict[str, str]]
    ) -> None:
        order = make_order(session, receiver_phone="13812345678")
        page = client.get(f"/console/orders/{order.id}", headers=auth_headers(Role.ADMIN)).text
        assert "13812345678" not in page
        assert 'data-testid="reveal"' in page

    def test_a_supervisor_reveals_one_order_and_it_is_audited(
        self, client: TestClient, session: Session, auth_headers: Callable[..., dict[str, str]]
    ) -> None:
        order = make_order(session, receiver_phone="13812345678")
        url = f"/console/orders/{order.id}/reveal"
        page = client.post(url, data={"reason": "客户要求核对地址"}, headers=auth_headers(Role.SUPERVISOR))
        [entry] = audit_rows(session)
        assert "13812345678" in page.text.split('data-testid="revealed"')[1]
        assert (entry.action, entry.subject_id, entry.reason) == (
            AuditAction.REVEAL_PII,
            order.id,
            "客户要求核对地址",
        )

    def test_an_agent_may_not_reveal(
        self, client: TestClient, session: Session, auth_headers: Callable[..., dict[str, str]]
    ) -> None:
        order = make_order(session)
        response = client.post(
            f"/console/orders/{order.id}/reveal", data={"reason": "看看"}, headers=auth_headers()
        )
        assert (response.status_code, audit_rows(session)) == (403, [])

    def test_a_reveal_needs_a_reason(
        self, client: TestClient, session: Session, auth_headers: Callable[..., dict[str, str]]
    ) -> None:
        order = make_order(session)
        url = f"/console/orders/{order.id}/reveal"
        response = client.post(url, data={"reason": ""}, headers=auth_headers(Role.SUPERVISOR))
        assert (response.status_code, audit_rows(session)) == (422, [])
