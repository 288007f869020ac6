"""`gains workspace data-location add | list | remove` against a workspace folder's SQLite store."""

import pandas as pd
from typer.testing import CliRunner

from marginalgains.cli.app import app
from marginalgains.store import accounts, jobs
from marginalgains.store.database import default_url, open_store

runner = CliRunner()


def gains(*args):
    return runner.invoke(app, list(args))


def test_an_operator_adds_lists_and_removes_an_organisations_locations(tmp_path):
    workspace = str(tmp_path / "ws")
    records = tmp_path / "records"
    records.mkdir()
    pd.DataFrame({"area": ["A"]}).to_csv(records / "visits.csv", index=False)
    assert gains("workspace", "add-org", "QWE", "NHS South West London ICB", "--type", "icb",
                 "--workspace", workspace).exit_code == 0
    added = gains("workspace", "data-location", "add", "QWE", "visits", str(records), "--workspace", workspace)
    assert added.exit_code == 0 and f"QWE may run jobs over folder {records} as 'visits'" in added.output
    url = gains("workspace", "data-location", "add", "QWE", "warehouse", "postgres://ann:secret@db.example/records",
                "--workspace", workspace)
    assert url.exit_code == 0 and "secret" not in url.output
    listed = gains("workspace", "data-location", "list", "QWE", "--workspace", workspace)
    assert listed.output.splitlines() == [f"QWE\tvisits\tfolder\t{records}",
                                          "QWE\twarehouse\turl\tpostgres://db.example/records"]
    assert gains("workspace", "data-location", "remove", "QWE", "warehouse", "--workspace", workspace).exit_code == 0
    store = open_store(default_url(tmp_path / "ws"))
    with store.sessions() as db:
        assert [location.name for location in jobs.locations_of(db, accounts.organisation_by_code(db, "QWE"))] == ["visits"]
    store.dispose()


def test_a_bad_location_exits_2_naming_it(tmp_path):
    workspace = str(tmp_path / "ws")
    gains("workspace", "add-org", "QWE", "NHS South West London ICB", "--type", "icb", "--workspace", workspace)
    missing = gains("workspace", "data-location", "add", "QWE", "gone", str(tmp_path / "nowhere"),
                    "--workspace", workspace)
    assert missing.exit_code == 2 and "does not exist on this server" in missing.output
    unknown = gains("workspace", "data-location", "remove", "QWE", "gone", "--workspace", workspace)
    assert unknown.exit_code == 2 and "'gone' is not one of QWE's data locations" in unknown.output
