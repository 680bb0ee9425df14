"""What a worker loaded at startup is kept out of later garbage collections."""

import gc
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from aftersales.kit.memory import freeze_long_lived


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_freezing_moves_the_surviving_objects_out_of_collections(unfrozen: None) -> None:
    kept = [object() for _ in range(10)]  # noqa: F841  (alive during the freeze)
    freeze_long_lived()
    assert gc.get_freeze_count() > 10


def test_the_app_freezes_what_it_built_once_it_has_started(app: FastAPI, unfrozen: None) -> None:
    with TestClient(app):
        frozen = gc.get_freeze_count()
    assert frozen > 0
