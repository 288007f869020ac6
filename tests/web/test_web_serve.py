"""`gains serve` for real: uvicorn with several workers on loopback, spoken to by httpx over TCP."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from web_helpers import csrf_of

from marginalgains.web.demo import DEMO_PASSWORD


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(database_url, databases, tmp_path):
    """`gains serve --demo --workers 2` on a free loopback port; yields its base URL; stopped afterwards."""
    port = free_port()
    gains = Path(sys.executable).parent / "gains"
    process = subprocess.Popen([str(gains), "serve", "--demo", "--workspace", str(tmp_path / "ws"), "--database",
                                database_url, "--port", str(port), "--workers", "2",
                                *(["--app-database", databases.app_url(database_url)] if databases.kind != "sqlite"
                                  else [])],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=os.environ.copy())
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process)
        yield base, process
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_until_up(base: str, process: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gains serve exited: {process.stdout.read()}")
        try:
            if httpx.get(f"{base}/sign-in", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("gains serve did not answer in time")


def test_serve_demo_signs_in_over_http_across_workers(served, database_url, databases):
    base, _ = served
    with httpx.Client(base_url=base) as browser:
        token = csrf_of(browser.get("/sign-in").text)
        response = browser.post("/sign-in", data={"email": "admin@qkk.example", "password": DEMO_PASSWORD,
                                                  "csrf_token": token})
        assert response.status_code == 303
        # many requests, so both workers answer: the session lives in the store, not in one process
        for _ in range(20):
            me = browser.get("/api/me")
            assert me.status_code == 200 and me.json()["email"] == "admin@qkk.example"
        assert browser.get("/api/openapi.json").json()["info"]["title"] == "marginal-gains workspace"
    if databases.kind == "postgresql":  # every worker's connections are the application role's, not the owner's
        owner = create_engine(database_url)
        with owner.connect() as connection:
            roles = connection.execute(text("SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = "
                                            "current_database() AND pid <> pg_backend_pid()")).scalars().all()
        owner.dispose()
        assert roles == [databases.app_role]
