"""The API (/api and the OpenAI-compatible /v1) fuzzed from its own OpenAPI schema
(schemathesis, a bounded number of examples per operation) against a real `vendorintel serve` on
loopback: no input makes it fail with a 5xx, JSON bodies holding what JSON text cannot carry
(NaN, Infinity, lone surrogates) included: those get a 4xx. The MCP endpoint, which has no
OpenAPI schema, is fuzzed with JSON-RPC messages, well-formed and not."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from tests.conftest import Served, serving_samples

# Per operation, the same ones on every run, so a failure reproduces (FUZZ_EXAMPLES sets how
# many); 200 with `pytest -m long`.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
# Values JSON text cannot carry that clients send all the same (Python's json writes NaN and
# Infinity, any JSON writer a "\ud800" escape); schemathesis generates none of them.
NOT_FINITE = st.sampled_from([math.nan, math.inf, -math.inf])
LONE_SURROGATE = st.builds(
    "{}{}{}".format, st.text(max_size=8), st.characters(categories=["Cs"]), st.text(max_size=8)
)


@pytest.fixture(scope="module")
def fuzzed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Its own server and inbox: fuzzing uploads, deletes and re-ingests at will."""
    with serving_samples(tmp_path_factory.mktemp("fuzzed")) as served:
        yield served


@pytest.mark.parametrize(
    "examples", [EXAMPLES, pytest.param(200, marks=pytest.mark.long)], ids=["short", "long"]
)
def test_no_input_makes_the_api_fail(fuzzed_server: Served, examples: int) -> None:
    schema = schemathesis.openapi.from_url(f"{fuzzed_server.url}/openapi.json")
    operations = [
        result.ok() for result in schema.include(path_regex="^/(api|v1)/").get_all_operations()
    ]
    assert len(operations) >= 11, [op.label for op in operations]
    statuses: list[int] = []
    spoiled: dict[str, list[int]] = {"number": [], "surrogate": []}
    for operation in operations:

        @given(case=operation.as_strategy(), data=st.data())
        @settings(
            max_examples=examples,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case: schemathesis.Case, data: st.DataObject) -> None:
            kind = spoil(case, data)
            response = case.call_and_validate(checks=[not_a_server_error], timeout=120)
            statuses.append(response.status_code)
            if kind:
                spoiled[kind].append(response.status_code)

        call()
    # Every operation ran, with inputs both accepted and refused.
    assert len(statuses) >= 3 * len(operations)
    assert any(s < 300 for s in statuses) and any(s == 422 for s in statuses), statuses
    for kind, codes in spoiled.items():
        assert codes and all(400 <= code < 500 for code in codes), (kind, codes)


def spoil(case: schemathesis.Case, data: st.DataObject) -> str | None:
    """For some JSON object bodies, one value made NaN, ±Infinity or a string with a lone
    surrogate, and the body sent as the bytes a client writes for it; returns which it was."""
    body = case.body
    if case.media_type != "application/json" or not isinstance(body, dict) or not body:
        return None
    kind = data.draw(st.sampled_from([None, "number", "surrogate"]))
    if kind is None:
        return None
    key = data.draw(st.sampled_from(sorted(body)))
    value = data.draw(NOT_FINITE if kind == "number" else LONE_SURROGATE)
    case.body = json.dumps({**body, key: value}).encode()
    return kind


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
TOOL_CALLS = st.fixed_dictionaries(
    {
        "name": st.sampled_from(["ask", "fallbacks", "eval_trend", "documents", "none", ""]),
        "arguments": st.dictionaries(
            st.sampled_from(["question", "vendor", "workflow", "model", "x"]), JSON_VALUES
        ),
    }
)
MCP_MESSAGES = st.fixed_dictionaries(
    {
        "jsonrpc": st.sampled_from(["2.0", "1.0", ""]),
        "id": st.integers() | st.text(max_size=8) | st.none(),
        "method": st.sampled_from(
            ["tools/call", "tools/list", "initialize", "resources/read", "ping", "no/such"]
        ),
        "params": TOOL_CALLS | JSON_VALUES,
    }
)


def test_no_message_makes_the_mcp_endpoint_fail(fuzzed_server: Served) -> None:
    statuses: list[int] = []
    headers = {"Accept": "application/json, text/event-stream"}

    @given(message=MCP_MESSAGES | JSON_VALUES)
    @settings(
        max_examples=EXAMPLES * 2,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def post(message: object) -> None:
        response = httpx.post(
            f"{fuzzed_server.url}/mcp", json=message, headers=headers, timeout=120
        )
        assert response.status_code < 500, (message, response.text)
        statuses.append(response.status_code)

    post()
    assert any(s == 200 for s in statuses) and any(400 <= s < 500 for s in statuses), statuses
