"""What GeoReport v2 says a response looks like, and checks that hold walkapp to it.

JSON is validated with `jsonschema` (formats checked: date-time, uri) against the schemas in
tests/data/open311/ (the open311/schema-validation repository's), and its keys are compared
with the spec's field list, in the spec's order. XML is parsed and its element names
compared with the spec's, then read back (the spec's "Spark" mapping) and compared value
by value with the JSON of the same resource.
"""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SCHEMAS = Path(__file__).parent / "data" / "open311"
BASE = "https://open311.example/georeport-v2/"

# The spec's elements, in the spec's order (wiki.open311.org/GeoReport_v2).
REQUEST = ["service_request_id", "status", "status_notes", "service_name", "service_code",
           "description", "agency_responsible", "service_notice", "requested_datetime",
           "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat",
           "long", "media_url"]
SERVICE = ["service_code", "service_name", "description", "metadata", "type", "keywords",
           "group"]
DEFINITION = ["service_code", "attributes"]
ATTRIBUTE = ["variable", "code", "datatype", "required", "datatype_description", "order",
             "description", "values"]
VALUE = ["key", "name"]
POSTED = ["service_request_id", "service_notice"]  # token and account_id: never from us
TOKEN = ["service_request_id", "token"]
ERROR = ["code", "description"]
DISCOVERY = ["changeset", "contact", "key_service", "endpoints"]
ENDPOINT = ["specification", "url", "changeset", "type", "formats"]

# Document element → the element of each item, for documents that are lists.
LISTS = {"services": "service", "service_requests": "request", "errors": "error",
         "attributes": "attribute", "values": "value", "endpoints": "endpoint",
         "formats": "format"}


def _registry() -> Registry:
    resources = []
    for name in ("request", "requests", "service", "services", "service-definition"):
        schema = json.loads((SCHEMAS / f"{name}.json").read_text())
        resources.append((BASE + f"{name}.json",
                          Resource.from_contents(schema, default_specification=DRAFT4)))
    swagger = json.loads((SCHEMAS / "swagger.json").read_text())
    for name in ("RequestResponse", "TokenResponse"):
        schema = {"type": "array", "items": swagger["definitions"][name]}
        resources.append((BASE + f"{name}.json",
                          Resource.from_contents(schema, default_specification=DRAFT4)))
    return Registry().with_resources(resources)


REGISTRY = _registry()


def validate(data, schema: str) -> None:
    """Raise jsonschema.ValidationError unless data matches the named schema."""
    validator = Draft4Validator({"$ref": BASE + schema}, registry=REGISTRY,
                                format_checker=FormatChecker())
    validator.validate(data)


def _keys(item: dict, expected: list[str]) -> None:
    assert list(item) == expected, f"fields {list(item)} are not the spec's {expected}"


def check_requests(data: list) -> None:
    validate(data, "requests.json")
    for item in data:
        _keys(item, REQUEST)


def check_services(data: list) -> None:
    validate(data, "services.json")
    for item in data:
        _keys(item, SERVICE)


def check_definition(data: dict) -> None:
    validate(data, "service-definition.json")
    _keys(data, DEFINITION)
    for attr in data["attributes"]:
        _keys(attr, ATTRIBUTE)
        for v in attr["values"]:
            _keys(v, VALUE)


def check_posted(data: list) -> None:
    validate(data, "RequestResponse.json")
    assert len(data) == 1
    _keys(data[0], POSTED)


def check_token(data: list) -> None:
    validate(data, "TokenResponse.json")
    for item in data:
        _keys(item, TOKEN)


def check_discovery(data: dict) -> None:
    _keys(data, DISCOVERY)
    for endpoint in data["endpoints"]:
        _keys(endpoint, ENDPOINT)
        assert endpoint["type"] in ("production", "test")
        assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    assert FormatChecker().conforms(data["changeset"], "date-time")


def check_errors(data: list, status: int) -> None:
    assert isinstance(data, list) and data
    for item in data:
        _keys(item, ERROR)
        assert item["code"] == status and isinstance(item["description"], str)
        assert item["description"].strip()


# --- XML -------------------------------------------------------------------------------

def parse_xml(body: bytes) -> ET.Element:
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>'), body[:60]
    root = ET.fromstring(body)
    for element in root.iter():
        assert not element.attrib, f"<{element.tag}> has attributes {element.attrib}"
        assert "}" not in element.tag, f"<{element.tag}> is in a namespace"
    return root


def from_xml(element: ET.Element):
    """The spec's mapping read backwards: list wrappers become lists, other elements with
    children become dicts, empty elements None, the rest their text."""
    if element.tag in LISTS:
        item = LISTS[element.tag]
        assert all(child.tag == item for child in element), \
            f"<{element.tag}> may only hold <{item}>"
        return [from_xml(child) for child in element]
    if len(element):
        out = {}
        for child in element:
            assert child.tag not in out, f"<{child.tag}> twice in <{element.tag}>"
            out[child.tag] = from_xml(child)
        return out
    return element.text


def as_xml_text(value):
    """A JSON value as the XML carries it."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return [as_xml_text(v) for v in value]
    if isinstance(value, dict):
        return {k: as_xml_text(v) for k, v in value.items()}
    return str(value)


def check_xml_matches_json(xml_body: bytes, root: str, json_data) -> None:
    """The XML document has the spec's root and holds exactly the JSON's content."""
    element = parse_xml(xml_body)
    assert element.tag == root, f"root <{element.tag}>, expected <{root}>"
    read, expected = from_xml(element), as_xml_text(json_data)
    assert read == expected
    assert json.dumps(read) == json.dumps(expected), "elements are not in the spec's order"
