"""No input yields a server error, and no response breaks the OpenAPI schema (schemathesis).

Every operation gets a bounded number of generated requests, valid and invalid, sent
with an admin's token and with a recorder's (both over the province), so that both the
registry's and the recorder's paths are reached. Checks: no 5xx, every status and
content type documented, every body matching its schema.
"""

from __future__ import annotations

import itertools

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance, status_code_conformance

from api.app import create_app
from tests.api.conftest import bearer
from tests.factories import build_tree, household, person_in_post
from workflow.db import transaction

EXAMPLES_PER_OPERATION = 12  # per operation and token, half valid, half not: bounded, so the suite stays under ten minutes
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def test_generated_requests_never_cause_a_server_error_or_break_the_schema(engine):
    with transaction(engine) as session:
        tree = build_tree(session)
        person_in_post(session, name="舒春生", role="township_cadre", unit=tree.township)
        household(session, tree, "4312241002010001")
    tokens = {role: bearer(engine, roles=[role], scope=tree.province, name=role) for role in ("admin", "recorder")}
    app = create_app(engine)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for (role, headers), mode in itertools.product(tokens.items(), (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES_PER_OPERATION // 2, deadline=None, database=None, suppress_health_check=list(HealthCheck))
            def exercise(case):
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                exercise()
            except Unsatisfiable:
                pass  # nothing to make invalid (e.g. an operation without parameters)
            except Exception as exc:  # noqa: BLE001 — collect every operation's failure, then report
                failures.append(f"{operation.method.upper()} {operation.path} ({role}, {mode.value}): {exc}")
    assert not failures, "\n\n".join(failures)
