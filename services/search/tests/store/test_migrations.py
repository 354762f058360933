"""The migrations build what the models declare (beside each database's own text index), and go back."""
import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from eoffice_common.migrations import downgrade, upgrade
from eoffice_common.tables import PLUMBING
from eoffice_common.testing import create_database
from search.models import Base

SERVICE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def text_index_only(difference):
    """PostgreSQL's tsvector and grants columns and their indexes, SQLite's FTS5 table and its shadow tables."""
    found = repr(difference)
    return any(name in found for name in ("tokens", "ix_documents_number_trgm", "document_words", "granted"))


@pytest.mark.parametrize("kind", ["postgresql", "sqlite"])
def test_the_migrations_build_what_the_models_declare_and_go_back(kind, tmp_path):
    url = create_database("eoffice_test_search_migrations") if kind == "postgresql" else f"sqlite:///{tmp_path}/search.db"
    upgrade(SERVICE_DIR, url)
    engine = create_engine(url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), [Base.metadata, PLUMBING])
        tables = set(inspect(connection).get_table_names())
    assert [d for d in differences if not text_index_only(d)] == []
    assert ("document_words" in tables) == (kind == "sqlite")
    downgrade(SERVICE_DIR, url, "base")
    with engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
    engine.dispose()
