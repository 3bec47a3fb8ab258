"""A database of its own for each test, on the real PostgreSQL server ``tests/services.sh`` starts."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest

SERVER = os.environ.get("FORKFLOW_TEST_POSTGRES", "postgresql://forkflow:forkflow@127.0.0.1:5432/postgres")


def _admin() -> psycopg.Connection:
    try:
        return psycopg.connect(SERVER, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as err:
        raise RuntimeError(
            f"the PostgreSQL tests need a server at {SERVER} (FORKFLOW_TEST_POSTGRES): "
            f"run tests/services.sh as root to install and start one ({err})"
        ) from None


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """The URL of a new, empty database, dropped after the test."""
    name = f"forkflow_test_{uuid.uuid4().hex[:12]}"
    with _admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield SERVER.rsplit("/", 1)[0] + "/" + name
    finally:
        with _admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
