"""Connector accounts: credentials encrypted with the secret key and never shown whole; the
endpoint a call goes to; the health record."""

from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from aftersales.config import get_settings
from aftersales.connectors import secrets, service
from aftersales.connectors.errors import CredentialsUnreadableError, ProviderError
from aftersales.connectors.models import ConnectorAccount, Provider
from aftersales.kit.errors import InvalidInputError
from tests.builders import make_shop
from tests.builders.connectors import (
    KUAIDI100_CREDENTIALS,
    make_jushuitan_account,
    make_kuaidi100_account,
    make_platform_account,
    make_sf_account,
    make_wangdiantong_account,
    make_zto_account,
)


class TestCredentials:
    def test_stored_encrypted_and_read_back(self, session: Session) -> None:
        account = make_kuaidi100_account(session, endpoint="http://127.0.0.1:9")
        stored = session.execute(
            text("SELECT secret_blob FROM connector_accounts WHERE id = :id"), {"id": account.id}
        ).scalar_one()
        assert KUAIDI100_CREDENTIALS["key"] not in stored
        assert service.credentials(account) == KUAIDI100_CREDENTIALS

    def test_only_a_masked_hint_is_kept_in_clear(self, session: Session) -> None:
        account = make_kuaidi100_account(session, endpoint="http://127.0.0.1:9")
        assert account.secret_hint == "key ****6789, customer ****CDEF, salt ****8e7d"
        assert all(value not in account.secret_hint for value in KUAIDI100_CREDENTIALS.values())

    def test_another_secret_key_cannot_read_them(self, monkeypatch: pytest.MonkeyPatch) -> None:
        token = secrets.encrypt({"key": "k"})
        monkeypatch.setattr(get_settings(), "secret_key", "another-secret-key")
        with pytest.raises(CredentialsUnreadableError):
            secrets.decrypt(token)

    def test_a_missing_credential_field_is_refused(self, session: Session) -> None:
        with pytest.raises(InvalidInputError, match="salt"):
            service.save_account(
                session,
                provider=Provider.KUAIDI100,
                shop_code=None,
                credentials={"key": "k", "customer": "c"},
            )

    def test_saving_again_replaces_the_account(self, session: Session) -> None:
        first = make_kuaidi100_account(session, endpoint="http://127.0.0.1:9")
        second = make_kuaidi100_account(session, endpoint="http://127.0.0.1:10")
        assert first.id == second.id
        assert session.scalars(select(ConnectorAccount)).all() == [second]


class TestScope:
    def test_a_shops_own_account_wins_over_the_global_one(self, session: Session) -> None:
        shop = make_shop(session)
        make_kuaidi100_account(session, endpoint="http://127.0.0.1:9")
        own = make_kuaidi100_account(session, endpoint="http://127.0.0.1:10", shop=shop)
        assert service.account_for(session, provider=Provider.KUAIDI100, shop_id=shop.id) == own

    def test_other_shops_use_the_global_account(self, session: Session) -> None:
        shop, other = make_shop(session), make_shop(session)
        make_kuaidi100_account(session, endpoint="http://127.0.0.1:10", shop=shop)
        common = make_kuaidi100_account(session, endpoint="http://127.0.0.1:9")
        assert service.account_for(session, provider=Provider.KUAIDI100, shop_id=other.id) == common


class TestEndpoint:
    def test_production_by_default(self, session: Session) -> None:
        account = make_kuaidi100_account(session, endpoint="")
        assert service.endpoint(account) == "https://poll.kuaidi100.com"

    def test_sandbox_without_a_published_sandbox_asks_for_an_endpoint(self, session: Session) -> None:
        account = make_kuaidi100_account(session, endpoint="")
        account.sandbox = True
        with pytest.raises(ProviderError, match="沙箱"):
            service.endpoint(account)

    @pytest.mark.parametrize(
        ("make", "sandbox"),
        [
            (make_sf_account, "https://sfapi-sbox.sf-express.com/std/service"),
            (make_jushuitan_account, "https://dev-api.jushuitan.com"),
            (make_wangdiantong_account, "https://openapi.ali.huice.cc/openapi"),
            (make_zto_account, "https://japi-test.zto.com"),
        ],
    )
    def test_sandbox_goes_to_the_published_sandbox(self, session: Session, make: Any, sandbox: str) -> None:
        account = make(session, endpoint="", shop=make_shop(session))
        account.sandbox = True
        assert service.endpoint(account) == sandbox

    @pytest.mark.parametrize("provider", [Provider.DOUYIN, Provider.PDD])
    def test_platforms_without_a_sandbox_refuse_the_switch(self, session: Session, provider: str) -> None:
        account = make_platform_account(session, provider=provider, endpoint="", shop=make_shop(session))
        account.sandbox = True
        with pytest.raises(ProviderError, match="沙箱"):
            service.endpoint(account)


class TestHealth:
    def test_counts_successes_and_keeps_the_last_error(self, session: Session) -> None:
        account = make_kuaidi100_account(session, endpoint="http://127.0.0.1:9")
        service.record_success(account)
        service.record_failure(account, "快递100 拒绝了授权 key: 600")
        assert (account.success_count, account.error_count, account.last_error) == (
            1,
            1,
            "快递100 拒绝了授权 key: 600",
        )
        assert account.last_success_at is not None
        assert account.last_error_at is not None
