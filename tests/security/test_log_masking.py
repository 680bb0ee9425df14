import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.kit.logmask import install, mask_mobiles, mask_text
from aftersales.orders.models import Order, OrderStatus
from tests.builders import make_customer, make_shop


class TestMaskMobiles:
    @pytest.mark.parametrize(
        ("text", "masked"),
        [
            ("q=13812345678", "q=138****5678"),
            ("电话 15900001111,备用 18600002222", "电话 159****1111,备用 186****2222"),
            ("订单 2026111100001234567", "订单 2026111100001234567"),
            ("座机 0571-88886666", "座机 0571-88886666"),
            ("手机 8613912345678", "手机 86139****5678"),
            ("手机 +8613912345678", "手机 +86139****5678"),
        ],
    )
    def test_masks_mainland_mobiles_and_leaves_other_numbers(self, text: str, masked: str) -> None:
        assert mask_mobiles(text) == masked


class TestLogRecords:
    def test_a_phone_number_in_log_arguments_is_masked(self, caplog: pytest.LogCaptureFixture) -> None:
        install()
        with caplog.at_level(logging.INFO, logger="aftersales.test"):
            logging.getLogger("aftersales.test").info("search %s by %s", "13812345678", "agent1")
        assert caplog.records[-1].getMessage() == "search 138****5678 by agent1"

    def test_argument_positions_are_kept_for_formatters_that_unpack_them(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        install()
        with caplog.at_level(logging.INFO, logger="aftersales.test"):
            logging.getLogger("aftersales.test").info(
                '%s "%s %s"', "127.0.0.1", "GET", "/api/orders?q=13812345678"
            )
        assert caplog.records[-1].args == ("127.0.0.1", "GET", "/api/orders?q=***")

    def test_the_app_installs_masking_so_searched_phones_stay_out_of_logs(
        self,
        client: TestClient,
        auth_headers,
        caplog: pytest.LogCaptureFixture,  # type: ignore[no-untyped-def]
    ) -> None:
        headers = auth_headers(Role.AGENT)
        with caplog.at_level(logging.DEBUG):
            client.get("/api/orders", params={"q": "13812345678"}, headers=headers)
            logging.getLogger("httpx").info("request to %s", "/api/orders?q=13812345678")
        assert "13812345678" not in caplog.text


class TestAccessLog:
    @pytest.mark.parametrize(
        ("path", "logged"),
        [
            ("/api/orders?q=8613912345678", "/api/orders?q=***"),
            ("/console/orders?q=%E5%BC%A0%E4%B8%89&page=2", "/console/orders?q=***&page=2"),
            ("/console/tickets?status=open&shop_id=3", "/console/tickets?status=open&shop_id=3"),
            ("/console/orders?from=2026-11-01&q=文三路100号", "/console/orders?from=2026-11-01&q=***"),
        ],
    )
    def test_query_values_that_could_be_customer_data_are_masked(
        self, caplog: pytest.LogCaptureFixture, path: str, logged: str
    ) -> None:
        install()
        with caplog.at_level(logging.INFO, logger="uvicorn.access"):
            logging.getLogger("uvicorn.access").info(
                '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", path, "1.1", 200
            )
        assert caplog.records[-1].getMessage() == f'127.0.0.1:5000 - "GET {logged} HTTP/1.1" 200'


class TestDatabaseErrors:
    """A 500 whose traceback quotes the statement's parameters (receiver's phone and address)."""

    def _failing_insert(self, session: Session) -> None:
        shop = make_shop(session)
        customer = make_customer(session, shop=shop)
        with session.begin_nested():
            session.add(
                Order(
                    shop_id=shop.id,
                    customer_id=customer.id,
                    platform=shop.platform,
                    source_id="LEAK-1",
                    status=OrderStatus.PAID,
                    total_fen=100,
                    paid_fen=100,
                    receiver_phone="13912345678",
                    address="秘密路 88号 6幢",
                    ordered_at=None,  # NOT NULL: the insert fails with its parameters in the message
                )
            )
            session.flush()

    def test_the_traceback_of_a_500_keeps_no_parameters(
        self, session: Session, caplog: pytest.LogCaptureFixture
    ) -> None:
        install()
        with caplog.at_level(logging.ERROR, logger="uvicorn.error"):
            try:
                self._failing_insert(session)
            except IntegrityError:
                logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
        assert "IntegrityError" in caplog.text
        assert "[parameters: hidden]" in caplog.text
        assert "13912345678" not in caplog.text
        assert "秘密路" not in caplog.text

    def test_an_exception_passed_as_an_argument_is_masked(
        self, session: Session, caplog: pytest.LogCaptureFixture
    ) -> None:
        install()
        with caplog.at_level(logging.ERROR, logger="aftersales.jobs"):
            try:
                self._failing_insert(session)
            except IntegrityError as exc:
                logging.getLogger("aftersales.jobs").error("job failed: %s", exc)
        assert "13912345678" not in caplog.text
        assert "秘密路" not in caplog.text

    def test_postgres_detail_lines_lose_the_failing_row(self) -> None:
        text = "DETAIL:  Failing row contains (7, 13912345678, 秘密路 88号, null)."
        assert mask_text(text) == "DETAIL:  Failing row contains (hidden)."


def test_a_format_string_with_a_query_placeholder_still_formats(caplog: pytest.LogCaptureFixture) -> None:
    install()
    with caplog.at_level(logging.INFO, logger="aftersales.test"):
        logging.getLogger("aftersales.test").info("calling /api/orders?q=%s&page=%d", "张三", 2)
    assert caplog.records[-1].getMessage() == "calling /api/orders?q=***&page=2"
