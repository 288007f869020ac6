"""`gains serve` in a subprocess on a free loopback port, for the tests that need a real server and a real kill."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

GAINS = Path(sys.executable).parent / "gains"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(database_url: str, workspace: Path, workers: int = 1, extra_env: dict[str, str] | None = None,
          port: int | None = None, app_database: str | None = None) -> tuple[str, subprocess.Popen]:
    """Start `gains serve` on `database_url` in its own process group and wait until it answers; its requests
    connect with `app_database` when given (PostgreSQL's application role, `Databases.app_url`)."""
    port = port or free_port()
    workspace.mkdir(parents=True, exist_ok=True)
    log = (workspace / f"serve-{port}.log").open("w")  # a file, not a pipe: a full pipe would stall the server
    process = subprocess.Popen([str(GAINS), "serve", "--workspace", str(workspace), "--database", database_url,
                                "--port", str(port), "--workers", str(workers),
                                *(["--app-database", app_database] if app_database and app_database != database_url
                                  else [])],
                               stdout=log, stderr=subprocess.STDOUT,
                               env=os.environ | (extra_env or {}), start_new_session=True)
    log.close()
    base = f"http://127.0.0.1:{port}"
    wait_until_up(base, process, workspace / f"serve-{port}.log")
    return base, process


def wait_until_up(base: str, process: subprocess.Popen, log: Path, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gains serve exited: {log.read_text()}")
        try:
            if httpx.get(f"{base}/sign-in", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    stop(process)
    raise AssertionError("gains serve did not answer in time")


def stop(process: subprocess.Popen) -> None:
    """Stop the server and every worker it started (they share its process group)."""
    if process.poll() is None:
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait(timeout=30)


@contextmanager
def serving(database_url: str, workspace: Path, workers: int = 1, extra_env: dict[str, str] | None = None,
            app_database: str | None = None):
    base, process = start(database_url, workspace, workers, extra_env, app_database=app_database)
    try:
        yield base, process
    finally:
        stop(process)
