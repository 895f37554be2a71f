"""Where the registry lives and the connection to it: a SQLite file (stdlib `sqlite3`, the default)
or a PostgreSQL database (`psycopg` 3, the `postgres` extra) for a team, behind the same few calls,
so the store's SQL is written once.

The store writes the SQL both databases understand (`?` placeholders, `ON CONFLICT`, `RETURNING`);
what differs lives here: the placeholder style, three column types of the schema, and how a writer
takes the registry for itself (SQLite's `BEGIN IMMEDIATE`; on PostgreSQL a transaction-scoped
advisory lock), so on both two writers queue instead of reading the same state.
"""
from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any, Iterable, Protocol
from urllib.parse import urlsplit, urlunsplit

from influencer_kit.errors import ConfigError, RegistryError

SQLITE_PREFIX = "sqlite:///"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
BUSY_TIMEOUT_S = 600.0  # how long a writer waits for another one to finish
WRITE_LOCK = 0x1F1_2E61  # the PostgreSQL advisory lock every registry writer takes ("ik registry")

Location = Path | str  # a SQLite file, or a postgresql:// URI


def location(uri: str, base: Path) -> Location:
    """A `registry.uri` (`sqlite:///PATH`, a plain path, or `postgresql://USER@HOST/DB`) as a
    location; relative paths are from `base`. Any other scheme is refused with one line."""
    if uri.startswith(POSTGRES_SCHEMES):
        return uri
    if "://" in uri and not uri.startswith(SQLITE_PREFIX):
        raise ConfigError(f"registry.uri: sqlite:///PATH, a file path or postgresql://USER@HOST/DB, got {uri!r}")
    return (base / Path(uri.removeprefix(SQLITE_PREFIX)).expanduser()).resolve()


def shown(where: Location) -> str:
    """A location as messages and MLflow show it: a URI's password replaced by `***`."""
    if isinstance(where, Path):
        return str(where)
    parts = urlsplit(where)
    if parts.password is None:
        return where
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)))


class Cursor(Protocol):
    def fetchone(self) -> tuple | None: ...
    def fetchall(self) -> list[tuple]: ...
    def __iter__(self) -> Any: ...


class Database:
    """One open connection (`self.db`); statements run outside a transaction unless between
    `begin` and `commit`/`rollback`. Each database says how it runs a statement, how a writer
    takes the registry, and its column types."""

    types: dict[str, str]  # `{blob}`, `{real}` and `{key}` of the schema's statements
    db: Any

    def execute(self, sql: str, params: tuple = ()) -> Cursor:
        raise NotImplementedError

    def executemany(self, sql: str, rows: Iterable[tuple]) -> None:
        raise NotImplementedError

    def begin(self) -> None:
        raise NotImplementedError

    def sync_ids(self, table: str) -> None:
        """After rows were copied in with their ids: number the next new row after the largest."""
        raise NotImplementedError

    def has_table(self, table: str) -> bool:
        raise NotImplementedError

    def commit(self) -> None:
        self.execute("COMMIT")

    def rollback(self) -> None:
        self.execute("ROLLBACK")

    def close(self) -> None:
        self.db.close()


class SQLite(Database):
    """A registry file in WAL mode (readers never wait for a writer)."""

    types = {"blob": "BLOB", "real": "REAL", "key": "INTEGER PRIMARY KEY"}

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        _use_wal(self.db)
        self.db.execute("PRAGMA foreign_keys=ON")

    def execute(self, sql: str, params: tuple = ()) -> Cursor:
        return self.db.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[tuple]) -> None:
        self.db.executemany(sql, rows)

    def begin(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def sync_ids(self, table: str) -> None:
        """Nothing to do: SQLite numbers a new row after the largest id there."""

    def has_table(self, table: str) -> bool:
        found = self.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()
        return found is not None


def _use_wal(db: sqlite3.Connection) -> None:
    """Write-ahead logging. Switching a new file to it needs the file to itself, and SQLite answers
    "locked" at once (no busy wait) when another process opens it at the same moment: try again
    until the busy timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class Postgres(Database):
    """A registry in a PostgreSQL database, shared by a team's runs, command lines and review apps."""

    types = {"blob": "BYTEA", "real": "DOUBLE PRECISION", "key": "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"}

    def __init__(self, uri: str) -> None:
        try:
            import psycopg
        except ImportError as err:
            raise ConfigError(f"registry.uri={shown(uri)} needs the psycopg package, which the default install "
                              f"leaves out: pip install 'influencer-kit[postgres]' (in a checkout: "
                              f".venv/bin/pip install -e '.[postgres]')") from err
        try:
            self.db = psycopg.connect(uri, autocommit=True, connect_timeout=30)
        except psycopg.Error as err:
            first = (str(err).strip().splitlines() or [type(err).__name__])[0]
            raise RegistryError(f"cannot open the registry at {shown(uri)}: {first}") from err
        self.db.execute(f"SET lock_timeout = '{int(BUSY_TIMEOUT_S)}s'")
        self.db.execute("SET client_min_messages = warning")

    def execute(self, sql: str, params: tuple = ()) -> Cursor:
        return self.db.execute(sql.replace("?", "%s"), params)

    def executemany(self, sql: str, rows: Iterable[tuple]) -> None:
        with self.db.cursor() as cursor:
            cursor.executemany(sql.replace("?", "%s"), list(rows))

    def begin(self) -> None:
        self.db.execute("BEGIN")
        self.db.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))

    def has_table(self, table: str) -> bool:
        return self.db.execute("SELECT to_regclass(%s) IS NOT NULL", (table,)).fetchone()[0]

    def sync_ids(self, table: str) -> None:
        self.db.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)")


def connect(where: Location) -> Database:
    """The connection to a registry location."""
    return Postgres(where) if isinstance(where, str) else SQLite(where)
