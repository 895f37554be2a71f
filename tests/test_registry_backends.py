"""The registry on SQLite and on PostgreSQL (a throwaway cluster, tests/postgres.py): one schema
brought up to date on open, accounts and correction authors, corrections from an outdated view
refused, two analysts correcting at once, and `migrate` copying a 1,000-video registry row by row."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import psycopg
import pytest

from conftest import ROOT, free_port
from influencer_kit.errors import RegistryConflict, RegistryError
from influencer_kit.registry import corrections
from influencer_kit.registry.database import location, shown
from influencer_kit.registry.store import Registry, User

ANALYSTS, RENAMES, PEOPLE = ("ana", "ben"), 200, 5


def registry_cli(where: Path | str, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "influencer_kit.registry", "--registry", str(where), *args],
                          cwd=cwd, capture_output=True, text=True, timeout=600)


def with_people(where: Path | str, count: int) -> None:
    with Registry(where) as registry, registry.write():
        for number in range(1, count + 1):
            registry.add_person(number)


def test_an_unknown_scheme_is_refused_with_one_line(tmp_path):
    done = registry_cli("mysql://ana@db.example/people", "list", cwd=tmp_path)
    assert done.returncode == 2 and done.stderr == ("error: registry.uri: sqlite:///PATH, a file path or "
                                                    "postgresql://USER@HOST/DB, got 'mysql://ana@db.example/people'\n")
    assert list(tmp_path.iterdir()) == []  # no file named after the URI


def test_a_database_that_does_not_answer_is_one_line(tmp_path):
    uri = f"postgresql://ana@127.0.0.1:{free_port()}/people"  # nothing listens there
    done = registry_cli(uri, "list", cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.startswith(f"error: cannot open the registry at {uri}: ")
    assert len(done.stderr.splitlines()) == 1


def test_a_password_in_a_uri_is_never_shown():
    assert shown("postgresql://ana:s3cret@db.example:5432/people") == "postgresql://ana:***@db.example:5432/people"
    assert shown("postgresql://ana@db.example/people") == "postgresql://ana@db.example/people"
    assert location("sqlite:///r.db", Path("/base")) == Path("/base/r.db")
    assert location("postgresql://ana@db.example/people", Path("/base")) == "postgresql://ana@db.example/people"


def test_a_registry_made_before_numbered_migrations_is_brought_up_to_date(tmp_path):
    old = sqlite3.connect(tmp_path / "r.db")  # the schema of the registries made before migrations
    old.executescript("""
        CREATE TABLE people (id TEXT PRIMARY KEY, number INTEGER NOT NULL UNIQUE, name TEXT NOT NULL DEFAULT '',
            ignored INTEGER NOT NULL DEFAULT 0, merged_into TEXT REFERENCES people(id), created REAL NOT NULL);
        CREATE TABLE corrections (id INTEGER PRIMARY KEY, time REAL NOT NULL, action TEXT NOT NULL,
            args TEXT NOT NULL, applied_runs INTEGER NOT NULL DEFAULT 0);
        INSERT INTO people VALUES ('influencer_001', 1, 'Ann', 0, NULL, 1.5);
        INSERT INTO corrections VALUES (1, 2.5, 'rename', '{"person": "influencer_001", "name": "Ann", "was": ""}', 3);
    """)
    old.commit()
    old.close()
    with Registry(tmp_path / "r.db") as registry:
        assert [(c.id, c.action, c.applied_runs, c.author) for c in registry.corrections()] == [(1, "rename", 3, "")]
        assert registry.person("influencer_001").name == "Ann"
        assert registry.users() == [] and registry.creative_links() == {}
        assert [v for v, in registry.db.execute("SELECT version FROM schema_version ORDER BY version")] == [1, 2, 3]
    with Registry(tmp_path / "r.db") as registry:  # opened again: nothing more to apply
        assert [v for v, in registry.db.execute("SELECT version FROM schema_version ORDER BY version")] == [1, 2, 3]


def test_opening_a_registry_never_waits_for_a_writer(registry_location):
    """A page of the review app opens the registry while a run holds it for writing."""
    Registry(registry_location).__exit__()

    def read() -> list:
        with Registry(registry_location) as reader:
            return reader.people()
    with Registry(registry_location) as writer, writer.write(), ThreadPoolExecutor(1) as pool:
        writer.add_person(1)
        assert pool.submit(read).result(timeout=60) == []  # at once, without the uncommitted person


def test_a_registry_of_a_newer_schema_is_refused(registry_location):
    with Registry(registry_location) as registry, registry.write():
        registry.db.execute("INSERT INTO schema_version (version, applied) VALUES (9, 0)")
    with pytest.raises(RegistryError, match="schema version 9, newer than this influencer-kit knows "
                                            r"\(3\): upgrade influencer-kit"):
        Registry(registry_location)


def test_accounts_and_who_made_each_correction(registry_location):
    with_people(registry_location, 2)
    with Registry(registry_location) as registry, registry.write():
        registry.add_user("ben", "hash-b", "viewer")
        registry.add_user("ana", "hash-a", "editor")
        corrections.rename(registry, "influencer_001", "Maya", author="ana")
        corrections.different(registry, "influencer_001", "influencer_002")
    with Registry(registry_location) as registry:
        assert registry.users() == [User("ana", "hash-a", "editor"), User("ben", "hash-b", "viewer")]
        assert registry.user("ana") == User("ana", "hash-a", "editor") and registry.user("cy") is None
        assert [(c.action, c.author) for c in registry.corrections()] == [("rename", "ana"), ("different", "")]
        with pytest.raises(RegistryError, match="there is a user 'ana' already"), registry.write():
            registry.add_user("ana", "other", "viewer")
    history = registry_cli(registry_location, "history").stdout.splitlines()
    assert [line[21:] for line in history] == [
        'rename influencer_001 to "Maya" (was "")  by ana  (runs since: 0)',
        "influencer_001 and influencer_002 are different people  (runs since: 0)"]


def test_a_correction_from_an_outdated_view_is_refused(registry_location, tmp_path):
    with_people(registry_location, 2)
    assert registry_cli(registry_location, "--seen", "0", "rename", "influencer_001", "Maya").returncode == 0
    stale = registry_cli(registry_location, "--seen", "0", "rename", "influencer_001", "Mia")
    assert stale.returncode == 2 and stale.stderr == (
        "error: someone changed the registry since you looked (newest correction: #1, rename; you saw #0); "
        "nothing was changed: look again, then make the correction again\n")
    assert registry_cli(registry_location, "--seen", "1", "ignore", "influencer_002").returncode == 0
    assert registry_cli(registry_location, "export", str(tmp_path / "people.xlsx")).returncode == 0
    stale_book = registry_cli(registry_location, "--seen", "1", "import", str(tmp_path / "people.xlsx"))
    assert stale_book.returncode == 2 and "(newest correction: #2, ignore; you saw #1)" in stale_book.stderr
    with Registry(registry_location) as registry:
        assert [p.name for p in registry.people()] == ["Maya", ""] and registry.person("influencer_002").ignored
        with pytest.raises(RegistryConflict), registry.write():
            registry.check_version(1)


def test_two_analysts_correcting_at_once_lose_nothing_and_repeat_nothing(registry_location, tmp_path):
    """Two processes, 200 renames each, on one registry: each rename made from the name its analyst
    saw (else refused and redone from a fresh look), none lost, none made twice."""
    with_people(registry_location, PEOPLE)
    go = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, str(ROOT / "tests" / "support" / "analyst.py"), str(registry_location),
                               name, str(RENAMES), str(go), str(tmp_path / f"{name}.json")],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for name in ANALYSTS]
    for proc in procs:
        assert proc.stdout.readline() == "ready\n", proc.stderr.read()
    go.touch()
    for proc in procs:
        assert proc.wait(timeout=600) == 0, proc.stderr.read()
    with Registry(registry_location) as registry:
        log = registry.corrections()
        names = {p.id: p.name for p in registry.people()}
    assert len(log) == 2 * RENAMES and {c.action for c in log} == {"rename"}
    made = sorted((c.author, c.args["name"]) for c in log)
    assert made == sorted((name, f"{name}-{k}") for name in ANALYSTS for k in range(RENAMES))  # each once
    for name in ANALYSTS:  # every rename replaced exactly the name its analyst saw
        seen = json.loads((tmp_path / f"{name}.json").read_text())["seen"]
        logged = {int(c.args["name"].split("-")[1]): c.args["was"] for c in log if c.author == name}
        assert [logged[k] for k in range(RENAMES)] == seen
    last: dict[str, str] = {}
    for c in log:  # in the order made, each rename starts from the one before it: nothing lost
        assert c.args["was"] == last.get(c.args["person"], "")
        last[c.args["person"]] = c.args["name"]
    assert names == last and len(names) == PEOPLE


# migrate: the registry of a 1,000-video run, copied into PostgreSQL
VIDEOS, PEOPLE_SEEN, PER_VIDEO = 1000, 250, 3
COLUMNS = {  # every table and column, in the order its rows are compared
    "people": "id, number, name, ignored, merged_into, created ORDER BY number",
    "faces": "id, person, video, frame, box, crop_box, jpeg, added ORDER BY id",
    "embedders": "key, config ORDER BY key",
    "embeddings": "face, embedder_key, vector ORDER BY face, embedder_key",
    "corrections": "id, time, action, args, applied_runs, author ORDER BY id",
    "different_people": "a, b, correction ORDER BY a, b",
    "users": "name, password_hash, role, created ORDER BY name",
}


def thousand_video_registry(path: Path) -> None:
    """What a 1,000-video run leaves (250 people, 3 appearances a video, a reference face and a
    128-number embedding each, a second embedder for 500 faces), then 75 corrections of every kind
    and two accounts."""
    rng = np.random.default_rng(7)
    with Registry(path) as registry, registry.write():
        for number in range(1, PEOPLE_SEEN + 1):
            registry.add_person(number)
        registry.add_embedder("dlib", {"name": "dlib"})
        registry.add_embedder("facenet", {"name": "facenet"})
        for video in range(VIDEOS):
            for slot in range(PER_VIDEO):
                person = f"influencer_{rng.integers(1, PEOPLE_SEEN + 1):03d}"
                face = registry.add_face(person, f"{video:064x}", 10 * slot, (slot, 2, 40, 40), (10, 10, 40, 40),
                                         rng.bytes(600))
                registry.add_embedding(face, "dlib", rng.normal(size=128))
                if face <= 500:
                    registry.add_embedding(face, "facenet", rng.normal(size=512))
        for n in range(1, 31):
            corrections.rename(registry, f"influencer_{n:03d}", f"Person {n} ✓", author="ana")
        for n in range(31, 51, 2):
            corrections.merge(registry, f"influencer_{n:03d}", f"influencer_{n + 1:03d}", author="ben")
        for n in range(51, 56):
            corrections.split(registry, f"influencer_{n:03d}", faces=[registry.faces(f"influencer_{n:03d}")[0].id])
        for n in range(61, 71):
            corrections.ignore(registry, f"influencer_{n:03d}")
        for n in range(71, 91, 2):
            corrections.different(registry, f"influencer_{n:03d}", f"influencer_{n + 1:03d}", author="ana")
        for n in range(91, 96):
            corrections.confirm(registry, f"influencer_{n:03d}", f"{n:064x}")
        for n in (1, 2, 31, 46, 56):  # two renames, a merge, an ignore and a "different" undone
            corrections.undo(registry, n, author="ben")
        registry.add_user("ana", "argon2-hash-a", "editor")
        registry.add_user("ben", "argon2-hash-b", "viewer")
        registry.count_run()


def test_migrate_copies_a_1000_video_registry_row_by_row(postgres, tmp_path):
    thousand_video_registry(tmp_path / "registry.db")
    target = postgres.database()
    done = registry_cli(tmp_path / "registry.db", "migrate", "--to", target)
    assert done.returncode == 0, done.stderr
    assert done.stdout == (f"copied 255 people, 3000 faces, 2 embedders, 3500 embeddings, 75 corrections, "
                           f"9 different_people, 2 users, 0 creative_links from {tmp_path / 'registry.db'} to {target}\n")
    source = sqlite3.connect(tmp_path / "registry.db")
    with psycopg.connect(target) as copy:
        for table, columns in COLUMNS.items():
            select = f"SELECT {columns.replace(' ORDER BY', f' FROM {table} ORDER BY')}"
            assert [tuple(row) for row in copy.execute(select)] == source.execute(select).fetchall(), table
    with Registry(target) as registry:  # the copy goes on numbering where the file stopped
        assert registry.person("influencer_034").id == "influencer_033"
        assert len(registry.different()) == 9 and registry.person("influencer_062").ignored
        with registry.write():
            corrections.rename(registry, "influencer_100", "Zed")
            assert registry.last_correction() == 76
            assert registry.add_face("influencer_100", "new", 0, (0, 0, 1, 1), (0, 0, 1, 1), b"j") == 3001
    again = registry_cli(tmp_path / "registry.db", "migrate", "--to", target)
    assert again.returncode == 2 and again.stderr.startswith(
        "error: the registry at postgresql://postgres@127.0.0.1:")
    assert again.stderr.endswith("is not empty (255 people, 3001 faces, 2 embedders, 3500 embeddings, "
                                 "76 corrections, 9 different_people, 2 users): migrate copies into a new, "
                                 "empty registry\n")
