"""API tokens as every scripted request reads them (store/accounts.py): the token, its user and the role held now
in the token's organisation in one statement, read afresh each time, so a revoked token or a membership taken
away counts on the very next request."""

import pytest
from sqlalchemy import delete, event

from marginalgains.store import accounts
from marginalgains.store.database import open_store
from marginalgains.store.models import Membership, Role


@pytest.fixture
def store(database_url):
    store = open_store(database_url)
    yield store
    store.dispose()


@pytest.fixture
def issued(store):
    """An analyst's token in a trust (she is analyst there and viewer in its ICB)."""
    with store.sessions() as db:
        icb = accounts.add_organisation(db, "QWE", "An ICB", "icb")
        trust = accounts.add_organisation(db, "RJ7", "A trust", "trust", parent_code="QWE")
        ann = accounts.add_user(db, "ann@rj7.example", "Ann", None)
        accounts.grant(db, ann, trust, "analyst")
        accounts.grant(db, ann, icb, "viewer")
        secret, token = accounts.issue_token(db, ann, trust, "analyst", "script")
        db.commit()
        return secret, token.id, trust.id


def statements(store):
    seen = []
    event.listen(store.engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


def test_a_token_its_user_and_the_role_held_now_come_in_one_statement(store, issued):
    secret, token_id, trust_id = issued
    seen = statements(store)
    with store.sessions() as db:
        token, held = accounts.token_and_held_role(db, secret)
        assert (token.id, token.user.email, held) == (token_id, "ann@rj7.example", Role.ANALYST)
    # (PostgreSQL also names the transaction's organisations and pings the pooled connection: not account reads)
    account_reads = [s for s in seen if any(t in s for t in ("api_tokens", "users", "memberships"))]
    assert len(account_reads) == 1


def test_a_role_lowered_or_taken_away_counts_on_the_next_read(store, issued):
    secret, _, trust_id = issued
    with store.sessions() as db:
        accounts.grant(db, accounts.user_by_email(db, "ann@rj7.example"),
                       accounts.organisation_by_code(db, "RJ7"), "viewer")
        db.commit()
        assert accounts.token_and_held_role(db, secret)[1] is Role.VIEWER
        db.execute(delete(Membership).where(Membership.organisation_id == trust_id))
        db.commit()
        token, held = accounts.token_and_held_role(db, secret)
        assert token.user.email == "ann@rj7.example" and held is None  # still Ann's token, but no role


def test_a_revoked_or_unknown_token_is_none(store, issued):
    secret, token_id, _ = issued
    with store.sessions() as db:
        assert accounts.token_and_held_role(db, "mg_not-a-token") is None
        accounts.revoke_token(db, token_id)
        db.commit()
        assert accounts.token_and_held_role(db, secret) is None and accounts.token_for(db, secret) is None
