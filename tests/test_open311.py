"""Open311 GeoReport v2 reads: every resource in JSON and XML, held to the spec's JSON Schemas
and element names; what the public and a department's key may see; every error in the
spec's shape and with the spec's status codes."""

import uuid
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import comment_item
from tests.open311_spec import (
    check_definition,
    check_discovery,
    check_errors,
    check_requests,
    check_services,
    check_token,
    check_xml_matches_json,
    from_xml,
    parse_xml,
)
from walkapp.extensions import db
from walkapp.georeport import queries
from walkapp.history import Actor, record
from walkapp.models import Comment, Department, Municipality

OPEN311 = "/open311/v2"
OFFICIAL = Actor(name="Anna", role="official")
CHECKS = {  # document → (check of the JSON, XML root element)
    "discovery": (check_discovery, "discovery"),
    "services": (check_services, "services"),
    "definition": (check_definition, "service_definition"),
    "requests": (check_requests, "service_requests"),
    "token": (check_token, "service_requests"),
}


def fetch(client, path: str, doc: str, **params):
    """GET path.json and path.xml: the JSON passes the spec's checks, the XML holds the same
    content under the spec's element names. Returns the JSON."""
    check, root = CHECKS[doc]
    resp = client.get(f"{OPEN311}/{path}.json", query_string=params)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.content_type == "application/json; charset=utf-8"
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert "Set-Cookie" not in resp.headers
    data = resp.get_json()
    check(data)
    xml = client.get(f"{OPEN311}/{path}.xml", query_string=params)
    assert xml.status_code == 200, xml.get_data(as_text=True)
    assert xml.content_type == "text/xml; charset=utf-8"
    check_xml_matches_json(xml.data, root, data)
    return data


def refused(client, method: str, path: str, status: int, *mentions: str, **kwargs) -> None:
    """Both formats answer the spec's error list with this status, naming what is wrong.
    A callable keyword argument is called for each request (a body with a file is read once)."""
    for fmt in ("json", "xml"):
        args = {k: v() if callable(v) else v for k, v in kwargs.items()}
        resp = client.open(f"{OPEN311}/{path}.{fmt}", method=method, **args)
        body = resp.get_data(as_text=True)
        assert resp.status_code == status, (fmt, resp.status_code, body)
        if fmt == "json":
            assert resp.content_type == "application/json; charset=utf-8"
            errors = resp.get_json()
        else:
            assert resp.content_type == "text/xml; charset=utf-8"
            root = parse_xml(resp.data)
            assert root.tag == "errors"
            errors = [{"code": int(e["code"]), "description": e["description"]}
                      for e in from_xml(root)]
        check_errors(errors, status)
        for word in mentions:
            assert word in errors[0]["description"], (word, errors)
        assert "<html" not in body.lower() and "Traceback" not in body


@pytest.fixture
def inputs(app, world, device):
    """Three inputs from a phone on the walk: a road (streets), a park (parks) and one on
    the housing estate (housing). Returns their ids by category."""
    made = datetime.now(UTC) - timedelta(hours=1)
    items = {
        "roads": comment_item(created_at=made.isoformat()),
        "parks": comment_item(category="parks", kind="idea", text="Fler bänkar i parken",
                              location={"type": "Point", "coordinates": [15.267, 57.147]},
                              created_at=(made - timedelta(minutes=10)).isoformat()),
        "housing": comment_item(category="housing", text="Trasig port",
                                location={"type": "Point", "coordinates": [15.274, 57.154]},
                                created_at=(made - timedelta(minutes=20)).isoformat()),
    }
    results = device.sync(*items.values()).get_json()["results"]
    assert [r["comment_status"] for r in results] == ["routed"] * 3
    return {k: v["id"] for k, v in items.items()}


def created_at(device, comment_id: str) -> datetime:
    with device.client.application.app_context():
        return db.session.get(Comment, uuid.UUID(comment_id)).created_at


def _change(app, comment_id: str, fn) -> None:
    with app.app_context():
        fn(db.session.get(Comment, uuid.UUID(comment_id)))
        db.session.commit()


# --- discovery, services, definitions ---------------------------------------------------

def test_discovery(client, world):
    data = fetch(client, "discovery", "discovery")
    endpoint = data["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://localhost/open311/v2"
    assert data["changeset"].endswith("T00:00:00Z")


def test_services_are_the_categories(client, world):
    data = fetch(client, "services", "services")
    assert [s["service_code"] for s in data] == [
        "roads", "lighting", "parks", "housing", "broadband", "other"]
    roads = data[0]
    assert roads["service_name"] == "Vägar och trafik"  # the municipality's language
    assert roads["keywords"] == "Veje og trafik, Roads and traffic"
    assert (roads["type"], roads["metadata"]) == ("realtime", True)
    english = fetch(client, "services", "services", lang="en")
    assert english[0]["service_name"] == "Roads and traffic"


def test_service_definition_offers_the_kind(client, world):
    data = fetch(client, "services/parks", "definition", lang="da")
    assert data["service_code"] == "parks"
    (kind,) = data["attributes"]
    assert (kind["code"], kind["datatype"], kind["required"], kind["order"]) == (
        "kind", "singlevaluelist", False, 1)
    assert kind["values"] == [{"key": "question", "name": "Spørgsmål"},
                              {"key": "opinion", "name": "Holdning"},
                              {"key": "idea", "name": "Idé"}]
    assert kind["description"].startswith("Hvilken")
    refused(client, "GET", "services/potholes", 404, "potholes")
    refused(client, "GET", "services", 400, "lang", query_string={"lang": "fi"})


def test_a_service_without_attributes_has_no_definition(client, world, monkeypatch):
    # No category lacks the kind today; the spec's rule for one that would: metadata false,
    # and its definition is a 404.
    monkeypatch.setattr("walkapp.georeport.services.attributes_for", lambda c: [])
    assert fetch(client, "services", "services")[0]["metadata"] is False
    refused(client, "GET", "services/roads", 404, "roads", "metadata is false")


# --- jurisdictions ------------------------------------------------------------------------

def test_jurisdiction_is_optional_for_one_and_required_for_several(app, client, world):
    fetch(client, "services", "services", jurisdiction_id="testby")
    refused(client, "GET", "services", 404, "nowhere",
            query_string={"jurisdiction_id": "nowhere"})
    with app.app_context():
        db.session.add(Municipality(slug="annanby", name="Annanby kommun"))
        db.session.commit()
    refused(client, "GET", "requests", 400, "jurisdiction_id", "annanby, testby")
    assert fetch(client, "services", "services", jurisdiction_id="annanby") == []


def test_no_jurisdiction_at_all(client, app):
    refused(client, "GET", "services", 404, "no jurisdiction")


# --- requests -------------------------------------------------------------------------------

def test_requests_list_every_input_with_the_spec_fields(client, inputs, device):
    data = fetch(client, "requests", "requests")
    assert [r["service_request_id"] for r in data] == [
        inputs["roads"], inputs["parks"], inputs["housing"]]  # newest first
    roads = data[0]
    assert roads["status"] == "open" and roads["status_notes"] is None
    assert (roads["service_code"], roads["service_name"]) == ("roads", "Vägar och trafik")
    assert roads["agency_responsible"] == "Gata/park"
    assert roads["description"] == comment_item()["text"]
    assert (roads["lat"], roads["long"]) == (57.158, 15.262)
    assert roads["expected_datetime"] is None and roads["media_url"] is None
    # When the resident made it, on the phone's clock, in local time with its offset; the
    # router's first routing (at the batch's arrival) is no public change.
    made = datetime.fromisoformat(roads["requested_datetime"])
    assert made == created_at(device, inputs["roads"]).replace(microsecond=0)
    assert made.utcoffset() == ZoneInfo("Europe/Stockholm").utcoffset(made.replace(tzinfo=None))
    assert roads["updated_datetime"] == roads["requested_datetime"]
    raw = client.get(f"{OPEN311}/requests.json").get_data(as_text=True)
    assert device.id not in raw and "accuracy" not in raw and "walk" not in raw


def test_request_by_id_and_by_list(client, inputs):
    one = fetch(client, f"requests/{inputs['parks']}", "requests")
    assert [r["service_request_id"] for r in one] == [inputs["parks"]]
    assert one[0]["agency_responsible"] == "Parkenheten"
    asked = [inputs["housing"], str(uuid.uuid4()), inputs["roads"]]
    listed = fetch(client, "requests", "requests", service_request_id=",".join(asked))
    assert [r["service_request_id"] for r in listed] == [inputs["housing"], inputs["roads"]]


def test_filters_by_service_status_and_date(app, client, inputs):
    by_code = fetch(client, "requests", "requests", service_code="parks,housing")
    assert {r["service_code"] for r in by_code} == {"parks", "housing"}
    _change(app, inputs["parks"], lambda c: record(
        db.session, c, "status", OFFICIAL, datetime.now(UTC), status="noted",
        public_text="Vi tar med det i parkplanen."))
    closed = fetch(client, "requests", "requests", status="closed")
    assert [(r["service_request_id"], r["status"]) for r in closed] == [
        (inputs["parks"], "closed")]
    assert closed[0]["status_notes"] == "Vi tar med det i parkplanen."
    both = fetch(client, "requests", "requests", status=["open", "closed"])
    assert len(both) == 3
    now = datetime.now(UTC)
    recent = fetch(client, "requests", "requests",
                   start_date=(now - timedelta(minutes=75)).isoformat(),
                   end_date=now.isoformat())
    assert [r["service_request_id"] for r in recent] == [inputs["roads"], inputs["parks"]]
    # An unencoded "+00:00" arrives as " 00:00" and is read as meant.
    start = (now - timedelta(minutes=75)).strftime("%Y-%m-%dT%H:%M:%S")
    assert len(fetch(client, "requests", "requests", start_date=start + " 00:00")) == 2


def test_default_window_is_ninety_days(client, world, device):
    now = datetime.now(UTC)
    old = comment_item(created_at=(now - timedelta(days=91)).isoformat())
    new = comment_item(created_at=(now - timedelta(days=89)).isoformat())
    device.sync(old, new)
    assert [r["service_request_id"] for r in fetch(client, "requests", "requests")] == [
        new["id"]]
    from_start = fetch(client, "requests", "requests",
                       start_date=(now - timedelta(days=100)).date().isoformat())
    assert [r["service_request_id"] for r in from_start] == [new["id"], old["id"]]
    # service_request_id overrides every other argument, the window too.
    assert len(fetch(client, "requests", "requests", service_request_id=old["id"],
                     status="closed")) == 1


def test_paging_caps_and_links_the_next_page(client, world, device):
    now = datetime.now(UTC)
    items = [comment_item(created_at=(now - timedelta(minutes=i)).isoformat())
             for i in range(5)]
    device.sync(*items)
    first = client.get(f"{OPEN311}/requests.json?page_size=2&status=open")
    assert [r["service_request_id"] for r in first.get_json()] == [i["id"] for i in items[:2]]
    link = first.headers["Link"]
    assert link.endswith('>; rel="next"') and "page=2" in link and "page_size=2" in link
    last = client.get(f"{OPEN311}/requests.json?page_size=2&page=3")
    assert [r["service_request_id"] for r in last.get_json()] == [items[4]["id"]]
    assert "Link" not in last.headers
    assert fetch(client, "requests", "requests", page_size=2, page=4) == []
    keyed = client.get(f"{OPEN311}/requests.json?page_size=2&api_key=" + "o311_x" * 3)
    assert keyed.status_code == 403  # a key that is sent is checked, also on reads


def test_the_spec_limits():
    assert queries.MAX_ITEMS == 1000 and timedelta(days=90) == queries.WINDOW


def test_no_answer_holds_more_than_the_cap(monkeypatch, client, world, device):
    monkeypatch.setattr(queries, "MAX_ITEMS", 3)  # the code path of 1000, with fewer inputs
    items = [comment_item() for _ in range(4)]
    device.sync(*items)
    resp = client.get(f"{OPEN311}/requests.json")
    assert len(resp.get_json()) == 3 and 'page=2' in resp.headers["Link"]
    refused(client, "GET", "requests", 400, "page_size", query_string={"page_size": 4})
    refused(client, "GET", "requests", 400, "at most 3",
            query_string={"service_request_id": ",".join(i["id"] for i in items)})


def test_request_errors(client, inputs):
    refused(client, "GET", "requests", 400, "status", query_string={"status": "pending"})
    refused(client, "GET", "requests", 400, "start_date",
            query_string={"start_date": "2026-05-20T16:00:00"})  # no time zone
    refused(client, "GET", "requests", 400, "end_date", query_string={"end_date": "yesterday"})
    refused(client, "GET", "requests", 400, "end_date",
            query_string={"end_date": "2026-02-30T10:00:00Z"})
    refused(client, "GET", "requests", 400, "90 days",
            query_string={"start_date": "2026-01-01T00:00:00Z",
                          "end_date": "2026-05-01T00:00:00Z"})
    refused(client, "GET", "requests", 400, "before start_date",
            query_string={"start_date": "2026-05-01T00:00:00Z",
                          "end_date": "2026-04-01T00:00:00Z"})
    refused(client, "GET", "requests", 400, "page", query_string={"page": "0"})
    refused(client, "GET", "requests", 400, "page_size", query_string={"page_size": "1001"})
    refused(client, "GET", "requests", 404, "potholes", query_string={"service_code": "potholes"})
    refused(client, "GET", "requests", 400, "service_request_id",
            query_string={"service_request_id": f"{inputs['roads']},42"})
    refused(client, "GET", f"requests/{uuid.uuid4()}", 404, "not found")
    refused(client, "GET", "requests/42", 404, "42")
    refused(client, "GET", "requests", 403, "api_key", query_string={"api_key": "guess"})
    # Tokens answer for POSTed requests only: a phone's input was never POSTed.
    refused(client, "GET", f"tokens/{inputs['roads']}", 404, "token")
    refused(client, "GET", "tokens/12345", 404, "12345")


# --- what never appears, and who sees what --------------------------------------------------

def test_hidden_inputs_are_public_nowhere_but_their_department_sees_them(
        app, client, inputs, issue_key):
    _change(app, inputs["roads"], lambda c: (
        setattr(c, "hidden_at", datetime.now(UTC)),
        record(db.session, c, "hide", OFFICIAL, datetime.now(UTC))))
    public = {r["service_request_id"] for r in fetch(client, "requests", "requests")}
    assert public == {inputs["parks"], inputs["housing"]}
    refused(client, "GET", f"requests/{inputs['roads']}", 404, "not found")
    listed = fetch(client, "requests", "requests", service_request_id=inputs["roads"])
    assert listed == []
    streets, housing = issue_key("streets"), issue_key("housing")
    own = fetch(client, "requests", "requests", api_key=streets)
    assert inputs["roads"] in {r["service_request_id"] for r in own}
    assert fetch(client, f"requests/{inputs['roads']}", "requests", api_key=streets)
    other = {r["service_request_id"] for r in fetch(client, "requests", "requests",
                                                   api_key=housing)}
    assert other == public
    refused(client, "GET", f"requests/{inputs['roads']}", 404, "not found",
            query_string={"api_key": housing})


def test_redacted_originals_never_leave(app, client, inputs, issue_key):
    original = comment_item()["text"]
    _change(app, inputs["roads"], lambda c: (
        setattr(c, "public_text", "Kan övergångsstället få bättre [borttaget]?"),
        record(db.session, c, "redact", OFFICIAL, datetime.now(UTC))))
    streets = issue_key("streets")
    for params in ({}, {"api_key": streets}):
        for fmt in ("json", "xml"):
            for path in ("requests", f"requests/{inputs['roads']}"):
                body = client.get(f"{OPEN311}/{path}.{fmt}", query_string=params).data
                assert original.encode() not in body
                assert b"[borttaget]" in body
    roads = fetch(client, f"requests/{inputs['roads']}", "requests")[0]
    assert roads["updated_datetime"] > roads["requested_datetime"]  # the redaction is public


def test_a_merged_duplicate_is_closed_with_the_answer_it_joined(app, client, inputs):
    now = datetime.now(UTC)
    _change(app, inputs["roads"], lambda c: record(
        db.session, c, "status", OFFICIAL, now, status="done", public_text="Lagat."))

    def merge(c):
        c.merged_into_id = uuid.UUID(inputs["roads"])
        record(db.session, c, "merge", OFFICIAL, now, status="duplicate")
    _change(app, inputs["housing"], merge)
    dup = fetch(client, f"requests/{inputs['housing']}", "requests")[0]
    assert (dup["status"], dup["status_notes"]) == ("closed", "Lagat.")


def test_text_xml_cannot_carry_is_replaced_not_a_broken_document(client, world, device):
    item = comment_item(text="Skylt\x01 borta\x0b!")
    device.sync(item)
    xml = client.get(f"{OPEN311}/requests/{item['id']}.xml")
    request = ET.fromstring(xml.data).find("request")
    assert request.findtext("description") == "Skylt\ufffd borta\ufffd!"


def test_keys_that_do_not_open_reads(app, client, world, issue_key):
    from walkapp import api_keys

    key, other, third = issue_key("streets"), issue_key("parks"), issue_key("housing")
    assert fetch(client, "requests", "requests", api_key=key) == []
    with app.app_context():
        db.session.add(Municipality(slug="annanby", name="Annanby kommun"))
        api_keys.revoke(api_keys.find(db.session, key), datetime.now(UTC))
        db.session.get(Department, world["departments"]["parks"]).active = False
        db.session.commit()
    refused(client, "GET", "requests", 403, "annanby",
            query_string={"api_key": third, "jurisdiction_id": "annanby"})
    refused(client, "GET", "requests", 403, "revoked", query_string={"api_key": key})
    refused(client, "GET", "requests", 403, "deactivated", query_string={"api_key": other})


# --- errors the app raises before or around the views -------------------------------------

def test_unknown_urls_methods_and_formats(client, world):
    refused(client, "GET", "nothing", 404, "/open311/v2/nothing")
    refused(client, "DELETE", "requests", 405, "DELETE")
    resp = client.delete(f"{OPEN311}/requests.json")
    assert "GET" in resp.headers["Allow"] and "POST" in resp.headers["Allow"]
    resp = client.get(f"{OPEN311}/requests.csv")
    assert resp.status_code == 404 and resp.content_type == "text/xml; charset=utf-8"
    assert parse_xml(resp.data).tag == "errors"


def test_an_unexpected_failure_is_a_general_service_error(client, world, monkeypatch, caplog):
    def boom(*args, **kwargs):
        raise RuntimeError("database on fire")
    monkeypatch.setattr(queries, "find", boom)
    refused(client, "GET", "requests", 400, "General service error", "reference")
    assert "database on fire" in caplog.text  # logged for us, never shown to the client
    body = client.get(f"{OPEN311}/requests.json").get_data(as_text=True)
    assert "database on fire" not in body


def test_the_spec_fields_of_open_and_closed_cover_every_status():
    from walkapp.georeport.serialize import state
    from walkapp.models import STATUSES
    from walkapp.workflow import CLOSED, OPEN

    assert set(OPEN) | set(CLOSED) == set(STATUSES) and not set(OPEN) & set(CLOSED)
    assert {s: state(s) for s in STATUSES} == {
        **dict.fromkeys(OPEN, "open"), **dict.fromkeys(CLOSED, "closed")}
