"""walkapp/walks.py: join codes, local times across daylight saving, statuses."""

from datetime import UTC, date, datetime, time

import pytest

from walkapp import walks
from walkapp.checks import FieldError


def test_join_codes_are_unambiguous_and_unique(app, world):
    from walkapp.extensions import db

    with app.app_context():
        codes = {walks.new_join_code(db.session) for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == 6 and not set(code) & set("01ILO")


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(("day", "at", "zone", "utc"), [
    (date(2026, 5, 20), time(17, 30), "Europe/Stockholm", utc(2026, 5, 20, 15, 30)),
    (date(2026, 1, 20), time(17, 30), "Europe/Stockholm", utc(2026, 1, 20, 16, 30)),
    (date(2026, 5, 20), time(17, 30), "Europe/Copenhagen", utc(2026, 5, 20, 15, 30)),
    # 02:30 on 25 October 2026 happens twice: the first (summer time) is meant
    (date(2026, 10, 25), time(2, 30), "Europe/Stockholm", utc(2026, 10, 25, 0, 30)),
])
def test_local_time_to_utc_and_back(day, at, zone, utc):
    assert walks.to_utc(day, at, zone) == utc
    assert walks.to_local(utc, zone) == (day, at)


def test_a_skipped_hour_is_an_error():
    with pytest.raises(FieldError) as err:
        walks.to_utc(date(2026, 3, 29), time(2, 30), "Europe/Stockholm")
    assert err.value.field == "time" and "02:30 does not exist" in str(err.value)


@pytest.mark.parametrize(("day", "at", "field"),
                         [(None, time(9), "date"), (date.today(), None, "time")])
def test_date_and_time_are_required(day, at, field):
    with pytest.raises(FieldError) as err:
        walks.to_utc(day, at, "Europe/Stockholm")
    assert err.value.field == field


def test_status_moves():
    assert walks.statuses_for(None) == ("planned", "open")
    assert walks.MOVES == {"planned": ("open", "closed"), "open": ("closed",),
                           "closed": ("open",)}
