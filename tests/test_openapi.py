"""The OpenAPI document describes API v1 exactly: schemathesis fuzzes every operation with it."""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.parameters import ParameterLocation

from tests.conftest import comment_item

# The API refuses what its document says it refuses but a schema cannot express: addresses
# at special-use names no mail reaches (.test, localhost…), and push endpoints anywhere but
# at the browsers' push services. The fuzzer's valid values are of the accepted kind.
schemathesis.openapi.format("email", st.emails(
    domains=st.sampled_from(["example.org", "uppvidinge.se", "kommune.dk"])))
schemathesis.openapi.format("uri", st.builds(
    "{}{}".format, st.sampled_from(["https://fcm.googleapis.com/fcm/send/",
                                    "https://updates.push.services.mozilla.com/wpush/v2/"]),
    st.from_regex(r"[A-Za-z0-9_-]{1,200}", fullmatch=True)))


@pytest.fixture
def api_schema(app, world):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    # Unknown query parameters are ignored, as HTTP APIs usually do; don't count them as
    # "invalid data accepted".
    schema.config.generation.update(allow_extra_parameters=False)
    # The contract answers "too many items" with 413, a refusal like any 4xx.
    rejection = schema.config.checks.negative_data_rejection
    rejection.expected_statuses = [*rejection.expected_statuses, "413"]
    return schema


@pytest.fixture
def token(new_device):
    device = new_device()
    device.sync(comment_item())  # so that the feed has something to page through
    return device.headers


# Examples per operation and mode; WALKAPP_FUZZ_EXAMPLES=500 for a longer hunt.
EXAMPLES = int(os.environ.get("WALKAPP_FUZZ_EXAMPLES", "30"))


def operations(api_schema):
    return [result.ok() for result in api_schema.get_all_operations()]


# schemathesis' own pytest plugin (from_fixture) does not run under pytest 9 yet, so the
# operations are driven through its Hypothesis strategies: same generators, same checks.
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                         ids=["valid", "invalid"])
def test_api_conforms_to_its_document(api_schema, token, mode):
    """No 500s, only documented status codes and content types, bodies match the schemas,
    and (negative mode) data that breaks the schema is refused with a 4xx."""
    ops = operations(api_schema)
    assert len(ops) == 14, [op.label for op in ops]  # all but the document itself
    nothing_to_break = []
    for op in ops:
        @given(case=op.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            # Authenticate, unless the case is about a broken Authorization header.
            broken_header = case._meta is not None and case._meta.is_negative_at(
                ParameterLocation.HEADER)
            case.call_and_validate(headers=None if broken_header else token)

        try:
            check()
        except Unsatisfiable:
            nothing_to_break.append(op.label)  # no parameters or body to make invalid
    assert nothing_to_break == ([] if mode == GenerationMode.POSITIVE
                                else ["POST /api/v1/devices", "GET /api/v1/push/key"])


def test_document_is_openapi_3_1_and_lists_every_route(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"] == "3.1.0"
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = rule.rule
            for arg in rule.arguments:
                path = path.replace(f"<uuid:{arg}>", f"{{{arg}}}").replace(f"<{arg}>",
                                                                         f"{{{arg}}}")
            routed |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == routed
    item = doc["components"]["schemas"]["CommentItem"]
    assert set(item["required"]) == {"id", "walk", "kind", "category", "text", "location",
                                     "created_at"}
    assert item["properties"]["text"]["maxLength"] == 4000
