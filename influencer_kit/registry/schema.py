"""The registry's schema, one for SQLite and PostgreSQL, as numbered migrations applied on open.

Table `schema_version` holds one row per migration applied. Opening a registry whose schema is
current takes no lock (it never waits for a run that is writing); else it applies the migrations
it lacks, in order, inside a write transaction, so two processes opening an old registry together
migrate it once. A registry of a newer schema than this code knows is refused.
Migration 1 is the schema of the registries made before it was numbered (its `IF NOT EXISTS` leaves
their tables as they are); never edit a migration once released: add the next one.

Why not Alembic: it drives a SQLAlchemy engine from a script folder with its own `env.py`, while
the registry talks DB-API (`sqlite3`, `psycopg`) through `database.py`; two short lists of
statements need neither, and opening a registry (every run, every command, every review-app page)
whose schema is current costs two queries.
"""
from __future__ import annotations

import time

from influencer_kit.errors import RegistryError
from influencer_kit.registry.database import Database

MIGRATIONS: list[list[str]] = [
    [  # 1: people, reference faces, embeddings, corrections, "not the same" pairs
        """CREATE TABLE IF NOT EXISTS people (
            id TEXT PRIMARY KEY,
            number INTEGER NOT NULL UNIQUE,
            name TEXT NOT NULL DEFAULT '',
            ignored INTEGER NOT NULL DEFAULT 0,
            merged_into TEXT REFERENCES people(id),
            created {real} NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS faces (
            id {key},
            person TEXT NOT NULL REFERENCES people(id),
            video TEXT NOT NULL,
            frame INTEGER NOT NULL,
            box TEXT NOT NULL,
            crop_box TEXT NOT NULL,
            jpeg {blob} NOT NULL,
            added {real} NOT NULL,
            UNIQUE (video, frame, box))""",
        "CREATE INDEX IF NOT EXISTS faces_person ON faces (person)",
        """CREATE TABLE IF NOT EXISTS embeddings (
            face INTEGER NOT NULL REFERENCES faces(id),
            embedder_key TEXT NOT NULL,
            vector {blob} NOT NULL,
            PRIMARY KEY (face, embedder_key))""",
        "CREATE TABLE IF NOT EXISTS embedders (key TEXT PRIMARY KEY, config TEXT NOT NULL)",
        """CREATE TABLE IF NOT EXISTS corrections (
            id {key},
            time {real} NOT NULL,
            action TEXT NOT NULL,
            args TEXT NOT NULL,
            applied_runs INTEGER NOT NULL DEFAULT 0)""",
        """CREATE TABLE IF NOT EXISTS different_people (
            a TEXT NOT NULL REFERENCES people(id),
            b TEXT NOT NULL REFERENCES people(id),
            correction INTEGER NOT NULL REFERENCES corrections(id),
            PRIMARY KEY (a, b))""",
    ],
    [  # 2: the review app's accounts, and who made each correction
        """CREATE TABLE users (
            name TEXT PRIMARY KEY,
            password_hash TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('editor', 'viewer')),
            created {real} NOT NULL)""",
        "ALTER TABLE corrections ADD COLUMN author TEXT NOT NULL DEFAULT ''",
    ],
    [  # 3: videos a reviewer said are one creative, or two
        """CREATE TABLE creative_links (
            a TEXT NOT NULL,
            b TEXT NOT NULL,
            same INTEGER NOT NULL,
            correction INTEGER NOT NULL REFERENCES corrections(id),
            PRIMARY KEY (a, b))""",
    ],
]

# Every table, in an order that copies them without breaking a reference, with its columns and
# the order its rows are compared in (`migrate`; people's `merged_into` is copied after them all).
TABLES: dict[str, tuple[list[str], str]] = {
    "people": (["id", "number", "name", "ignored", "merged_into", "created"], "number"),
    "faces": (["id", "person", "video", "frame", "box", "crop_box", "jpeg", "added"], "id"),
    "embedders": (["key", "config"], "key"),
    "embeddings": (["face", "embedder_key", "vector"], "face, embedder_key"),
    "corrections": (["id", "time", "action", "args", "applied_runs", "author"], "id"),
    "different_people": (["a", "b", "correction"], "a, b"),
    "users": (["name", "password_hash", "role", "created"], "name"),
    "creative_links": (["a", "b", "same", "correction"], "a, b"),
}
NUMBERED = ("faces", "corrections")  # tables whose `id` the database gives out


def is_current(db: Database) -> bool:
    """Whether every migration is applied (no write transaction needed)."""
    return db.has_table("schema_version") and _version(db) == len(MIGRATIONS)


def _version(db: Database) -> int:
    return int(db.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0])


def upgrade(db: Database) -> None:
    """Apply the migrations `db` lacks; inside the caller's write transaction."""
    db.execute("CREATE TABLE IF NOT EXISTS schema_version "
               f"(version INTEGER PRIMARY KEY, applied {db.types['real']} NOT NULL)")
    current = _version(db)
    if current > len(MIGRATIONS):
        raise RegistryError(f"this registry has schema version {current}, newer than this influencer-kit knows "
                            f"({len(MIGRATIONS)}): upgrade influencer-kit")
    for version, statements in enumerate(MIGRATIONS[current:], current + 1):
        for statement in statements:
            db.execute(statement.format(**db.types))
        db.execute("INSERT INTO schema_version (version, applied) VALUES (?, ?)", (version, time.time()))
