"""Invitations: made in bulk, downloaded once as letters and links, stored only as hashes."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext
from pypdf import PdfReader

from surveyapp.extensions import db
from surveyapp.models import AuditEntry, Invitation, Response, SurveyRound
from surveyapp.surveys import rounds
from surveyapp.surveys.letters import QR_QUIET_ZONE, qr_matrix
from surveyapp.surveys.tokens import hash_token
from tests.job_helpers import job_id_of, wait_for_job

OPENS = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
CLOSES = datetime(2030, 5, 13, 20, 0, tzinfo=UTC)


def in_english(client: FlaskClient) -> FlaskClient:
    """Staff pages in English, so tests can look for the English messages."""
    client.get("/language/en")
    return client


@pytest.fixture
def admin(
    questionnaires: None,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    worker: Any,
) -> FlaskClient:
    return in_english(login(make_user("admin")))


@pytest.fixture
def invitation_round(make_round: Callable[..., SurveyRound]) -> SurveyRound:
    return make_round(
        access="invitation",
        status="draft",
        opens_at=OPENS,
        closes_at=CLOSES,
    )


class Download:
    """The unpacked ZIP of an invitation download."""

    def __init__(self, response: Any) -> None:
        assert response.status_code == 200, response.get_data(as_text=True)[:2000]
        assert response.mimetype == "application/zip"
        self.disposition = response.headers["Content-Disposition"]
        archive = zipfile.ZipFile(io.BytesIO(response.data))
        assert sorted(archive.namelist()) == ["brev.pdf", "lenker.csv"]
        self.csv_bytes = archive.read("lenker.csv")
        self.rows = list(csv.reader(io.StringIO(self.csv_bytes.decode("utf-8-sig"))))
        self.links = [link for _number, link in self.rows[1:]]
        self.pdf = PdfReader(io.BytesIO(archive.read("brev.pdf")))

    def page_text(self, number: int) -> str:
        return self.pdf.pages[number].extract_text()


def _invite(client: FlaskClient, survey_round: SurveyRound, count: int, **extra: str) -> Any:
    return client.post(
        f"/rounds/{survey_round.id}/invitations", data={"count": str(count), **extra}
    )


def _make(client: FlaskClient, survey_round: SurveyRound, count: int, **extra: str) -> Any:
    """Ask for invitations, let the worker make them, and download the file."""
    job_id = job_id_of(_invite(client, survey_round, count, **extra))
    job = wait_for_job(job_id)
    assert job.status == "done", job.message
    response = client.get(f"/jobs/{job_id}/download")
    response.get_data()  # read it all, then close the file the download streams from
    response.close()
    return response


def _invitations(survey_round: SurveyRound) -> list[Invitation]:
    return list(
        db.session.scalars(sa.select(Invitation).where(Invitation.round_id == survey_round.id))
    )


def test_invitations_download_as_zip_with_links_and_letters(
    admin: FlaskClient, app: Any, invitation_round: SurveyRound
) -> None:
    download = Download(_make(admin, invitation_round, 5))

    today = datetime.now(ZoneInfo("Europe/Oslo")).date().isoformat()
    expected = f"invitasjoner-5501-{invitation_round.slug}-{today}.zip"
    assert download.disposition == f"attachment; filename={expected}"
    assert download.csv_bytes.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark
    assert download.rows[0] == ["number", "link"]
    assert [number for number, _link in download.rows[1:]] == ["1", "2", "3", "4", "5"]
    prefix = f"{app.config['SURVEYAPP_BASE_URL']}/i/"
    assert all(link.startswith(prefix) for link in download.links)

    tokens = [link.removeprefix(prefix) for link in download.links]
    stored = _invitations(invitation_round)
    assert sorted(i.token_hash for i in stored) == sorted(hash_token(t) for t in tokens)
    assert {i.municipality_code for i in stored} == {"5501"}


def test_raw_tokens_are_stored_nowhere(admin: FlaskClient, invitation_round: SurveyRound) -> None:
    download = Download(_make(admin, invitation_round, 3))
    tokens = [link.rsplit("/", 1)[1] for link in download.links]

    for table in ("invitation", "audit_entry"):
        rows = db.session.execute(sa.text(f"SELECT * FROM {table}")).all()
        dump = repr(rows)
        assert rows
        for token in tokens:
            assert token not in dump, table
    (entry,) = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "generate_invitations")
    )
    assert entry.new_value == {"municipality": "5501", "count": 3}


def test_letters_pdf_has_one_page_per_invitation_with_its_link(
    admin: FlaskClient, invitation_round: SurveyRound
) -> None:
    download = Download(_make(admin, invitation_round, 4))

    assert len(download.pdf.pages) == 4
    first = download.page_text(0)
    assert download.links[0] in first
    assert download.links[1] not in first
    assert download.links[3] in download.page_text(3)
    assert "Tromsø" in first  # the Unicode font draws æøå
    width, height = download.pdf.pages[0].mediabox.upper_right
    assert (round(float(width)), round(float(height))) == (595, 842)  # A4


def _drawn_qr(page: Any) -> list[list[int]]:
    """Rebuild the QR modules a letter draws (whole-module rectangles, bottom row first)."""
    content = page.get_contents().get_data().decode("latin-1")
    rects = [tuple(map(int, m)) for m in re.findall(r"(\d+) (\d+) (\d+) 1 re", content)]
    assert rects
    size = max(x + width for x, _y, width in rects) + QR_QUIET_ZONE
    grid = [[0] * size for _ in range(size)]
    for x, y, width in rects:
        for column in range(x, x + width):
            grid[size - 1 - y][column] = 1
    inner = slice(QR_QUIET_ZONE, size - QR_QUIET_ZONE)
    return [row[inner] for row in grid[inner]]


def test_each_letter_draws_the_qr_code_of_its_own_link(
    admin: FlaskClient, invitation_round: SurveyRound
) -> None:
    download = Download(_make(admin, invitation_round, 2))
    for number, link in enumerate(download.links):
        drawn = _drawn_qr(download.pdf.pages[number])
        assert drawn == [list(row) for row in qr_matrix(link)]
        # Finder squares in three corners, none bottom right: the code is the right way up.
        corners = [drawn[0][:7], drawn[0][-7:], drawn[-1][:7], drawn[-1][-7:]]
        assert corners[:3] == [[1] * 7] * 3 and corners[3] != [1] * 7


def test_letters_are_in_the_rounds_language_with_the_closing_date(
    admin: FlaskClient, make_round: Callable[..., SurveyRound]
) -> None:
    english = make_round(access="invitation", language="en", opens_at=OPENS, closes_at=CLOSES)
    text = Download(_make(admin, english, 1)).page_text(0)
    assert "What do you think of the municipality" in text  # the questionnaire's English title
    assert "anonymous" in text
    assert "May 13, 2030" in text


def test_letters_follow_the_translations_of_the_rounds_language(
    admin: FlaskClient, app: Any, make_round: Callable[..., SurveyRound]
) -> None:
    nynorsk = make_round(access="invitation", language="nn", opens_at=OPENS, closes_at=CLOSES)
    text = Download(_make(admin, nynorsk, 1)).page_text(0)
    with app.test_request_context(), force_locale("nn"):
        thanks = gettext("Thank you for your help!")
    assert thanks in text
    assert "Kva synest du om servicen i kommunen?" in text  # the questionnaire's nynorsk title


def test_several_municipalities_need_a_choice(
    admin: FlaskClient, make_round: Callable[..., SurveyRound]
) -> None:
    shared = make_round(access="invitation", municipalities=["5501", "0301"])
    missing = _invite(admin, shared, 2)
    assert missing.status_code == 200 and missing.mimetype == "text/html"
    assert _invitations(shared) == []

    download = Download(_make(admin, shared, 2, municipality="0301"))

    assert "invitasjoner-0301-" in download.disposition
    assert {i.municipality_code for i in _invitations(shared)} == {"0301"}


@pytest.mark.parametrize("count", [0, 5001, -1])
def test_number_of_invitations_is_1_to_5000(
    admin: FlaskClient, invitation_round: SurveyRound, count: int
) -> None:
    response = _invite(admin, invitation_round, count)
    assert response.mimetype == "text/html"
    assert 'class="error-summary"' in response.get_data(as_text=True)
    assert _invitations(invitation_round) == []


def test_no_invitations_for_open_link_or_closed_rounds(
    admin: FlaskClient, make_round: Callable[..., SurveyRound]
) -> None:
    for survey_round in (
        make_round(access="open"),
        make_round(access="invitation", status="closed"),
    ):
        response = _invite(admin, survey_round, 2)
        assert response.status_code == 302
        assert _invitations(survey_round) == []


def test_planner_invites_only_for_their_own_municipality_in_a_shared_round(
    worker: Any,
    questionnaires: None,
    make_user: Callable[..., Any],
    login: Callable[[Any], FlaskClient],
    make_round: Callable[..., SurveyRound],
) -> None:
    client = in_english(login(make_user("planner", municipalities=["5501"])))
    shared = make_round(access="invitation", municipalities=["5501", "0301"])
    refused = _invite(client, shared, 2, municipality="0301")
    assert refused.mimetype == "text/html"
    assert _invitations(shared) == []
    download = Download(_make(client, shared, 2))  # their only municipality: no choice needed
    assert "invitasjoner-5501-" in download.disposition


def test_detail_page_warns_and_shows_the_response_rate(
    admin: FlaskClient, invitation_round: SurveyRound
) -> None:
    before = admin.get(f"/rounds/{invitation_round.id}").get_data(as_text=True)
    assert "The links can be downloaded only once." in before
    assert f'action="/rounds/{invitation_round.id}/invitations"' in before

    Download(_make(admin, invitation_round, 4))
    first, second = _invitations(invitation_round)[:2]
    first.used = second.used = True  # two links used to start ...
    db.session.add(
        Response(
            round_id=invitation_round.id,
            municipality_code="5501",
            language="nb",
            submitted=datetime(2026, 3, 2, tzinfo=UTC),
            submission_key="k" * 64,
        )
    )  # ... and one answer sent
    db.session.commit()

    page = admin.get(f"/rounds/{invitation_round.id}").get_data(as_text=True)
    assert "Response rate: 25.0\u00a0%. 1 of 4 invited people have answered" in page
    assert "2 links have been used to start the survey." in page
    assert re.search(
        r'<td class="num">1</td>\s*<td class="num">4</td>\s*<td class="num">2</td>', page
    )


def test_the_largest_batch_is_one_insert_statement(app: Any, invitation_round: SurveyRound) -> None:
    inserts: list[str] = []

    def before_cursor_execute(_conn: Any, _cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("INSERT INTO invitation"):
            inserts.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", before_cursor_execute)
    try:
        tokens = rounds.generate_invitations(None, invitation_round, "5501", 5000)
        db.session.commit()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before_cursor_execute)

    assert len(inserts) == 1
    assert len(set(tokens)) == 5000
    stored = db.session.scalar(
        sa.select(sa.func.count(Invitation.id)).where(Invitation.round_id == invitation_round.id)
    )
    assert stored == 5000
