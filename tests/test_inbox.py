"""The department inbox over HTTP: scoping, filters, overdue, every workflow move through the
forms, promised dates, notes, answers, bulk actions, history in people's words."""

import re
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import comment_item
from walkapp import workflow
from walkapp.extensions import db
from walkapp.labels import STATUS
from walkapp.models import STATUSES, Comment, StatusChange

IN_PARK = [15.267, 57.147]


@pytest.fixture
def pins(world, device):
    """pins(n, **overrides) → ids of n inputs synced by one phone (routed to streets)."""
    def make(n=1, **overrides):
        items = [comment_item(**overrides) for _ in range(n)]
        results = device.sync(*items).get_json()["results"]
        assert all(r["comment_status"] == "routed" for r in results), results
        return [i["id"] for i in items]
    return make


@pytest.fixture
def clerk(sign_in_as, world):
    return sign_in_as("department", "streets")


def load(app, cid) -> Comment:
    with app.app_context():
        c = db.session.get(Comment, uuid.UUID(cid))
        db.session.expunge(c)
        return c


def set_fields(app, cid, **fields):
    with app.app_context():
        c = db.session.get(Comment, uuid.UUID(cid))
        for k, v in fields.items():
            setattr(c, k, v)
        db.session.commit()


def history(app, cid) -> list[tuple]:
    with app.app_context():
        return [(r.action, r.from_status, r.status, r.public_text, r.note) for r in
                db.session.scalars(select(StatusChange).where(
                    StatusChange.comment_id == uuid.UUID(cid)).order_by(StatusChange.id))]


def text(resp) -> str:
    return resp.get_data(as_text=True)


def errors(resp) -> list[str]:
    """Messages beside the fields (the filter form)."""
    return re.findall(r'<p class="error"[^>]*>(.*?)</p>', text(resp))


def problems(resp) -> list[str]:
    """The summary at the top of a refused input page (the field may not be on the page)."""
    return [re.sub(r"<[^>]+>", "", m) for m in
            re.findall(r'<li class="problem">(.*?)</li>', text(resp))]


# --- the list ------------------------------------------------------------------------------

def test_department_lands_on_its_inbox_and_sees_only_its_inputs(app, clerk, pins, device):
    mine = pins(2)
    set_fields(app, mine[1], hidden_at=datetime.now(UTC), hidden_reason="Personuppgifter")
    theirs = comment_item(category="parks", location={"type": "Point", "coordinates": IN_PARK},
                          text="Parkens bänk är trasig")
    device.sync(theirs)
    page = text(clerk.get("/inbox/"))
    assert page.count('name="ids"') == 2
    for cid in mine:
        assert f"/inbox/{cid}" in page
    assert theirs["id"] not in page and "Parkens bänk" not in page
    # labels, not stored values; an age and a local time
    assert "Sent to the department" in page and ">routed<" not in page
    assert "Question · Roads and traffic" in page and "Arrived" in page and " ago" in page
    assert 'href="/inbox/"' in page  # the staff menu links the inbox
    assert page.count("Hidden from the public") == 1  # staff still see it, flagged
    item = text(clerk.get(f"/inbox/{mine[1]}"))
    assert "Hidden from the public by the officials." in item and "Personuppgifter" in item


def test_sign_in_lands_on_the_inbox(client, make_user):
    from tests.conftest import csrf_token

    email, password = make_user("department", department="streets")
    resp = client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": csrf_token(client)})
    assert resp.headers["Location"] == "/inbox/"


def test_another_departments_input_is_404_and_untouched(app, sign_in_as, pins):
    (cid,) = pins()
    parks = sign_in_as("department", "parks")
    ghost = str(uuid.uuid4())
    for target in (cid, ghost):  # the same answer whether it exists or not
        assert parks.get(f"/inbox/{target}").status_code == 404
        for action, data in [("status", {"status": "acknowledged"}),
                             ("promise", {"promised_on": "2099-01-01"}),
                             ("answer", {"public_text": "Vi tar det"}),
                             ("note", {"note": "Hm"})]:
            assert parks.post(f"/inbox/{target}/{action}", data=data).status_code == 404
    resp = parks.post("/inbox/bulk", data={"action": "acknowledge", "ids": [cid]})
    assert resp.status_code == 400 and "no longer in your inbox" in text(resp)
    assert load(app, cid).status == "routed" and len(history(app, cid)) == 1


def test_filters(app, clerk, pins, device):
    (road,) = pins(text="Potthål på Storgatan")
    (idea,) = pins(kind="idea", category="lighting", text="Fler lampor vid skolan 100%")
    (done,) = pins(text="Klart ärende")
    set_fields(app, done, status="done")

    def ids(query=""):
        page = text(clerk.get("/inbox/" + query))
        return set(re.findall(r'name="ids" value="([0-9a-f-]{36})"', page))

    assert ids() == {road, idea}  # still to deal with: done is not in it
    assert ids("?status=all") == {road, idea, done}
    assert ids("?status=done") == {done}
    assert ids("?kind=idea") == {idea}
    assert ids("?category=lighting") == {idea}
    assert ids("?walk=aseda7") == {road, idea}
    assert ids("?walk=CLOSED1") == set()
    assert ids("?q=storgatan") == {road}
    assert ids("?q=100%25") == {idea}  # % is text, not a wildcard
    assert ids("?q=l%25r") == set()  # as a wildcard it would match "lampor"
    resp = clerk.get("/inbox/?status=bogus&category=nope")
    assert resp.status_code == 400
    assert errors(resp) == ["Choose a status from the list.", "Choose a category from the list."]


def test_overdue_first_and_flagged_in_words(app, clerk, pins):
    fresh, old, promised_late, promised_ok = pins(4)
    now = datetime.now(UTC)
    set_fields(app, old, received_at=now - timedelta(days=40))
    set_fields(app, promised_late, promised_on=date.today() - timedelta(days=2))
    set_fields(app, promised_ok, received_at=now - timedelta(days=60),
               promised_on=date.today() + timedelta(days=5))
    page = text(clerk.get("/inbox/"))
    order = re.findall(r'name="ids" value="([0-9a-f-]{36})"', page)
    assert set(order[:2]) == {old, promised_late}  # overdue first
    assert order[2:] == [promised_ok, fresh]       # then the soonest promised date
    assert page.count("Overdue: it was due") == 2 and "2 overdue" in page
    assert "Promised by" in page and "Due " in page
    overdue = re.findall(r'name="ids" value="([0-9a-f-]{36})"',
                         text(clerk.get("/inbox/?overdue=1")))
    assert set(overdue) == {old, promised_late}


def test_overdue_clause_agrees_with_is_overdue(app, ctx, pins):
    ids = pins(6)
    tz, days = "Europe/Stockholm", 21
    today = date(2026, 6, 1)
    # around the boundary: local midnight of (today - days) in Stockholm is 22:00 UTC before
    arrivals = [datetime(2026, 5, 10, 21, 59, tzinfo=UTC), datetime(2026, 5, 10, 22, 0, tzinfo=UTC),
                datetime(2026, 5, 10, 22, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC),
                datetime(2026, 5, 30, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC)]
    for cid, at in zip(ids, arrivals, strict=True):
        c = db.session.get(Comment, uuid.UUID(cid))
        c.received_at = at
    db.session.get(Comment, uuid.UUID(ids[-1])).promised_on = today
    db.session.commit()
    rows = db.session.scalars(select(Comment)).all()
    expected = {str(c.id) for c in rows if workflow.is_overdue(c, today, days, tz)}
    got = {str(i) for i in db.session.scalars(
        select(Comment.id).where(workflow.overdue_clause(today, days, tz)))}
    assert got == expected == {ids[0], ids[3]}


def test_paging(app, clerk, pins, monkeypatch):
    from walkapp.inbox import routes

    monkeypatch.setattr(routes, "PAGE_SIZE", 2)
    pins(5)
    first = text(clerk.get("/inbox/"))
    assert "page 1 of 3" in first and 'rel="next"' in first
    last = text(clerk.get("/inbox/?page=9"))  # past the end: the last page
    assert last.count('name="ids"') == 1 and "page 3 of 3" in last
    assert clerk.get("/inbox/?page=x").status_code == 400


# --- one input: every move through the form -----------------------------------------------

def test_every_transition_through_the_form(app, clerk, pins):
    """Every (from, to) pair of statuses: legal ones are saved with a history row, illegal
    ones refused with a message naming both statuses as labels; nothing else changes."""
    (cid,) = pins()
    legal = {(a, b) for a, moves in workflow.DEPARTMENT_MOVES.items() for b in moves}

    def state():
        with app.app_context():
            rows = history(app, cid)
            return db.session.get(Comment, uuid.UUID(cid)).status, len(rows), rows[-1]

    rows = 1  # the router's
    for start in STATUSES:
        for to in STATUSES:
            set_fields(app, cid, status=start)
            resp = clerk.post(f"/inbox/{cid}/status", data={
                "status": to, "expected": start, "public_text": "Svar till invånaren",
                "note": "Orsak"})
            status, count, last = state()
            if (start, to) in legal:
                assert resp.status_code == 302, (start, to, problems(resp))
                rows += 1
                assert (status, count) == (to, rows)
                assert last == ("status", start, to, "Svar till invånaren", "Orsak")
            else:
                assert resp.status_code == 400, (start, to)
                assert (status, count) == (start, rows)
                assert problems(resp) == [f"An input that is “{STATUS[start]}” cannot become "
                                          f"“{STATUS[to]}”."]


def test_refused_move_names_labels_and_keeps_what_was_typed(app, clerk, pins):
    (cid,) = pins()
    set_fields(app, cid, status="done")
    resp = clerk.post(f"/inbox/{cid}/status", data={"status": "acknowledged", "expected": "done",
                                                    "note": "Mitt utkast"})
    assert problems(resp) == ["An input that is “Done” cannot become “Acknowledged”."]
    assert "Mitt utkast</textarea>" in text(resp)
    assert 'aria-invalid="true" aria-describedby="status-status-error"' in text(resp)
    assert '<p class="error" id="status-status-error">An input that is' in text(resp)


@pytest.mark.parametrize(("to", "field", "message"), [
    ("done", "public_text", "Write the answer the resident will see."),
    ("wont_do", "public_text", "Write the answer the resident will see."),
    ("not_ours", "note", "Say why this is not yours, so the officials can reroute it."),
])
def test_required_texts(app, clerk, pins, to, field, message):
    (cid,) = pins()
    other = "note" if field == "public_text" else "public_text"
    resp = clerk.post(f"/inbox/{cid}/status", data={
        "status": to, "expected": "routed", field: "   ", other: "Kvar i rutan"})
    assert resp.status_code == 400 and problems(resp) == [message]
    assert "Kvar i rutan</textarea>" in text(resp)  # nothing typed is lost
    assert load(app, cid).status == "routed"


def test_not_ours_goes_back_to_the_officials(app, clerk, pins, sign_in_as):
    (cid,) = pins()
    resp = clerk.post(f"/inbox/{cid}/status", data={
        "status": "not_ours", "expected": "routed", "note": "Statlig väg: Trafikverket"})
    assert resp.status_code == 302
    c = load(app, cid)
    assert c.status == "not_ours" and c.answer is None
    page = text(clerk.get(f"/inbox/{cid}"))
    assert "Not ours, back for rerouting" in page and "Statlig väg: Trafikverket" in page
    assert 'id="answer-form"' not in page and 'id="status-form"' not in page
    assert "not yours to answer" in text(clerk.post(f"/inbox/{cid}/answer",
                                                    data={"public_text": "Hej"}))


def test_a_form_filled_in_before_someone_else_changed_the_input(app, clerk, pins):
    (cid,) = pins()
    set_fields(app, cid, status="done")  # a colleague closed it meanwhile
    resp = clerk.post(f"/inbox/{cid}/status", data={"status": "in_progress",
                                                    "expected": "routed"})
    assert resp.status_code == 400
    assert problems(resp) == ["Someone changed this input meanwhile: it is now “Done”. "
                            "Check it and try again."]
    assert load(app, cid).status == "done"


def test_history_in_words_and_local_time(app, clerk, pins):
    (cid,) = pins()
    clerk.post(f"/inbox/{cid}/status", data={"status": "acknowledged", "expected": "routed"})
    with app.app_context():  # pin the row's time: 10:05 UTC is 12:05 in Stockholm in June
        row = db.session.scalars(select(StatusChange).where(
            StatusChange.action == "status")).one()
        row.created_at = datetime(2026, 6, 1, 10, 5, tzinfo=UTC)
        db.session.commit()
    page = text(clerk.get(f"/inbox/{cid}"))
    assert "Status changed" in page and "from “Sent to the department” to “Acknowledged”" in page
    assert ">6/1/26, 12:05" in page and ">6/1/26, 10:05" not in page
    assert "Routed" in page and "Gata/park" in page  # the router's row names the department


# --- promised date, notes, answers ---------------------------------------------------------

def test_promised_date(app, clerk, pins, device):
    (cid,) = pins()
    today = workflow.local_today(datetime.now(UTC), "Europe/Stockholm")
    bad = [("", "Choose a date."), ("31/12/2026", "Give the date as YYYY-MM-DD, e.g. 2026-06-30."),
           ((today - timedelta(days=1)).isoformat(), "The promised date cannot be in the past."),
           ((today + timedelta(days=5000)).isoformat(),
            "The promised date is more than three years ahead.")]
    for value, message in bad:
        resp = clerk.post(f"/inbox/{cid}/promise", data={"promised_on": value})
        assert resp.status_code == 400 and problems(resp) == [message], value
    on = today + timedelta(days=10)
    resp = clerk.post(f"/inbox/{cid}/promise", data={"promised_on": on.isoformat()})
    assert resp.status_code == 302 and load(app, cid).promised_on == on
    assert clerk.post(f"/inbox/{cid}/promise", data={"promised_on": today.isoformat()}
                      ).status_code == 302  # today is not the past
    app.config["FEED_SETTLE_SECONDS"] = 0
    feed = device.get("/api/v1/devices/me/comments").get_json()["comments"]
    assert feed[0]["promised_at"] == today.isoformat()
    page = text(clerk.get(f"/inbox/{cid}"))
    assert "Promised date" in page and "Remove the promised date" in page
    assert clerk.post(f"/inbox/{cid}/promise", data={"clear": "1"}).status_code == 302
    assert load(app, cid).promised_on is None
    set_fields(app, cid, status="done")
    resp = clerk.post(f"/inbox/{cid}/promise", data={"promised_on": on.isoformat()})
    assert problems(resp) == ["Only an input still to be dealt with can get a promised date; "
                            "this one is “Done”."]


def test_note_stays_internal_and_answer_reaches_the_resident(app, clerk, pins, device):
    (cid,) = pins()
    assert problems(clerk.post(f"/inbox/{cid}/note", data={"note": " "})) == ["Write the note."]
    assert clerk.post(f"/inbox/{cid}/note", data={"note": "Ring entreprenören"}
                      ).status_code == 302
    long = "x" * (workflow.MAX_TEXT + 1)
    assert problems(clerk.post(f"/inbox/{cid}/answer", data={"public_text": long})) == [
        "Keep it under 5000 characters."]
    written = "Tack! Vi lagar hålet vecka 23.\nHälsningar, Gata/park"
    assert clerk.post(f"/inbox/{cid}/answer", data={"public_text": written}).status_code == 302
    c = load(app, cid)
    assert c.status == "routed" and c.answer == written  # no status change, stored as written
    assert [h[0] for h in history(app, cid)] == ["route", "note", "answer"]
    app.config["FEED_SETTLE_SECONDS"] = 0
    (feed,) = device.get("/api/v1/devices/me/comments").get_json()["comments"]
    assert [r["text"] for r in feed["responses"]] == [written]
    assert "Ring entreprenören" not in str(feed)
    page = text(clerk.get(f"/inbox/{cid}"))
    assert "Internal note" in page and "Ring entreprenören" in page and "Public answer" in page
    assert "Answered" in text(clerk.get("/inbox/"))


def test_forms_need_csrf(app, clerk, pins):
    (cid,) = pins()
    resp = clerk.client.post(f"/inbox/{cid}/status", data={"status": "acknowledged"})
    assert resp.status_code == 400 and load(app, cid).status == "routed"


# --- bulk ----------------------------------------------------------------------------------

def test_bulk_acknowledge_all(app, clerk, pins):
    ids = pins(3)
    resp = clerk.post("/inbox/bulk", data={"action": "acknowledge", "ids": ids,
                                           "back": "kind=question"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/inbox/?kind=question"
    assert {load(app, i).status for i in ids} == {"acknowledged"}
    assert "3 inputs acknowledged." in text(clerk.get("/inbox/"))


def test_bulk_is_all_or_nothing_and_reports_the_refused(app, clerk, pins):
    ids = pins(3, text="Samma sak")
    set_fields(app, ids[1], status="done")
    resp = clerk.post("/inbox/bulk", data={"action": "acknowledge", "ids": ids})
    assert resp.status_code == 400
    page = text(resp)
    assert "Nothing was changed: 1 of the selected inputs was refused." in page
    assert "An input that is “Done” cannot become “Acknowledged”." in page
    assert f'href="/inbox/{ids[1]}">Samma sak</a>' in page
    assert [load(app, i).status for i in ids] == ["routed", "done", "routed"]
    assert page.count('checked>') >= 2  # the selection is kept
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StatusChange).where(
            StatusChange.action != "route")) == 0


def test_bulk_promise(app, clerk, pins):
    ids = pins(2)
    on = date.today() + timedelta(days=14)
    resp = clerk.post("/inbox/bulk", data={"action": "promise", "ids": ids,
                                           "promised_on": on.isoformat()})
    assert resp.status_code == 302
    assert [load(app, i).promised_on for i in ids] == [on, on]
    resp = clerk.post("/inbox/bulk", data={"action": "promise", "ids": ids,
                                           "promised_on": "2001-01-01"})
    assert resp.status_code == 400
    assert "Nothing was changed: 2 of the selected inputs were refused" in text(resp)
    assert "The promised date cannot be in the past." in text(resp)


@pytest.mark.parametrize(("data", "message"), [
    ({"action": "acknowledge"}, "Select at least one input first."),
    ({"action": "acknowledge", "ids": ["not-an-id"]}, "The selection is not valid."),
    ({"action": "explode", "ids": [str(uuid.uuid4())]}, "Choose what to do with the selected"),
    ({"action": "promise", "ids": [str(uuid.uuid4())], "promised_on": ""}, "Choose a date."),
])
def test_bulk_bad_requests(app, clerk, world, data, message):
    resp = clerk.post("/inbox/bulk", data=data)
    assert resp.status_code == 400 and message in text(resp)


# --- languages -------------------------------------------------------------------------------

@pytest.mark.parametrize(("lang", "words"), [
    ("sv", ["Inkorg", "Skickad till ansvarig förvaltning", "Fråga"]),
    ("da", ["Indbakke", "Sendt til den ansvarlige afdeling", "Spørgsmål"]),
    ("en", ["Inbox", "Sent to the department", "Question"]),
])
def test_inbox_in_three_languages(app, sign_in_as, pins, lang, words):
    (cid,) = pins()
    staff = sign_in_as("department", "streets", lang=lang)
    for url in ("/inbox/", f"/inbox/{cid}"):
        page = text(staff.get(url))
        assert f'<html lang="{lang}">' in page
        for word in words:
            assert word in page, (url, word)
