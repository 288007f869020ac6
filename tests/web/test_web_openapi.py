"""The JSON API against its own OpenAPI document, by schemathesis on a live `gains serve` (SQLite and PostgreSQL):
generated calls, signed in as an analyst by an API token, never get a 500 and every answer matches its schema."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance, response_schema_conformance, status_code_conformance,
)
from served import serving
from web_helpers import sign_in

from marginalgains.store import accounts
from marginalgains.store.database import open_store

EXAMPLES_PER_OPERATION = 30  # bounded: the whole run takes well under a minute per backend
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def live(databases, demo_template, tmp_path_factory):
    """The demo workspace served over HTTP, and an analyst's API token for QWE."""
    url = databases.new(template=demo_template)
    store = open_store(url)
    with store.sessions() as db:
        secret, _ = accounts.issue_token(db, accounts.user_by_email(db, "analyst@qwe.example"),
                                         accounts.organisation_by_code(db, "QWE"), "analyst", "schemathesis")
        db.commit()
    store.dispose()
    with serving(url, tmp_path_factory.mktemp("schemathesis"), app_database=databases.app_url(url)) as (base, _):
        yield base, secret
    databases.drop(url)


def _operations(base: str):
    schema = schemathesis.openapi.from_url(f"{base}/api/openapi.json")
    return [result.ok() for result in schema.get_all_operations()]


def test_the_api_answers_every_generated_call_within_its_schema(live):
    base, token = live
    operations = _operations(base)
    assert len(operations) >= 8, [o.label for o in operations]  # the document lists the API, not an empty one
    failures = {}
    for operation in operations:
        try:
            _exercise(operation, token)
        except Exception as exc:  # noqa: BLE001  (collect every operation's failure, then report them all)
            failures[operation.label] = str(exc)
    assert not failures, "\n\n".join(f"{label}:\n{message}" for label, message in failures.items())


def _exercise(operation, token: str) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def call(case):
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
    call()


@pytest.mark.parametrize("path", ["/api/batches/{id}", "/batches/{id}", "/batches/{id}/rejections.csv"])
def test_an_id_too_large_for_the_database_is_refused_not_a_server_error(client, path):
    """Found by the run above: an id past 64 bits overflowed SQLite's driver (a 500); ids are 32-bit keys."""
    sign_in(client, "analyst@qwe.example")
    for too_large in (2**31, 706912992411705802752):
        response = client.get(path.format(id=too_large), headers={"accept": "application/json"})
        assert response.status_code == 422 and "less than or equal to 2147483647" in response.text, path
    assert client.get(path.format(id=2**31 - 1), headers={"accept": "application/json"}).status_code == 404


def test_the_document_describes_the_error_answers_as_they_are(client):
    document = client.get("/api/openapi.json").json()
    responses = document["paths"]["/api/batches/{batch_id}"]["get"]["responses"]
    assert {"401", "403", "404", "422"} <= set(responses)
    assert responses["422"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/InvalidRequestOut"}
    assert document["components"]["schemas"]["InvalidRequestOut"]["properties"]["detail"]["items"] == {"type": "string"}
    sign_in(client, "analyst@qwe.example")
    invalid = client.get("/api/batches/not-a-number")
    assert invalid.status_code == 422 and invalid.json() == {
        "detail": ["path.batch_id: Input should be a valid integer, unable to parse string as an integer"]}
