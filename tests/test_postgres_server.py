"""The test PostgreSQL server is real, loopback only, leaves nothing behind, and gives each test its own database."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from tests.postgres import SUPERUSER, create_database, drop_database, find_bin_dir, postgres_server


def test_server_runs_then_stops_and_leaves_nothing() -> None:
    """A server of its own (not the session's), so that its stop can be checked."""
    with postgres_server() as url:
        port = make_url(url).port
        assert port is not None
        server = create_engine(url)
        # Only the superuser may read where the cluster lives; trust authentication lets the test be it.
        superuser = create_engine(make_url(url).set(username=SUPERUSER))
        database = create_engine(create_database(url, "catalogue_check"))
        try:
            with server.connect() as connection:
                assert "PostgreSQL" in connection.execute(text("select version()")).scalar_one()
                assert connection.execute(text("show listen_addresses")).scalar_one() == "127.0.0.1"
                assert connection.execute(text("select current_user")).scalar_one() == "fir"
            with superuser.connect() as connection:
                folder = Path(connection.execute(text("show data_directory")).scalar_one()).parent
            assert folder.is_dir()
            with database.begin() as connection:
                connection.execute(text("create table publication (id integer primary key, title text not null)"))
                connection.execute(text("insert into publication values (1, 'FIR 2024')"))
            with database.connect() as connection:
                assert connection.execute(text("select title from publication")).scalar_one() == "FIR 2024"
        finally:
            for engine in (server, superuser, database):
                engine.dispose()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    assert not folder.exists()


def test_fresh_databases_do_not_share_tables(postgres_url: str, postgres_database: str) -> None:
    """A table made in one test's database is not seen from another; a dropped database is gone."""
    other_url = create_database(postgres_url, "test_fresh_databases_other")
    mine, other = create_engine(postgres_database), create_engine(other_url)
    try:
        assert inspect(mine).get_table_names() == []
        with mine.begin() as connection:
            connection.execute(text("create table publication (id integer primary key)"))
        assert inspect(mine).get_table_names() == ["publication"]
        assert inspect(other).get_table_names() == []
    finally:
        mine.dispose()
        other.dispose()
        drop_database(postgres_url, "test_fresh_databases_other")
    server = create_engine(postgres_url)
    try:
        with server.connect() as connection:
            names = connection.execute(text("select datname from pg_database")).scalars().all()
    finally:
        server.dispose()
    assert "test_fresh_databases_other" not in names
    assert make_url(postgres_database).database in names  # dropped only after the test, by the fixture


def test_missing_postgresql_says_to_run_setup(tmp_path: Path) -> None:
    """Without the server programs the tests fail and say how to install them, rather than being skipped."""
    (tmp_path / "15" / "bin").mkdir(parents=True)  # a version folder without initdb or pg_ctl
    with pytest.raises(RuntimeError, match=r"bash scripts/setup\.sh"):
        find_bin_dir(tmp_path)
