"""Outside probe: paper forms keyed late must not add responses once a round's results
are published or its late days are over (settling a double keying included)."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient

from surveyapp.extensions import db
from surveyapp.models import SurveyRound
from tests.channels.test_paper_forms import PAGE3, RECEIVED, _close, key_form, staff, stored
from tests.surveys.test_public_flow import PAGE1

__all__ = ["staff"]  # the fixture, used by name


def _differing_keyings(staff: Callable[[], FlaskClient], survey_round: SurveyRound) -> None:
    key_form(staff(), survey_round, "B-1")
    page = key_form(staff(), survey_round, "B-1", {**PAGE3, "overall": "4"})
    assert "the two keyings differ" in page


def test_settling_a_difference_after_publication_adds_no_response(
    staff: Callable[[], FlaskClient], make_round: Callable[..., SurveyRound]
) -> None:
    from surveyapp.api import publishing

    survey_round = make_round(paper_double_keying=True)
    _differing_keyings(staff, survey_round)
    _close(survey_round, days_ago=1)
    publishing.publish_survey_round(None, db.session.get(SurveyRound, survey_round.id))  # type: ignore[arg-type]
    db.session.commit()
    third = staff()
    refused = third.post(
        f"/rounds/{survey_round.id}/paper/settle/B-1", data={"choice-overall": "2"}
    )
    assert stored() == []
    page = third.get(refused.headers["Location"]).get_data(as_text=True)
    assert "results are published, so no more forms can be keyed" in page


def test_settling_a_difference_after_the_late_days_adds_no_response(
    staff: Callable[[], FlaskClient], make_round: Callable[..., SurveyRound]
) -> None:
    survey_round = make_round(paper_double_keying=True)
    _differing_keyings(staff, survey_round)
    _close(survey_round, days_ago=30)
    third = staff()
    third.post(f"/rounds/{survey_round.id}/paper/settle/B-1", data={"choice-overall": "2"})
    assert stored() == []


def test_a_second_keying_after_publication_adds_no_response(
    staff: Callable[[], FlaskClient], make_round: Callable[..., SurveyRound]
) -> None:
    from surveyapp.api import publishing

    survey_round = make_round(paper_double_keying=True)
    key_form(staff(), survey_round, "C-1")
    _close(survey_round, days_ago=1)
    second = staff()
    started = second.post(
        f"/rounds/{survey_round.id}/paper",
        data={
            "form_number": "C-1",
            "received": RECEIVED.isoformat(),
            "municipality": "5501",
            "language": "nb",
        },
    )
    assert started.status_code == 302
    publishing.publish_survey_round(None, db.session.get(SurveyRound, survey_round.id))  # type: ignore[arg-type]
    db.session.commit()
    second.post(f"/s/{survey_round.slug}/1", data=PAGE1)
    assert stored() == []


def test_replaying_the_last_page_of_a_keyed_form_stores_it_once(
    staff: Callable[[], FlaskClient], make_round: Callable[..., SurveyRound]
) -> None:
    """The last page's signed state, posted again after the form was stored (a double
    click, the back button, a replay), must not store the paper form a second time."""
    import re

    from tests.surveys.test_public_flow import PAGE2

    survey_round = make_round()
    client = staff()
    started = client.post(
        f"/rounds/{survey_round.id}/paper",
        data={"received": RECEIVED.isoformat(), "municipality": "5501", "language": "nb"},
    )
    assert started.status_code == 302
    client.post(f"/s/{survey_round.slug}/1", data=PAGE1)
    last = client.post(f"/s/{survey_round.slug}/2", data=PAGE2)
    last = client.get(last.headers["Location"]) if last.status_code == 302 else last
    found = re.search(r'name="state" value="([^"]+)"', last.get_data(as_text=True))
    assert found is not None
    posted = {**PAGE3, "state": found.group(1)}
    done = client.post(f"/s/{survey_round.slug}/3", data=posted)
    assert done.status_code == 302
    client.post(f"/s/{survey_round.slug}/3", data=posted)
    assert len(stored()) == 1


def test_a_form_cannot_be_received_years_before_the_round_opened(
    staff: Callable[[], FlaskClient], make_round: Callable[..., SurveyRound]
) -> None:
    """The date received becomes the response's time: one years before the round opened
    (a typing slip, 2016 for 2026) puts the answer outside the round's period."""
    survey_round = make_round()
    client = staff()
    refused = client.post(
        f"/rounds/{survey_round.id}/paper",
        data={"received": "2016-01-05", "municipality": "5501", "language": "nb"},
    )
    assert refused.status_code == 200
    assert "The date received cannot be before" in refused.get_data(as_text=True)
    assert stored() == []


def test_replaying_the_matching_second_keying_adds_nothing(
    staff: Callable[[], FlaskClient], make_round: Callable[..., SurveyRound]
) -> None:
    """Double keying: the second keying's last page sent again after it stored the form
    (its keyings deleted) once began a new first keying under the same form number, so a
    later keying stored the form twice. Now it is recognised by its submission key."""
    import re

    import sqlalchemy as sa

    from surveyapp.extensions import db
    from surveyapp.models import PaperKeying
    from tests.surveys.test_public_flow import PAGE2

    survey_round = make_round(paper_double_keying=True)
    key_form(staff(), survey_round, "D-4")
    second = staff()
    started = second.post(
        f"/rounds/{survey_round.id}/paper",
        data={
            "form_number": "D-4",
            "received": RECEIVED.isoformat(),
            "municipality": "5501",
            "language": "nb",
        },
    )
    assert started.status_code == 302
    second.post(f"/s/{survey_round.slug}/1", data=PAGE1)
    last = second.post(f"/s/{survey_round.slug}/2", data=PAGE2)
    last = second.get(last.headers["Location"]) if last.status_code == 302 else last
    found = re.search(r'name="state" value="([^"]+)"', last.get_data(as_text=True))
    assert found is not None
    posted = {**PAGE3, "state": found.group(1)}
    done = second.post(f"/s/{survey_round.slug}/3", data=posted)
    assert done.status_code == 302
    assert "Form D-4: both keyings agree." in second.get(done.headers["Location"]).get_data(
        as_text=True
    )
    again = second.post(f"/s/{survey_round.slug}/3", data=posted)
    assert again.status_code == 302
    assert len(stored()) == 1
    assert db.session.scalar(sa.select(sa.func.count(PaperKeying.id))) == 0
    # A third person keying the number later starts afresh, not a second copy's match.
    assert "Form D-4 is keyed once." in key_form(staff(), survey_round, "D-4")
    assert len(stored()) == 1
