"""`gains workspace add-org | add-user | grant | token` against a workspace folder's SQLite store."""

import pytest
from typer.testing import CliRunner

from marginalgains.cli.app import app
from marginalgains.store import accounts
from marginalgains.store.database import default_url, open_store
from marginalgains.store.models import Role

runner = CliRunner()


def gains(*args, input=None):
    return runner.invoke(app, list(args), input=input)


@pytest.fixture
def workspace(tmp_path):
    folder = tmp_path / "ws"
    assert gains("workspace", "add-org", "QWE", "NHS South West London ICB", "--type", "icb",
                 "--workspace", str(folder)).exit_code == 0
    assert gains("workspace", "add-org", "RJ7", "St George's", "--type", "trust", "--parent", "QWE",
                 "--workspace", str(folder)).exit_code == 0
    result = gains("workspace", "add-user", "Ann@Example.org", "--name", "Ann", "--password-stdin",
                   "--workspace", str(folder), input="a long enough password\n")
    assert result.exit_code == 0 and "added ann@example.org" in result.output
    return folder


def test_add_org_add_user_and_grant_are_stored(workspace):
    assert gains("workspace", "grant", "ann@example.org", "RJ7", "analyst", "--workspace", str(workspace)).exit_code == 0
    store = open_store(default_url(workspace))
    with store.sessions() as db:
        ann = accounts.user_by_email(db, "ann@example.org")
        trust = accounts.organisation_by_code(db, "RJ7")
        assert trust.parent.code == "QWE" and accounts.membership_role(ann, trust.id) is Role.ANALYST
        assert accounts.verify_password(db, "ann@example.org", "a long enough password") is not None
    store.dispose()


def test_a_token_is_printed_once_and_works_until_revoked(workspace):
    gains("workspace", "grant", "ann@example.org", "QWE", "viewer", "--workspace", str(workspace))
    issued = gains("workspace", "token", "ann@example.org", "QWE", "--name", "notebook", "--days", "7",
                   "--workspace", str(workspace))
    assert issued.exit_code == 0, issued.output
    secret = issued.output.strip().splitlines()[-1]
    token_id = int(issued.output.split()[1])
    store = open_store(default_url(workspace))
    with store.sessions() as db:
        assert accounts.token_for(db, secret).role == "viewer"
    assert gains("workspace", "token", "--revoke", str(token_id), "--workspace", str(workspace)).exit_code == 0
    with store.sessions() as db:
        assert accounts.token_for(db, secret) is None
    store.dispose()


@pytest.mark.parametrize("args, message", [
    (["add-org", "X1", "Somewhere", "--type", "county"], "type: 'county' is not one of national, region"),
    (["add-org", "QWE", "Again", "--type", "icb"], "code: an organisation 'QWE' already exists"),
    (["add-org", "X1", "Orphan", "--type", "trust", "--parent", "NOPE"], "no organisation has the code 'NOPE'"),
    (["grant", "ann@example.org", "QWE", "owner"], "role: 'owner' is not one of viewer, analyst, admin"),
    (["grant", "bob@example.org", "QWE", "viewer"], "nobody has the email 'bob@example.org'"),
    (["token", "ann@example.org", "QWE", "--role", "admin"], "is not admin in QWE"),
    (["token", "--revoke", "99"], "no token has the id 99"),
    (["add-user", "not-an-email", "--no-password"], "email: 'not-an-email' is not an email address"),
])
def test_bad_admin_input_exits_2_naming_the_field(workspace, args, message):
    result = runner.invoke(app, ["workspace", *args, "--workspace", str(workspace)])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())


def test_a_short_password_is_refused(workspace):
    result = gains("workspace", "add-user", "c@example.org", "--password-stdin", "--workspace", str(workspace),
                   input="short\n")
    assert result.exit_code == 2 and "at least 12 characters" in result.output


def test_gains_serve_refuses_a_bad_database_url():
    result = gains("serve", "--database", "mysql://h/db")
    assert result.exit_code == 2 and "'mysql' is not supported" in result.output


def test_the_disclosure_rule_is_a_stored_workspace_setting(workspace, tmp_path):
    from marginalgains.store.settings import disclosure_rule

    shown = gains("workspace", "disclosure", "--workspace", str(workspace))
    assert shown.exit_code == 0 and "counts 1 to 7 suppressed" in shown.output  # the default: nhs-hes-2018
    rule_file = tmp_path / "local.yaml"
    rule_file.write_text("name: local-5\ntitle: Counts under 5\nthreshold: 4\nprotection_interval: 4\n")
    assert gains("workspace", "disclosure", str(rule_file), "--workspace", str(workspace)).exit_code == 0
    rule_file.unlink()  # its text is kept in the store, not its path
    store = open_store(default_url(workspace))
    with store.sessions() as db:
        rule = disclosure_rule(db)
        assert (rule.name, rule.threshold, rule.rounding) == ("local-5", 4, None)
    store.dispose()
    bad = gains("workspace", "disclosure", "nhs-2099", "--workspace", str(workspace))
    assert bad.exit_code == 2 and "unknown disclosure rule 'nhs-2099'" in bad.output


def test_an_indicator_is_made_public_and_private_again(workspace):
    import io
    from pathlib import Path

    from marginalgains.store import batches
    from marginalgains.store.settings import public_indicators

    unpublished = gains("workspace", "public", "screening", "--workspace", str(workspace))
    assert unpublished.exit_code == 2 and "'screening' is not an indicator published in this workspace " \
        "(published: none)" in " ".join(unpublished.output.split())
    store = open_store(default_url(workspace))
    catalogue_yaml = (Path(__file__).parents[1] / "web" / "fixtures" / "catalogue.yaml").read_bytes()
    with store.sessions() as db:
        catalogue, read = batches.read_upload("tidy", io.BytesIO(b"indicator_id,area_code,period,numerator,denominator"
                                                                 b"\nscreening,RJ7,2023/24,50,100\n"),
                                              "values.csv", io.BytesIO(catalogue_yaml))
        trust = accounts.organisation_by_code(db, "RJ7")
        batches.publish(db, batches.create_draft(db, trust, None, "tidy", "values.csv", catalogue, read), None)
        db.commit()
    assert gains("workspace", "public", "--workspace", str(workspace)).output.strip() == \
        "public indicators: none (everything needs signing in)"
    made = gains("workspace", "public", "screening", "--workspace", str(workspace))
    assert made.exit_code == 0 and made.output.strip() == "public indicators: screening"
    with store.sessions() as db:
        assert public_indicators(db) == {"screening"}
    assert gains("workspace", "public", "screening", "--off", "--workspace", str(workspace)).output.strip() == \
        "public indicators: none (everything needs signing in)"
    with store.sessions() as db:
        assert public_indicators(db) == frozenset()
    store.dispose()


def test_the_application_role_is_made_once_and_the_owner_is_refused_as_it(database_url, databases):
    import uuid

    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    if databases.kind == "sqlite":
        refused = gains("serve", "--database", database_url, "--app-database", database_url)
        assert refused.exit_code == 2 and "--app-database: only on PostgreSQL" in refused.output
        return
    role = f"mg_cli_app_{uuid.uuid4().hex[:8]}"
    first = gains("workspace", "app-role", role, "--password-stdin", "--database", database_url, input="pw-of-app\n")
    assert first.exit_code == 0 and first.output.startswith(f"created the role '{role}'"), first.output
    again = gains("workspace", "app-role", role, "--database", database_url)
    assert again.exit_code == 0 and again.output.startswith(f"granted the role '{role}'")
    # serving with the owner's own URL as the application's is refused before anything is served
    refused = gains("serve", "--database", database_url, "--app-database", database_url)
    assert refused.exit_code == 2 and "has the privileges of the tables' owner" in " ".join(refused.output.split())
    other = make_url(database_url).set(username=role, password="pw-of-app", database="postgres")
    wrong = gains("serve", "--database", database_url, "--app-database", other.render_as_string(hide_password=False))
    assert wrong.exit_code == 2 and "names database 'postgres'" in wrong.output
    store = open_store(database_url)
    with store.engine.connect() as owner:  # dropped with its grants (the database goes at teardown)
        owner.execute(text(f'GRANT "{role}" TO CURRENT_USER'))
        owner.execute(text(f'DROP OWNED BY "{role}"'))
        owner.execute(text(f'DROP ROLE "{role}"'))
        owner.commit()
    store.dispose()
