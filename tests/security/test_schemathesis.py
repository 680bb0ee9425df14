"""schemathesis over the whole OpenAPI schema, authenticated as an admin, against the ASGI app:
no 5xx and every response conforms to its documented schema. Each operation gets a few
generated cases (``MAX_EXAMPLES``), derandomized so every run checks the same cases and a
failure can be reproduced. CI runs it as its own step (``.ci/run``).
"""

import os
from collections.abc import Callable

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from aftersales.auth.models import Role

MAX_EXAMPLES = 3

# Minutes on a busy 2-core machine: CI runs it as its own step (.ci/run), `make test` skips it.
pytestmark = pytest.mark.skipif(
    os.environ.get("AFTERSALES_SCHEMATHESIS") != "1", reason="set AFTERSALES_SCHEMATHESIS=1 (a .ci/run step)"
)


def test_api_never_answers_5xx_nor_breaks_its_schema(
    app: FastAPI, auth_headers: Callable[..., dict[str, str]]
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = auth_headers(Role.ADMIN)
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            derandomize=True,  # the same cases every run: CI passes or fails reproducibly
        )
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=[not_a_server_error, response_schema_conformance])

        try:
            check()
        except Exception as exc:  # collect every operation's failure, then report them together
            failures.append(f"{operation.label}: {str(exc)[:800]}")
    assert not failures, "\n\n".join(failures)
