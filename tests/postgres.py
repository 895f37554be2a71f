"""A throwaway PostgreSQL cluster for the tests: Debian's `initdb` and `pg_ctl` (package
`postgresql`, which `.ci/run` installs), a data folder in a fresh temporary folder, the server on
127.0.0.1 at a free port with its unix socket in that folder, and every database made for a test
dropped with the cluster at the end. PostgreSQL refuses to run as root, so as root the cluster
belongs to the `postgres` user the package creates and its commands run through `runuser`."""
from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

SERVER_USER = "postgres"  # the Debian package's user, for running the cluster as root
SUPERUSER = "postgres"  # the cluster's own superuser, trusted from 127.0.0.1


def binaries() -> Path | None:
    """The newest installed PostgreSQL's bin folder (Debian: /usr/lib/postgresql/N/bin), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A running throwaway cluster; `database()` makes a new empty database and returns its URI."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.folder = Path(tempfile.mkdtemp(prefix="ik-postgres-"))
        self.data, self.port = self.folder / "data", free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.folder, SERVER_USER)
        self.names = itertools.count(1)
        self.run("initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--no-sync")
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        self.run("pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data), "-l", str(self.folder / "log"),
                 "-o", options)

    def run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if self.as_root:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            log = self.folder / "log"
            raise RuntimeError(f"{program} failed: {done.stderr.strip()} {log.read_text() if log.exists() else ''}")

    def uri(self, database: str = "postgres", driver: str = "postgresql") -> str:
        return f"{driver}://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def database(self, prefix: str = "registry") -> str:
        """A new empty database's URI."""
        import psycopg

        name = f"{prefix}_{next(self.names)}"
        with psycopg.connect(self.uri(), autocommit=True) as db:
            db.execute(f"CREATE DATABASE {name}")
        return self.uri(name)

    def stop(self) -> None:
        try:
            self.run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
