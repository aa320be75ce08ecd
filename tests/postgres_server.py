"""A throw-away PostgreSQL server for the tests, started from the machine's own binaries.

``initdb`` refuses to run as root, so as root the server runs as the ``postgres`` system user.
It listens on 127.0.0.1 only, on a free port, with its socket in its own folder.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    pass


def _bindir() -> Path:
    candidates = []
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        candidates.append(Path(out.stdout.strip()))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for path in candidates:
        if (path / "initdb").exists() and (path / "pg_ctl").exists():
            return path
    raise PostgresUnavailable("initdb/pg_ctl not found (is PostgreSQL installed?)")


def _scratch_folder() -> str | None:
    """Memory-backed /dev/shm when it has room: the suite clones a database per test (GBs
    written, and removing them took 18 s on a disk); else the usual temporary folder."""
    shm = Path("/dev/shm")
    try:
        stats = os.statvfs(shm)
    except OSError:
        return None
    room = stats.f_bavail * stats.f_frsize
    return str(shm) if room > 8 * 2**30 and os.access(shm, os.W_OK) else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PostgresServer:
    base: Path
    port: int
    as_user: list[str]
    bindir: Path

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def database_url(self, name: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    @classmethod
    def start(cls) -> PostgresServer:
        bindir = _bindir()
        base = Path(tempfile.mkdtemp(prefix="hhb-pg-", dir=_scratch_folder()))
        as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(base, "postgres", "postgres")
            as_user = ["runuser", "-u", "postgres", "--"]
        data, sockets = base / "data", base / "sock"
        server = cls(base, _free_port(), as_user, bindir)
        server._run(["mkdir", "-p", str(sockets)])
        server._run([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                     "-E", "UTF8", "--locale=C.UTF-8", "-N"])
        options = (f"-h 127.0.0.1 -p {server.port} -k {sockets} -F "
                   "-c fsync=off -c full_page_writes=off -c synchronous_commit=off "
                   "-c max_connections=200")
        server._run([str(bindir / "pg_ctl"), "-D", str(data), "-o", options,
                     "-l", str(base / "server.log"), "-w", "-t", "60", "start"])
        return server

    def stop(self) -> None:
        subprocess.run(
            [*self.as_user, str(self.bindir / "pg_ctl"), "-D", str(self.base / "data"),
             "-m", "immediate", "-w", "stop"],
            capture_output=True,
        )
        shutil.rmtree(self.base, ignore_errors=True)

    def _run(self, args: list[str]) -> None:
        done = subprocess.run([*self.as_user, *args], capture_output=True, text=True)
        if done.returncode != 0:
            log = self.base / "server.log"
            detail = log.read_text() if log.exists() else ""
            raise PostgresUnavailable(
                f"{' '.join(args[:1])} failed: {done.stderr.strip()} {detail.strip()}"
            )
