"""Open311 POST requests: a department's system files an input with its key; it is routed
like any other, worked by the department, and read back. Every refusal, in the spec's shape."""

import io
import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tests.conftest import TOWN, box
from tests.open311_spec import check_posted, from_xml, parse_xml
from tests.test_open311 import OPEN311, fetch, refused
from walkapp import history, workflow
from walkapp.extensions import db
from walkapp.history import Actor
from walkapp.models import Base, Comment, Municipality, StatusChange

STOCKHOLM = ZoneInfo("Europe/Stockholm")
# In town, off the estate and the park: the streets department's, for "roads".
ROAD = {"lat": "57.158", "long": "15.262"}
PERSONAL = {"email": "anna.svensson@example.org", "first_name": "Annabella",
            "last_name": "Svenssonsdotter", "phone": "+46701234567", "device_id": "tt222111",
            "account_id": "acct-98765"}


def post(client, key, fmt="json", **fields):
    data = {"api_key": key, "service_code": "roads", **ROAD,
            "description": "Potthål framför nr 12", **fields}
    return client.post(f"{OPEN311}/requests.{fmt}", data={k: v for k, v in data.items()
                                                          if v is not None})


def filed(client, key, **fields) -> str:
    resp = post(client, key, **fields)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    check_posted(resp.get_json())
    return resp.get_json()[0]["service_request_id"]


def test_round_trip(app, client, world, issue_key, monkeypatch):
    recorded = []
    real_record = history.record
    monkeypatch.setattr(history, "record", lambda *a, **kw: recorded.append(a[2]) or
                        real_record(*a, **kw))
    key = issue_key("housing")  # the housing company's case system reports a road issue
    resp = post(client, key, fmt="xml", **{"attribute[kind]": "idea"},
                address_string="Storgatan 12, Åseda", address_id="ADR-12",
                media_url="https://bilder.example.org/hal%20i%20vagen.jpg", **PERSONAL)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert "no-store" in resp.headers["Cache-Control"] and "Set-Cookie" not in resp.headers
    assert "Access-Control-Allow-Origin" not in resp.headers  # reads only
    root = parse_xml(resp.data)
    assert root.tag == "service_requests"
    (answer,) = from_xml(root)
    assert list(answer) == ["service_request_id", "service_notice"]
    rid = answer["service_request_id"]
    assert recorded == ["route"]
    made = datetime.fromisoformat(fetch(client, f"requests/{rid}", "requests")[0][
        "requested_datetime"])
    assert made.utcoffset() == STOCKHOLM.utcoffset(made.replace(tzinfo=None))
    assert abs(made - datetime.now(UTC)) < timedelta(minutes=1)

    # Routed like any other input, with its decision and its history.
    with app.app_context():
        c = db.session.get(Comment, uuid.UUID(rid))
        assert (c.source, c.walk_id, c.device_id) == ("open311", None, None)
        assert c.municipality_id == world["municipality_id"]
        assert (c.status, c.department_id, c.kind) == (
            "routed", world["departments"]["streets"], "idea")
        (decision,) = c.decisions
        assert (decision.reason, decision.department_id, decision.service_area.name) == (
            "area", world["departments"]["streets"], "Tätort")
        (route,) = c.history
        assert (route.action, route.from_status, route.status, route.author) == (
            "route", "received", "routed", "router")
        assert route.data["source"] == "open311"
        received = c.received_at
    due = (received.astimezone(STOCKHOLM).date() + timedelta(days=21)).isoformat()
    assert answer["service_notice"] == f"Skickat till Gata/park, som bör svara senast {due}."

    first = fetch(client, f"requests/{rid}", "requests")[0]
    assert first["status"] == "open" and first["agency_responsible"] == "Gata/park"
    assert first["address"] == "Storgatan 12, Åseda" and first["address_id"] == "ADR-12"
    assert first["media_url"] == "https://bilder.example.org/hal%20i%20vagen.jpg"
    assert first["description"] == "Potthål framför nr 12"

    # The department works it, as its inbox does.
    clerk = Actor(name="Gata/park", role="department",
                  department_id=world["departments"]["streets"])
    now = datetime.now(UTC).replace(microsecond=0)
    promised = now.astimezone(STOCKHOLM).date() + timedelta(days=150)  # the other DST side
    with app.app_context():
        c = db.session.get(Comment, uuid.UUID(rid))
        workflow.move(db.session, c, "acknowledged", clerk, now + timedelta(hours=1))
        workflow.promise(db.session, c, promised, clerk, now + timedelta(hours=1),
                         now.astimezone(STOCKHOLM).date())
        db.session.commit()
    acknowledged = fetch(client, f"requests/{rid}", "requests")[0]
    end_of_day = datetime.combine(promised, time(23, 59, 59), tzinfo=STOCKHOLM)
    assert acknowledged["status"] == "open" and acknowledged["status_notes"] is None
    assert acknowledged["expected_datetime"] == end_of_day.isoformat()
    assert acknowledged["updated_datetime"] == (
        now + timedelta(hours=1)).astimezone(STOCKHOLM).isoformat()

    with app.app_context():
        c = db.session.get(Comment, uuid.UUID(rid))
        workflow.move(db.session, c, "done", clerk, now + timedelta(days=2),
                      public_text="Lagat med ny asfalt.", note="Entreprenör: NCC")
        db.session.commit()
    done = fetch(client, f"requests/{rid}", "requests", api_key=key)[0]
    assert (done["status"], done["status_notes"]) == ("closed", "Lagat med ny asfalt.")
    assert done["updated_datetime"] == (now + timedelta(days=2)).astimezone(
        STOCKHOLM).isoformat()
    assert done["expected_datetime"] == end_of_day.isoformat()
    closed = fetch(client, "requests", "requests", status="closed")
    assert [r["service_request_id"] for r in closed] == [rid]
    assert "NCC" not in client.get(f"{OPEN311}/requests.xml").get_data(as_text=True)
    assert fetch(client, f"tokens/{rid}", "token") == [{"service_request_id": rid, "token": rid}]


def test_personal_data_is_dropped_unread(app, client, world, issue_key, caplog):
    rid = filed(client, issue_key(), **PERSONAL)
    bodies = [client.get(f"{OPEN311}/requests/{rid}.{fmt}").get_data(as_text=True)
              for fmt in ("json", "xml")]
    with app.app_context():
        stored = [repr(row) for table in Base.metadata.sorted_tables
                  for row in db.session.execute(select(table)).all()]
    for value in PERSONAL.values():
        assert not any(value in text for text in [*stored, *bodies, caplog.text]), value


def test_an_input_posted_twice_is_filed_once(app, client, world, issue_key):
    key = issue_key()
    first, again = filed(client, key), filed(client, key)  # a retry after a lost response
    assert first == again
    other = filed(client, key, description="Ett annat potthål")
    assert other != first
    assert filed(client, issue_key("streets")) not in (first, other)  # another system's own
    with app.app_context():
        assert db.session.query(Comment).count() == 3
        assert db.session.query(StatusChange).count() == 3


def test_parameters_may_come_in_the_query_string(client, world, issue_key):
    key = issue_key()
    resp = client.post(f"{OPEN311}/requests.json?api_key={key}&service_code=lighting"
                       "&lat=57.15&long=15.27")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    check_posted(resp.get_json())


def test_no_department_answers_and_no_fallback(app, client, world, issue_key):
    with app.app_context():
        db.session.get(Municipality, world["municipality_id"]).fallback_department_id = None
        db.session.commit()
    resp = post(client, issue_key(), service_code="other", lat="57.0", long="15.5",
                lang="en")
    assert resp.status_code == 200
    assert resp.get_json()[0]["service_notice"] == (
        "Received; it will be sent on to whoever is responsible.")
    rid = resp.get_json()[0]["service_request_id"]
    data = fetch(client, f"requests/{rid}", "requests")[0]
    assert data["status"] == "open" and data["agency_responsible"] is None
    with app.app_context():
        c = db.session.get(Comment, uuid.UUID(rid))
        assert c.status == "received" and c.decisions[0].reason == "fallback"


# --- refusals ------------------------------------------------------------------------------

REFUSALS = [  # (what the POST changes, status, words the description must hold)
    ({"api_key": None}, 403, ["api_key was not provided"]),
    ({"api_key": "o311_guessed"}, 403, ["Invalid api_key"]),
    ({"jurisdiction_id": "annanby"}, 403, ["annanby"]),
    ({"service_code": None}, 400, ["service_code"]),
    ({"service_code": "potholes"}, 404, ["potholes"]),
    ({"lat": None, "long": None}, 400, ["lat and long", "location"]),
    ({"lat": None, "long": None, "address_string": "Storgatan 12"}, 400,
     ["lat and long are required", "no geocoder", "address_string"]),
    ({"lat": None, "long": None, "address_id": "ADR-12"}, 400, ["address_id"]),
    ({"long": None}, 400, ["long was not provided"]),
    ({"lat": "91"}, 400, ["lat must be between -90 and 90"]),
    ({"long": "nan"}, 400, ["long must be a decimal number"]),
    ({"lat": "57,15"}, 400, ["lat"]),
    ({"description": "x" * 4001}, 400, ["description", "4000"]),
    ({"description": "nul\x00byte"}, 400, ["description", "control"]),
    ({"address_string": "a\x07b"}, 400, ["address_string"]),
    ({"media_url": "ftp://example.org/a.jpg"}, 400, ["media_url"]),
    ({"media_url": "https://example.org/bild på väg.jpg"}, 400, ["media_url"]),
    ({"media_url": "/relative.jpg"}, 400, ["media_url"]),
    ({"attribute[colour]": "red"}, 400, ["attribute[colour]", "roads"]),
    ({"attribute[kind]": "complaint"}, 400, ["attribute[kind]", "question, opinion, idea"]),
    ({"attribute[kind][]": "idea"}, 400, ["attribute[kind] takes one value"]),
    ({"lang": "de"}, 400, ["lang"]),
]


def test_refusals_name_what_is_wrong_and_write_nothing(app, client, world, issue_key):
    from walkapp import api_keys

    key = issue_key()
    for fields, status, mentions in REFUSALS:  # one world for all: nothing is ever written
        data = {"api_key": key, "service_code": "roads", **ROAD, **fields}
        refused(client, "POST", "requests", status, *mentions,
                data={k: v for k, v in data.items() if v is not None})
    with app.app_context():
        assert db.session.query(Comment).count() == 0
        api_keys.revoke(api_keys.find(db.session, key), datetime.now(UTC))
        db.session.commit()
    refused(client, "POST", "requests", 403, "revoked",
            data={"api_key": key, "service_code": "roads", **ROAD})


def test_outside_the_jurisdiction(app, client, world, issue_key):
    with app.app_context():
        db.session.get(Municipality, world["municipality_id"]).boundary = box(*TOWN)
        db.session.commit()
    refused(client, "POST", "requests", 400, "outside jurisdiction 'testby'",
            data={"api_key": issue_key(), "service_code": "roads", "lat": "57.5",
                  "long": "15.5"})
    assert post(client, issue_key()).status_code == 200


def test_bodies_that_are_not_a_small_form(app, client, world, issue_key):
    key = issue_key()
    refused(client, "POST", "requests", 400, "application/x-www-form-urlencoded",
            json={"api_key": key, "service_code": "roads", **ROAD})
    refused(client, "POST", "requests", 400, "media uploads are not accepted", "media_url",
            data=lambda: {"api_key": key, "service_code": "roads", **ROAD,
                          "media": (io.BytesIO(b"\xff\xd8\xff"), "hal.jpg")},
            content_type="multipart/form-data")
    app.config["OPEN311_MAX_BODY"] = 2000
    refused(client, "POST", "requests", 413, "too large", "2000",
            data={"api_key": key, "service_code": "roads", **ROAD, "description": "x" * 3000})


def test_a_runaway_system_is_slowed_down(app, client, world, issue_key):
    app.config["RATELIMIT_OPEN311_POST"] = "2 per minute"
    key = issue_key()
    assert post(client, key).status_code == 200
    assert post(client, key, description="två").status_code == 200
    refused(client, "POST", "requests", 429, "2 per 1 minute",
            data={"api_key": key, "service_code": "roads", **ROAD})
