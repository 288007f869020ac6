"""Fingertips API CSV addresses, served by a local HTTP server from a recorded export (no network)."""

import socket
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from marginalgains.errors import DataError
from marginalgains.io.fingertips import fetch
from marginalgains.io.fingertips.download import check_address

RECORDED = Path(__file__).parent / "fixtures" / "fingertips_sample.csv"
QUERY = "?indicator_ids=22001,93721&child_area_type_id=502&parent_area_type_id=6"


class RecordedExport(SimpleHTTPRequestHandler):
    """Serves the recorded export at the API's CSV paths; anything else is 404, `refused` paths 403."""

    requests: list[str] = []

    def do_GET(self):  # noqa: N802 (the http.server API)
        self.requests.append(self.path)
        if "/refused/" in self.path:
            self.send_error(403, "Forbidden")
            return
        if "/failing/" in self.path:  # the API answers an error in JSON with status 200
            self._send(b'{"message": "An error has occurred."}', "application/json")
            return
        if not self.path.startswith(("/api/all_data/csv/by_indicator_id", "/api/all_data/csv/by_profile_id")):
            self.send_error(404, "Not Found")
            return
        self._send(RECORDED.read_bytes(), "text/csv")

    def _send(self, body: bytes, kind: str):
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(RecordedExport))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MARGINALGAINS_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "fingertips"


class Progress:
    """Records what a rich Progress would be told."""

    def __init__(self):
        self.tasks, self.updates = [], []

    def add_task(self, description, total=None):
        self.tasks.append((description, total))
        return len(self.tasks) - 1

    def update(self, task, completed):
        self.updates.append(completed)


def test_an_api_address_is_downloaded_into_the_cache_with_progress(server, cache):
    progress = Progress()
    address = f"{server}/api/all_data/csv/by_indicator_id{QUERY}"
    download = fetch(address, progress)
    assert download.path.parent == cache and download.path.read_bytes() == RECORDED.read_bytes()
    assert (download.address, download.from_cache) == (address, False)
    assert progress.tasks == [("Downloading the Fingertips export", RECORDED.stat().st_size)]
    assert progress.updates[-1] == RECORDED.stat().st_size
    assert download.provenance()["downloaded_at"] == download.downloaded_at


def test_a_fresh_copy_is_reused_from_the_cache(server):
    address = f"{server}/api/all_data/csv/by_profile_id?profile_id=19&child_area_type_id=502"
    first = fetch(address)
    before = len(RecordedExport.requests)
    again = fetch(address)
    assert again.from_cache and again.path == first.path and again.downloaded_at == first.downloaded_at
    assert len(RecordedExport.requests) == before  # no second request


def test_a_refused_download_names_the_address_and_status(server, cache):
    address = f"{server}/refused/api/all_data/csv/by_indicator_id{QUERY}"
    with pytest.raises(DataError, match=rf"^{address}: the download was refused \(HTTP 403 Forbidden\)$".replace("?", r"\?")):
        fetch(address)
    assert not any(cache.glob("*.csv")) and not any(cache.glob("*.part"))


def test_an_unreachable_address_is_a_clear_error():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"http://127.0.0.1:{port}/api/all_data/csv/by_indicator_id{QUERY}"
    with pytest.raises(DataError, match=r"the download failed \(.*(refused|Connection).*\)"):
        fetch(address)


@pytest.mark.parametrize("address", [
    "https://fingertips.phe.org.uk/profile/cancerservices/data#page/4",
    "https://fingertips.phe.org.uk/api/indicator_metadata/by_indicator_id?indicator_ids=22001",
    "http:///api/all_data/csv/by_indicator_id",
])
def test_an_address_that_is_not_an_api_csv_is_refused(address):
    with pytest.raises(DataError, match="not a Fingertips API CSV address"):
        check_address(address)


def test_a_response_that_is_not_an_export_names_the_address_and_is_not_kept(server, cache):
    from marginalgains.sources import from_fingertips

    address = f"{server}/failing/api/all_data/csv/by_indicator_id{QUERY}"
    with pytest.raises(DataError) as caught:
        from_fingertips(address)
    assert str(caught.value) == (f"{address}: not a CSV file (the first line has no column separators); "
                                 "the download was not kept")
    assert list(cache.iterdir()) == []  # the next run asks the server again


def test_a_good_download_is_kept_when_the_error_is_the_users(server, cache):
    from marginalgains.io.selection import Selection
    from marginalgains.sources import from_fingertips

    address = f"{server}/api/all_data/csv/by_indicator_id{QUERY}"
    with pytest.raises(DataError, match=r"--indicators: '12345' matches no indicator id") as caught:
        from_fingertips(address, select=Selection.parse(["12345"]))
    assert "not kept" not in str(caught.value)
    assert len(list(cache.glob("*.csv"))) == 1  # the export itself was fine: the next run reads it from the cache
