"""Fingertips API CSV addresses: downloaded once into a cache, with a progress bar.

Accepted forms (any host, so a mirror or a test server works):
`https://fingertips.phe.org.uk/api/all_data/csv/by_indicator_id?indicator_ids=...&child_area_type_id=...`
and `.../api/all_data/csv/by_profile_id?profile_id=...&child_area_type_id=...`. A copy younger
than a day is reused. The cache is `$MARGINALGAINS_CACHE` (default `~/.cache/marginalgains`).
"""

from __future__ import annotations

import hashlib
import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

from marginalgains import __version__
from marginalgains.errors import DataError

API_FORMS = ("/all_data/csv/by_indicator_id", "/all_data/csv/by_profile_id")
MAX_AGE = timedelta(days=1)
TIMEOUT_SECONDS = 120
_CHUNK = 1 << 16


@dataclass(frozen=True)
class Download:
    """A downloaded export: where it is on disk, where it came from and when."""

    path: Path
    address: str
    downloaded_at: str
    from_cache: bool

    def provenance(self) -> dict:
        return {"address": self.address, "downloaded_at": self.downloaded_at, "from_cache": self.from_cache}

    def refused(self, exc: DataError) -> DataError:
        """`exc` (raised reading the file) naming the address, with the copy dropped from the cache, so
        that an error page the server sent is not reused as the export for a day."""
        self.path.unlink(missing_ok=True)
        self.path.with_suffix(".json").unlink(missing_ok=True)
        return DataError(str(exc).replace(str(self.path), self.address) + "; the download was not kept")


def is_address(text: str) -> bool:
    return str(text).lower().startswith(("http://", "https://"))


def cache_dir() -> Path:
    return Path(os.environ.get("MARGINALGAINS_CACHE") or Path.home() / ".cache" / "marginalgains") / "fingertips"


def fetch(address: str, progress=None) -> Download:
    """The export at a Fingertips API CSV address: from the cache when fresh, otherwise downloaded."""
    check_address(address)
    folder = cache_dir()
    stem = hashlib.sha256(address.encode()).hexdigest()[:24]
    path, record = folder / f"{stem}.csv", folder / f"{stem}.json"
    cached = _cached(path, record, address)
    if cached:
        return cached
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"{address}: cannot create the download cache {folder} ({exc})") from None
    _download(address, path, progress)
    when = datetime.now(timezone.utc).isoformat(timespec="seconds")
    record.write_text(json.dumps({"address": address, "downloaded_at": when}), encoding="utf-8")
    return Download(path, address, when, False)


def check_address(address: str) -> None:
    parts = urlsplit(address)
    if not parts.netloc or not parts.path.rstrip("/").endswith(API_FORMS):
        raise DataError(f"--fingertips {address}: not a Fingertips API CSV address (expected .../api/all_data/csv/"
                        "by_indicator_id?indicator_ids=... or .../api/all_data/csv/by_profile_id?profile_id=...)")


def _cached(path: Path, record: Path, address: str) -> Download | None:
    try:
        saved = json.loads(record.read_text(encoding="utf-8"))
        when = datetime.fromisoformat(saved["downloaded_at"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if saved.get("address") != address or not path.is_file() or datetime.now(timezone.utc) - when > MAX_AGE:
        return None
    return Download(path, address, saved["downloaded_at"], True)


def _download(address: str, path: Path, progress) -> None:
    """Stream the response to a temporary file, renamed into place only when complete."""
    partial = path.with_suffix(".part")
    request = urllib.request.Request(address, headers={"User-Agent": f"marginalgains/{__version__}",
                                                       "Accept": "text/csv"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response, partial.open("wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            task = progress.add_task("Downloading the Fingertips export", total=total) if progress else None
            written = 0
            while chunk := response.read(_CHUNK):
                out.write(chunk)
                written += len(chunk)
                if task is not None:
                    progress.update(task, completed=written)
    except urllib.error.HTTPError as exc:
        partial.unlink(missing_ok=True)
        raise DataError(f"{address}: the download was refused (HTTP {exc.code} {exc.reason})") from None
    except (urllib.error.URLError, OSError) as exc:
        partial.unlink(missing_ok=True)
        reason = getattr(exc, "reason", exc)
        raise DataError(f"{address}: the download failed ({reason})") from None
    if written == 0:
        partial.unlink(missing_ok=True)
        raise DataError(f"{address}: the server sent an empty response")
    partial.replace(path)
