"""A throwaway PostgreSQL cluster (initdb in a temp dir, its own port) that a test may stop and
start at will, without touching the shared server on 5432."""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.reliability.support import free_port


def pg_bin(tool: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"))
    return found[-1] if found else shutil.which(tool)


@dataclass
class Cluster:
    directory: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = list(args)
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            pg_ctl(),
            "-D",
            str(self.directory / "data"),
            "-o",
            options,
            "-l",
            str(self.directory / "server.log"),
            "-w",
            "start",
        )

    def stop(self) -> None:
        self._run(pg_ctl(), "-D", str(self.directory / "data"), "-m", "fast", "-w", "stop")


def pg_ctl() -> str:
    path = pg_bin("pg_ctl")
    assert path is not None
    return path


@contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    initdb = pg_bin("initdb")
    assert initdb is not None, "initdb not found under /usr/lib/postgresql/*/bin"
    directory = Path(tempfile.mkdtemp(prefix="aftersales-pg-"))
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(directory, user.pw_uid, user.pw_gid)
    cluster = Cluster(directory, free_port())
    try:
        cluster._run(initdb, "-D", str(directory / "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        cluster.start()
        yield cluster
    finally:
        try:
            cluster.stop()
        except subprocess.CalledProcessError:
            pass  # already stopped by the test
        shutil.rmtree(directory, ignore_errors=True)
