"""`migrate`: copy a whole registry into an empty one (a SQLite file into a team's PostgreSQL
database, or back), every row of every table with its ids, in one transaction of the target."""
from __future__ import annotations

from influencer_kit.errors import RegistryError
from influencer_kit.registry.schema import NUMBERED, TABLES
from influencer_kit.registry.store import Registry

BATCH = 500  # rows per insert statement batch


def copy_registry(source: Registry, target: Registry) -> dict[str, int]:
    """Copy every table of `source` into `target`, which must hold no rows yet; rows copied per
    table. People's `merged_into` is set after all people are in, as it may name a later person."""
    with target.write():
        counts = {table: target.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in TABLES}
        filled = {table: n for table, n in counts.items() if n}
        if filled:
            raise RegistryError(f"the registry at {target.where} is not empty ({_counts(filled)}): "
                                f"migrate copies into a new, empty registry")
        copied = {}
        for table, (columns, _) in TABLES.items():
            rows = source.rows(table)
            if table == "people":
                rows = [(*row[:4], None, *row[5:]) for row in rows]
            insert = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
            for start in range(0, len(rows), BATCH):
                target.db.executemany(insert, rows[start:start + BATCH])
            copied[table] = len(rows)
        target.db.executemany("UPDATE people SET merged_into = ? WHERE id = ?",
                              [(p.merged_into, p.id) for p in source.people(merged=True) if p.merged_into])
        for table in NUMBERED:
            target.db.sync_ids(table)
    return copied


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {table}" for table, n in counts.items())


def describe_copy(copied: dict[str, int], source: Registry, target: Registry) -> str:
    """One line saying what `copy_registry` copied from where to where."""
    return f"copied {_counts(copied)} from {source.where} to {target.where}"
