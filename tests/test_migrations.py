from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
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


def _drift(url: str) -> list[Any]:
    """What autogenerate would change to make the migrated schema match the models."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
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

    def test_migrated_schema_matches_the_models_in_columns_indexes_and_constraints(
        self, tmp_path: Path
    ) -> None:
        load_all_models()
        with fresh_database(tmp_path) as url:
            assert _drift(url) == []
