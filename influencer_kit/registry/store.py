"""The registry's storage: one database, a SQLite file by default or PostgreSQL for a team
(`database.py`), that several runs, command lines and review apps may use at once. Its schema and
migrations are in `schema.py`.

Tables:
- `people`: one row per person ever given an id: `id` (`influencer_004`), its `number`, the display
  `name` ('' for none), `ignored` (marked not an influencer), `merged_into` (the id that now
  stands for a person merged away; the id itself is never reused), `created`.
- `faces`: the reference faces, one per appearance a run assigned: the `person`, where it was
  seen (`video` sha256, `frame`, `box` in the frame), the face crop `jpeg` and the face's `crop_box`
  inside that crop (enough to embed the crop again with another embedder).
- `embeddings`: a face's embedding per embedder config (`embedder_key`); embeddings of different
  models or settings are never compared. `embedders` keeps each key's config, for messages.
- `corrections`: the log of every rename, merge, split, ignore, "different people", close-call
  confirmation and undo, with its `author` (the review app's account; '' from the command line)
  and `applied_runs`, the number of runs that have worked with the correction in effect.
- `different_people`: pairs of people a reviewer said are not one person (`a` < `b`, the ids at the
  time, followed through later merges), with the correction that said so; runs never merge them.
- `users`: the review app's accounts: `name`, `password_hash`, `role` (editor or viewer).
- `creative_links`: pairs of videos (sha256, `a` < `b`) a reviewer said are one creative (`same`
  1: joined) or different creatives (`same` 0: split apart), with the correction that said so;
  runs group videos into creatives after these (`creatives/grouping.py`).

Every change happens inside `write()`, a transaction that holds the registry's write lock from its
start, so two writers queue (for up to `database.BUSY_TIMEOUT_S`) instead of reading the same state and both
adding the same person. The newest correction's id is the registry's version: a correction made
from what someone saw at an older version is refused (`check_version`, `RegistryConflict`).
"""
from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from influencer_kit.errors import RegistryConflict, RegistryError
from influencer_kit.people.grouping import person_id
from influencer_kit.registry.database import Location, connect, shown
from influencer_kit.registry.schema import TABLES, is_current, upgrade

ROLES = ("editor", "viewer")


Box = tuple[int, int, int, int]  # x, y, width, height


@dataclass
class Person:
    id: str
    number: int
    name: str
    ignored: bool
    merged_into: str | None
    created: float


@dataclass
class ReferenceFace:
    """One reference face: who it is, where it was seen, and its crop."""

    id: int
    person: str
    video: str
    frame: int
    box: Box
    crop_box: Box
    jpeg: bytes


@dataclass
class Correction:
    id: int
    time: float
    action: str
    args: dict
    applied_runs: int
    author: str  # who made it: a review-app account, '' for the command line


@dataclass(frozen=True)
class User:
    """A review-app account."""

    name: str
    password_hash: str
    role: str  # editor or viewer


def _box(text: str) -> Box:
    x, y, w, h = (int(v) for v in text.split(","))
    return x, y, w, h


def _person(row: tuple) -> Person:
    return Person(row[0], row[1], row[2], bool(row[3]), row[4], row[5])


def _face(row: tuple) -> ReferenceFace:
    return ReferenceFace(row[0], row[1], row[2], row[3], _box(row[4]), _box(row[5]), row[6])


PERSON_COLUMNS = "id, number, name, ignored, merged_into, created"
FACE_COLUMNS = "id, person, video, frame, box, crop_box, jpeg"


class Registry:
    """One open registry (a SQLite file's path, or a postgresql:// URI), its schema brought up to
    date; use as a context manager, and `write()` around every change."""

    def __init__(self, path: Location) -> None:
        self.path = path
        self.db = connect(path)
        try:
            if not is_current(self.db):
                with self.write():
                    upgrade(self.db)
        except BaseException:
            self.db.close()
            raise

    @property
    def where(self) -> str:
        """The registry's file, or its URI without a password, for messages."""
        return shown(self.path)

    def __enter__(self) -> "Registry":
        return self

    def __exit__(self, *exc: object) -> None:
        self.db.close()

    @contextmanager
    def write(self) -> Iterator[None]:
        """One transaction holding the write lock from its start: whatever it reads stays true
        until it commits; on an exception nothing of it is kept."""
        self.db.begin()
        try:
            yield
        except BaseException:
            self.db.rollback()
            raise
        self.db.commit()

    # people
    def people(self, merged: bool = False) -> list[Person]:
        """Everyone with an id, by number; people merged into someone else only when `merged`."""
        where = "" if merged else "WHERE merged_into IS NULL"
        return [_person(r) for r in self.db.execute(f"SELECT {PERSON_COLUMNS} FROM people {where} ORDER BY number")]

    def person(self, pid: str) -> Person:
        """The person an id stands for now (following merges)."""
        row = self.db.execute(f"SELECT {PERSON_COLUMNS} FROM people WHERE id = ?", (pid,)).fetchone()
        if row is None:
            raise RegistryError(f"no person {pid!r} in the registry {self.where}; "
                                f"`python -m influencer_kit.registry list` shows who is there")
        found = _person(row)
        return self.person(found.merged_into) if found.merged_into else found

    def next_number(self) -> int:
        return int(self.db.execute("SELECT COALESCE(MAX(number), 0) + 1 FROM people").fetchone()[0])

    def add_person(self, number: int, name: str = "") -> str:
        pid = person_id(number)
        self.db.execute("INSERT INTO people (id, number, name, created) VALUES (?, ?, ?, ?)",
                        (pid, number, name, time.time()))
        return pid

    def update_person(self, pid: str, **values: object) -> None:
        """Set `name`, `ignored` or `merged_into` of one person."""
        assert set(values) <= {"name", "ignored", "merged_into"}, values
        assignments = ", ".join(f"{column} = ?" for column in values)
        self.db.execute(f"UPDATE people SET {assignments} WHERE id = ?", (*values.values(), pid))

    # reference faces and their embeddings
    def faces(self, person: str | None = None) -> list[ReferenceFace]:
        """Reference faces (of one person, or everyone's), oldest first."""
        if person is None:
            rows = self.db.execute(f"SELECT {FACE_COLUMNS} FROM faces ORDER BY id")
        else:
            rows = self.db.execute(f"SELECT {FACE_COLUMNS} FROM faces WHERE person = ? ORDER BY id", (person,))
        return [_face(r) for r in rows]

    def add_face(self, person: str, video: str, frame: int, box: Box, crop_box: Box, jpeg: bytes) -> int:
        """Store a reference face, unless that face (video, frame, box) is stored already; its id."""
        box_text = ",".join(map(str, box))
        self.db.execute(
            "INSERT INTO faces (person, video, frame, box, crop_box, jpeg, added) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING", (person, video, frame, box_text, ",".join(map(str, crop_box)), jpeg, time.time()))
        return int(self.db.execute("SELECT id FROM faces WHERE video = ? AND frame = ? AND box = ?",
                                   (video, frame, box_text)).fetchone()[0])

    def face_owner(self, face: int) -> str:
        return self.db.execute("SELECT person FROM faces WHERE id = ?", (face,)).fetchone()[0]

    def face(self, face: int) -> ReferenceFace | None:
        """One reference face by its id, or None."""
        row = self.db.execute(f"SELECT {FACE_COLUMNS} FROM faces WHERE id = ?", (face,)).fetchone()
        return _face(row) if row else None

    def owners_by_place(self) -> dict[tuple[str, int, Box], str]:
        """Who each stored face is, by where it was seen: (video, frame, box) -> person id."""
        rows = self.db.execute("SELECT video, frame, box, person FROM faces")
        return {(video, frame, _box(box)): person for video, frame, box, person in rows}

    def move_faces(self, face_ids: list[int], person: str) -> None:
        self.db.executemany("UPDATE faces SET person = ? WHERE id = ?", [(person, f) for f in face_ids])

    def add_embedding(self, face: int, embedder_key: str, vector: np.ndarray) -> None:
        self.db.execute("INSERT INTO embeddings (face, embedder_key, vector) VALUES (?, ?, ?) "
                        "ON CONFLICT DO NOTHING", (face, embedder_key, np.asarray(vector, dtype=np.float32).tobytes()))

    def references(self, embedder_key: str) -> tuple[list[str], np.ndarray]:
        """The person of each reference embedding made with that embedder, and the embeddings."""
        rows = self.db.execute(
            "SELECT f.person, e.vector FROM faces f JOIN embeddings e ON e.face = f.id "
            "WHERE e.embedder_key = ? ORDER BY f.id", (embedder_key,)).fetchall()
        if not rows:
            return [], np.zeros((0, 0), dtype=np.float32)
        return [r[0] for r in rows], np.stack([np.frombuffer(r[1], dtype=np.float32) for r in rows])

    def reference_ids(self, embedder_key: str) -> list[int]:
        """The face id of each embedding `references` returns, in its order."""
        rows = self.db.execute("SELECT f.id FROM faces f JOIN embeddings e ON e.face = f.id "
                               "WHERE e.embedder_key = ? ORDER BY f.id", (embedder_key,))
        return [r[0] for r in rows]

    def faces_without(self, embedder_key: str) -> list[ReferenceFace]:
        """Reference faces that have no embedding from that embedder yet."""
        rows = self.db.execute(
            f"SELECT {FACE_COLUMNS} FROM faces WHERE id NOT IN "
            "(SELECT face FROM embeddings WHERE embedder_key = ?) ORDER BY id", (embedder_key,))
        return [_face(r) for r in rows]

    def embedder_keys(self) -> dict[str, int]:
        """Each embedder key the registry holds embeddings of, with how many."""
        return dict(self.db.execute("SELECT embedder_key, COUNT(*) FROM embeddings GROUP BY embedder_key"))

    def embedder_config(self, embedder_key: str) -> dict | None:
        row = self.db.execute("SELECT config FROM embedders WHERE key = ?", (embedder_key,)).fetchone()
        return json.loads(row[0]) if row else None

    def add_embedder(self, embedder_key: str, config: dict) -> None:
        self.db.execute("INSERT INTO embedders (key, config) VALUES (?, ?) ON CONFLICT DO NOTHING",
                        (embedder_key, json.dumps(config, sort_keys=True)))

    # the corrections log
    def log_correction(self, action: str, args: dict, author: str = "") -> int:
        """Log a correction made by `author`; its id."""
        cursor = self.db.execute("INSERT INTO corrections (time, action, args, author) VALUES (?, ?, ?, ?) "
                                 "RETURNING id", (time.time(), action, json.dumps(args), author))
        return int(cursor.fetchone()[0])

    def last_correction(self) -> int:
        """The id of the newest correction (0 with none): the registry's version, which every
        correction changes."""
        return int(self.db.execute("SELECT COALESCE(MAX(id), 0) FROM corrections").fetchone()[0])

    def check_version(self, seen: int | None) -> None:
        """Inside the correction's transaction: raise `RegistryConflict` unless the registry is still
        at version `seen` (what the page or command was based on), so a correction is never applied
        to a registry someone changed since. None: no version was given, nothing to check."""
        if seen is None:
            return
        now = self.last_correction()
        if seen != now:
            newest = self.db.execute("SELECT id, action FROM corrections WHERE id = ?", (now,)).fetchone()
            raise RegistryConflict(seen, f"#{newest[0]}, {newest[1]}" if newest else "none")

    # people a reviewer said are different
    def add_different(self, a: str, b: str, correction: int) -> None:
        self.db.execute("INSERT INTO different_people (a, b, correction) VALUES (?, ?, ?) "
                        "ON CONFLICT (a, b) DO UPDATE SET correction = excluded.correction",
                        (*sorted((a, b)), correction))

    def remove_different(self, a: str, b: str) -> None:
        self.db.execute("DELETE FROM different_people WHERE a = ? AND b = ?", tuple(sorted((a, b))))

    def different(self) -> dict[frozenset[str], int]:
        """Pairs of people said to be different, as they stand now (ids followed through merges),
        each with the correction that said so."""
        rows = self.db.execute("SELECT a, b, correction FROM different_people").fetchall()
        return {frozenset((self.person(a).id, self.person(b).id)): correction for a, b, correction in rows}

    # videos a reviewer said are one creative, or different ones
    def link_videos(self, pairs: list[tuple[str, str]], same: bool, correction: int) -> None:
        """Say each pair of videos (sha256) is one creative (`same`) or two; a later say replaces one before."""
        self.db.executemany("INSERT INTO creative_links (a, b, same, correction) VALUES (?, ?, ?, ?) ON CONFLICT (a, b) "
                            "DO UPDATE SET same = excluded.same, correction = excluded.correction",
                            [(*sorted(pair), int(same), correction) for pair in pairs])

    def unlink_videos(self, correction: int) -> None:
        """Forget what one correction said about videos (its undo)."""
        self.db.execute("DELETE FROM creative_links WHERE correction = ?", (correction,))

    def creative_links(self) -> dict[tuple[str, str], bool]:
        """Every pair of videos (sha256, in order) said to be one creative (True) or two (False)."""
        return {(a, b): bool(same) for a, b, same in self.db.execute("SELECT a, b, same FROM creative_links")}

    def corrections(self) -> list[Correction]:
        rows = self.db.execute("SELECT id, time, action, args, applied_runs, author FROM corrections ORDER BY id")
        return [Correction(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5]) for r in rows]

    def count_run(self) -> list[Correction]:
        """Record that a run worked with every correction in effect; the ones no run had yet."""
        new = [c for c in self.corrections() if c.applied_runs == 0]
        self.db.execute("UPDATE corrections SET applied_runs = applied_runs + 1")
        return new

    # the review app's accounts
    def add_user(self, name: str, password_hash: str, role: str) -> None:
        """A new account; `RegistryError` if the name is taken or the role unknown."""
        if role not in ROLES:
            raise RegistryError(f"role {role!r}: editor or viewer")
        if self.user(name) is not None:
            raise RegistryError(f"there is a user {name!r} already in {shown(self.path)}")
        self.db.execute("INSERT INTO users (name, password_hash, role, created) VALUES (?, ?, ?, ?)",
                        (name, password_hash, role, time.time()))

    def user(self, name: str) -> User | None:
        row = self.db.execute("SELECT name, password_hash, role FROM users WHERE name = ?", (name,)).fetchone()
        return User(*row) if row else None

    def users(self) -> list[User]:
        return [User(*r) for r in self.db.execute("SELECT name, password_hash, role FROM users ORDER BY name")]

    def remove_user(self, name: str) -> None:
        """Delete an account; `RegistryError` when there is none of that name."""
        if self.user(name) is None:
            raise RegistryError(f"no user {name!r} in {shown(self.path)}")
        self.db.execute("DELETE FROM users WHERE name = ?", (name,))

    # whole tables, for copying a registry (`migrate`) and comparing two
    def rows(self, table: str) -> list[tuple]:
        """Every row of one table (`schema.TABLES`), its columns in that order, in key order."""
        columns, order = TABLES[table]
        return [tuple(row) for row in self.db.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}")]
