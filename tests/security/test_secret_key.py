"""The secret key in the source is public: nothing may run in production with it, and what an
attacker signs with it is worthless against a server with its own key."""

import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from aftersales.api import create_app
from aftersales.audit.webhooks import SIGNATURE_HEADER, sign
from aftersales.cli import app as cli
from aftersales.config import PUBLIC_DEFAULT_SECRET_KEY, InsecureSecretKeyError, Settings, get_settings
from aftersales.selfservice import access
from tests.builders import make_order, make_shipment

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Production mode, no key configured, no key file in the working directory."""
    monkeypatch.setenv("AFTERSALES_MODE", "production")
    monkeypatch.delenv("AFTERSALES_SECRET_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def own_key(production: None, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AFTERSALES_SECRET_KEY", "a-key-only-this-server-knows")
    get_settings.cache_clear()
    return "a-key-only-this-server-knows"


def forged_with_public_key(salt: str, order_id: int) -> str:
    return URLSafeTimedSerializer(PUBLIC_DEFAULT_SECRET_KEY, salt=salt).dumps({"o": order_id})


class TestRefusingToStart:
    def test_the_app_factory_refuses_the_public_default_key(self, production: None) -> None:
        with pytest.raises(InsecureSecretKeyError, match="AFTERSALES_SECRET_KEY"):
            create_app()

    @pytest.mark.parametrize("command", ["serve", "worker"])
    def test_serve_and_worker_exit_with_a_clear_message(self, production: None, command: str) -> None:
        result = CliRunner().invoke(cli, [command])
        assert result.exit_code == 2
        assert "拒绝启动" in result.output

    def test_a_real_uvicorn_process_does_not_come_up(self, tmp_path: Path) -> None:
        env = {k: v for k, v in os.environ.items() if k != "AFTERSALES_SECRET_KEY"}
        env |= {"AFTERSALES_MODE": "production", "PYTHONPATH": str(ROOT)}
        command = [sys.executable, "-m", "uvicorn", "aftersales.api:create_app", "--factory", "--port", "0"]
        result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode != 0
        assert "InsecureSecretKeyError" in result.stderr

    def test_with_a_key_of_its_own_the_app_starts(self, own_key: str) -> None:
        assert isinstance(create_app(), FastAPI)


class TestKeyFile:
    def test_secret_key_command_generates_a_key_once_and_settings_read_it(self, production: None) -> None:
        assert CliRunner().invoke(cli, ["secret-key"]).exit_code == 0
        key = Path("var/secret_key").read_text().strip()
        assert len(key) >= 40
        assert Settings().secret_key == key
        assert CliRunner().invoke(cli, ["secret-key"]).exit_code == 0
        assert Path("var/secret_key").read_text().strip() == key
        Settings().require_private_key()

    def test_a_key_from_the_environment_wins_over_the_file(
        self, production: None, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        Path("var").mkdir()
        Path("var/secret_key").write_text("from-the-file")
        monkeypatch.setenv("AFTERSALES_SECRET_KEY", "from-the-environment")
        assert Settings().secret_key == "from-the-environment"


class TestForgeries:
    """Against a server with its own key, everything signed with the public one is refused."""

    @pytest.fixture
    def server(self, own_key: str, app: FastAPI) -> TestClient:
        return TestClient(app)

    def test_a_forged_portal_link_is_refused(self, session: Session, server: TestClient) -> None:
        order = make_order(session)
        token = forged_with_public_key(access.LINK_SALT, order.id)
        response = server.get(f"/portal/l/{token}", follow_redirects=False)
        assert response.status_code == 401
        assert access.SESSION_COOKIE not in response.cookies

    def test_a_forged_portal_session_cookie_is_refused(self, session: Session, server: TestClient) -> None:
        order = make_order(session)
        server.cookies.set(
            access.SESSION_COOKIE, forged_with_public_key(access.SESSION_SALT, order.id), path="/portal"
        )
        response = server.get("/portal/", follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, "/portal/login")

    def test_a_webhook_signed_with_the_public_key_is_refused(
        self, session: Session, server: TestClient
    ) -> None:
        shipment = make_shipment(session)
        body = json.dumps(
            [
                {
                    "courier": "zto",
                    "tracking_no": shipment.tracking_no,
                    "occurred_at": "2026-11-12T08:00:00+08:00",
                }
            ]
        ).encode()
        public_source_secret = hmac.new(
            PUBLIC_DEFAULT_SECRET_KEY.encode(), b"webhook-source:zto", hashlib.sha256
        ).hexdigest()
        headers = {SIGNATURE_HEADER: sign(body, public_source_secret, int(time.time()))}
        response = server.post("/api/webhooks/zto/tracking-events", content=body, headers=headers)
        assert response.status_code == 401
