"""Fixtures every connector test module shares: the local provider server plays the module's
``fake`` (each module defines that fixture), and a shop to connect."""

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from tests.builders import make_shop
from tests.connectors.provider_server import ProviderServer, provider_server


@pytest.fixture
def server(fake: Any) -> Iterator[ProviderServer]:
    with provider_server(fake) as running:
        yield running


@pytest.fixture
def shop(session: Session) -> Shop:
    return make_shop(session)
