import os

import pytest

SERVICE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="session")
def search_database(migrated_database):
    return migrated_database(SERVICE_DIR, "search")
