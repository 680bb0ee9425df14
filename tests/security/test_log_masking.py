import logging

import pytest
from fastapi.testclient import TestClient

from aftersales.kit.logmask import install, mask_mobiles
from aftersales.auth.models import Role


class TestMaskMobiles:
    @pytest.mark.parametrize(
        ("text", "masked"),
        [
            ("q=13812345678", "q=138****5678"),
            ("电话 15900001111,备用 18600002222", "电话 159****1111,备用 186****2222"),
            ("订单 2026111100001234567", "订单 2026111100001234567"),
            ("座机 0571-88886666", "座机 0571-88886666"),
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
        assert caplog.records[-1].args == ("127.0.0.1", "GET", "/api/orders?q=138****5678")

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
