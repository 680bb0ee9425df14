from pathlib import Path

from sqlalchemy import inspect

from aftersales.db import Base, make_engine
from aftersales.migrate import downgrade, upgrade
from aftersales.registry import load_all_models
from tests.databases import fresh_database


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


class TestMigrations:
    def test_upgrade_creates_every_model_table(self, tmp_path: Path) -> None:
        load_all_models()
        with fresh_database(tmp_path) as url:
            assert _tables(url) == set(Base.metadata.tables)

    def test_downgrade_to_base_removes_every_table_and_upgrade_restores_them(self, tmp_path: Path) -> None:
        with fresh_database(tmp_path) as url:
            downgrade(url, "base")
            assert _tables(url) == set()
            upgrade(url)
            assert _tables(url) == set(Base.metadata.tables)
