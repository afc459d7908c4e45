"""Sites of their own for the fault tests: real ``duban`` processes, killed for real.

A site is a ``DUBAN_HOME`` folder and a database nobody else uses: a copy of a migrated
SQLite file, or on PostgreSQL (when the suite runs with ``DUBAN_DATABASE_URL``) a database
created from a migrated template on the same server. Migrating once per session and
copying keeps each test to a few seconds.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

DUBAN = [sys.executable, "-m", "duban"]
SITECTL = [sys.executable, "-m", "duban.tests_faults.sitectl"]


def base_env(home: Path, database_url: str | None) -> dict[str, str]:
    """The environment of a site's processes: ours, minus settings meant for the suite."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_")}
    env.update(
        DUBAN_HOME=str(home),
        DUBAN_SECRET_KEY="fault-tests",
        DUBAN_REQUIRE_2FA="false",
        DUBAN_PASSWORD_MAX_AGE_DAYS="0",
        # A killed worker's job is taken over after a second, not after half an hour.
        DUBAN_JOB_LEASE_SECONDS="1",
        DUBAN_JOB_BACKOFF_SECONDS="1",
    )
    if database_url:
        env["DUBAN_DATABASE_URL"] = database_url
    return env


def postgres_url() -> str | None:
    """The suite's PostgreSQL, or None when it runs on SQLite."""
    url = os.environ.get("DUBAN_DATABASE_URL", "").strip()
    return url if url.startswith(("postgres://", "postgresql://")) else None


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def pg_admin(url: str, *statements: str) -> None:
    """Run statements outside a transaction on the server of ``url`` (CREATE/DROP DATABASE)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for sql in statements:
            conn.execute(sql)


@dataclass
class Template:
    """A migrated database to copy: a SQLite file or a PostgreSQL database name."""

    sqlite_file: Path | None = None
    pg_url: str | None = None
    pg_name: str = ""

    @classmethod
    def create(cls, folder: Path) -> Template:
        pg = postgres_url()
        if pg is None:
            home = folder / "template-home"
            run([*DUBAN, "migrate"], base_env(home, None))
            return cls(sqlite_file=home / "duban.sqlite3")
        name = f"{urlsplit(pg).path.lstrip('/')}_faults_tpl_{os.getpid()}"
        pg_admin(pg, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
        run([*DUBAN, "migrate"], base_env(folder / "template-home", with_database(pg, name)))
        return cls(pg_url=pg, pg_name=name)

    def drop(self) -> None:
        if self.pg_url:
            pg_admin(self.pg_url, f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')


@dataclass
class Site:
    home: Path
    env: dict[str, str]
    markers: Path
    pg_url: str | None = None
    pg_name: str = ""
    processes: list[subprocess.Popen] = field(default_factory=list)

    @classmethod
    def create(cls, folder: Path, template: Template) -> Site:
        home = folder / "home"
        home.mkdir(mode=0o700, parents=True)
        markers = folder / "markers"
        markers.mkdir()
        if template.sqlite_file is not None:
            shutil.copyfile(template.sqlite_file, home / "duban.sqlite3")
            site = cls(home, base_env(home, None), markers)
        else:
            assert template.pg_url
            name = f"{template.pg_name}_{uuid.uuid4().hex[:8]}"
            pg_admin(template.pg_url, f'CREATE DATABASE "{name}" TEMPLATE "{template.pg_name}"')
            url = with_database(template.pg_url, name)
            site = cls(home, base_env(home, url), markers, template.pg_url, name)
        site.env["DUBAN_FAULT_DIR"] = str(markers)
        return site

    @property
    def media(self) -> Path:
        return self.home / "media"

    def duban(self, *args: str, check: bool = True, **extra: str) -> subprocess.CompletedProcess:
        return run(DUBAN + list(args), {**self.env, **extra}, check=check)

    def ctl(self, *args: str) -> Any:
        done = run(SITECTL + list(args), self.env)
        return json.loads(done.stdout.strip().splitlines()[-1])

    def start(self, *args: str, **extra: str) -> subprocess.Popen:
        """Start ``duban ARGS`` in a process group of its own (so a kill reaches all of it)."""
        log = (self.home / f"{args[0]}-{len(self.processes)}.log").open("w")
        proc = subprocess.Popen(
            DUBAN + list(args),
            env={**self.env, **extra},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(proc)
        return proc

    def wait_for_point(self, name: str, proc: subprocess.Popen, timeout: float = 40) -> int:
        """Wait until a process reaches fault point ``name``; return that process's pid."""
        marker = self.markers / f"{name}.reached"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if marker.exists() and marker.read_text().strip():
                return int(marker.read_text())
            if proc.poll() is not None:
                raise AssertionError(f"{proc.args} ended ({proc.returncode}) before {name}")
            time.sleep(0.05)
        raise AssertionError(f"{proc.args} did not reach {name} in {timeout} s")

    def close(self) -> None:
        for proc in self.processes:
            if proc.poll() is None:
                kill9(proc)
        if self.pg_url:
            pg_admin(self.pg_url, f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')


def run(cmd: list[str], env: dict[str, str], *, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    if check and done.returncode != 0:
        raise AssertionError(f"{cmd} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done


def kill9(proc: subprocess.Popen) -> None:
    """SIGKILL to the process and every process of its group (gunicorn's workers)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=10)


def wait_until(check: Any, timeout: float, what: str) -> Any:
    """Poll ``check()`` until it returns something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def request(
    port: int,
    method: str,
    path: str,
    *,
    fields: dict[str, str] | None = None,
    files: dict[str, tuple[str, bytes]] | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request to 127.0.0.1:port, multipart when fields or files are given."""
    import http.client

    body = b""
    sent = dict(headers or {})
    if fields is not None or files is not None:
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in (fields or {}).items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                + value.encode()
                + b"\r\n"
            )
        for name, (filename, data) in (files or {}).items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
                + data
                + b"\r\n"
            )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        sent["Content-Type"] = f"multipart/form-data; boundary={boundary}"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body or None, headers=sent)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def wait_for_http(port: int, proc: subprocess.Popen, timeout: float = 40) -> None:
    """Wait until ``duban serve`` on ``port`` answers /healthz with 200."""

    def up() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"the server ended ({proc.returncode}) before answering")
        try:
            return request(port, "GET", "/healthz", timeout=5)[0] == 200
        except OSError:
            return False

    wait_until(up, timeout, f"the server on port {port}")


class Cluster:
    """A throwaway PostgreSQL cluster in a temporary folder, on a free loopback port.

    The fault test stops and starts it under load, which it may not do to the suite's
    shared server. Run as the ``postgres`` account when we are root (PostgreSQL refuses
    to run as root), as ourselves otherwise.
    """

    def __init__(self) -> None:
        import glob
        import tempfile

        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not found and shutil.which("initdb"):
            found = [shutil.which("initdb") or ""]
        if not found:
            raise AssertionError(
                "PostgreSQL's server programs (initdb, pg_ctl) are missing: install the "
                "Debian package 'postgresql' (.ci/run does); this test never skips on PostgreSQL"
            )
        self.bin = Path(found[-1]).parent
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="duban-faults-pg-"))
        self.data = self.dir / "data"
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self._as_owner(
            [
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-A",
                "trust",
                "-U",
                "duban",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ]
        )
        self.start()
        self._as_owner(
            [
                str(self.bin / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "duban",
                "duban",
            ]
        )

    @property
    def url(self) -> str:
        return f"postgres://duban@127.0.0.1:{self.port}/duban"

    def _as_owner(self, cmd: list[str]) -> None:
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd="/")
        if done.returncode != 0:
            raise AssertionError(f"{cmd} failed:\n{done.stdout[-1500:]}\n{done.stderr[-1500:]}")

    def _pg_ctl(self, *args: str) -> None:
        self._as_owner([str(self.bin / "pg_ctl"), "-D", str(self.data), *args])

    def start(self) -> None:
        options = f"-h 127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off"
        self._pg_ctl("-w", "-t", "60", "-l", str(self.dir / "server.log"), "-o", options, "start")

    def stop(self) -> None:
        """Stop as an administrator would for a restart: connections are closed at once."""
        self._pg_ctl("-w", "-m", "fast", "stop")

    def destroy(self) -> None:
        try:
            self._pg_ctl("-m", "immediate", "stop")
        except AssertionError:
            pass  # already stopped
        shutil.rmtree(self.dir, ignore_errors=True)
