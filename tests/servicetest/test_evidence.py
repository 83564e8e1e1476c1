"""Notes and evidence on a contact: texts saved with the record, attachments checked by
their content and kept in the file store, downloads audited and limited to the staff who
may see the contact, deletion after the round's retention, links in the workbook."""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from openpyxl import load_workbook
from PIL import Image

from surveyapp.audit.models import AuditEntry
from surveyapp.extensions import db
from surveyapp.questionnaires.store import latest_version
from surveyapp.servicetest import attachments, evidence, operations
from surveyapp.servicetest.evidence_models import ContactAttachment, ContactEvidence
from surveyapp.servicetest.models import TestAssignment, TestRound
from surveyapp.timeutil import utcnow


@pytest.fixture
def app_config(app_config: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    return {**app_config, "SURVEYAPP_FILES_DIR": str(tmp_path / "files")}


@dataclass
class Setup:
    round_id: int
    callers: list[Any]
    files: Path


@pytest.fixture
def setup(questionnaires: None, make_user: Callable[..., Any], tmp_path: Path) -> Setup:
    callers = [make_user("caller"), make_user("caller"), make_user("caller")]
    protocol = latest_version("servicetest-protocol")
    assert protocol is not None
    test_round = operations.plan(
        None,
        title="Bevisrunde",
        protocol=protocol,
        year=2026,
        starts_on=date(2026, 9, 7),
        ends_on=date(2026, 9, 25),
        municipalities=["5501", "1804"],
        callers=[c.id for c in callers],
        seed=2,
        selection={"mode": "list"},
    )
    db.session.commit()
    return Setup(test_round.id, callers, tmp_path / "files")


def contact(setup: Setup, **where: Any) -> TestAssignment:
    query = sa.select(TestAssignment).where(TestAssignment.test_round_id == setup.round_id)
    for key, value in where.items():
        query = query.where(getattr(TestAssignment, key) == value)
    found = db.session.scalars(query.order_by(TestAssignment.id)).first()
    assert found is not None
    return found


def caller_of(setup: Setup, assignment: TestAssignment) -> Any:
    return next(c for c in setup.callers if c.id == assignment.caller_id)


def png(size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 30, 200)).save(out, "JPEG")
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def upload(client: FlaskClient, assignment_id: int, data: bytes, name: str) -> str:
    response = client.post(
        f"/calls/{assignment_id}/attachments",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture
def as_user(
    client: FlaskClient, login: Callable[[Any], FlaskClient]
) -> Callable[[Any], FlaskClient]:
    def go(user: Any) -> FlaskClient:
        login(user)
        client.get("/calls?lang=en")
        return client

    return go


# --------------------------------------------------------------------------- texts


def test_notes_and_pasted_emails_are_saved_with_the_record_and_audited(
    setup: Setup, as_user: Callable[[Any], FlaskClient]
) -> None:
    mail = contact(setup, channel="email", municipality_code="5501")
    client = as_user(caller_of(setup, mail))
    data = {
        "sent_at": "08.09.2026 10:00",
        "replied_at": "09.09.2026 11:00",
        "courtesy": "2",
        "note": "Svar fra Kari i servicetorget.",
        "email_sent": "Hei! Hva koster det?\n=2+5",
        "email_reply": "Hei, det koster 3 500 kroner.",
        "urls": "https://tromso.kommune.no/gebyr\n\n  https://tromso.kommune.no/vann  ",
    }
    html = client.post(f"/calls/{mail.id}", data=data, follow_redirects=True).get_data(as_text=True)
    kept = db.session.get(ContactEvidence, mail.id)
    assert kept is not None
    assert kept.note == "Svar fra Kari i servicetorget."
    assert kept.email_sent == "Hei! Hva koster det?\n=2+5"
    assert kept.url_list == ["https://tromso.kommune.no/gebyr", "https://tromso.kommune.no/vann"]
    assert "Svar fra Kari i servicetorget." in html  # pre-filled for editing
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "evidence")).one()
    assert entry.user_id == mail.caller_id and entry.new_value["note"] == kept.note

    bad = client.post(f"/calls/{mail.id}", data={**data, "urls": "tromso.kommune.no"}).get_data(
        as_text=True
    )
    assert "Not a web address: tromso.kommune.no." in bad
    db.session.expire_all()
    assert db.session.get(ContactEvidence, mail.id).urls.startswith("https://")  # type: ignore[union-attr]


# --------------------------------------------------------------------------- attachments


def test_png_jpeg_and_pdf_are_kept_outside_the_database(
    setup: Setup, as_user: Callable[[Any], FlaskClient]
) -> None:
    web = contact(setup, channel="web", municipality_code="5501", tester_slot=1)
    client = as_user(caller_of(setup, web))
    for data, name in ((png(), "skjerm.png"), (jpeg(), "foto.jpeg"), (PDF, "side.pdf")):
        html = upload(client, web.id, data, name)
        assert f"The file “{name}” is attached." in html
    kept = db.session.scalars(sa.select(ContactAttachment).order_by(ContactAttachment.id)).all()
    assert [(a.filename, a.content_type) for a in kept] == [
        ("skjerm.png", "image/png"),
        ("foto.jpeg", "image/jpeg"),
        ("side.pdf", "application/pdf"),
    ]
    stored = sorted(setup.files.iterdir())
    assert len(stored) == 3
    for path in stored:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert "skjerm" not in path.name and "side" not in path.name  # random names
    assert (setup.files / kept[2].storage_key).read_bytes() == PDF
    page = client.get(f"/calls/{web.id}").get_data(as_text=True)
    assert f'href="/calls/attachments/{kept[0].id}"' in page


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"GIF89a" + b"\0" * 100, "bilde.png", "Only PNG, JPEG and PDF files can be attached."),
        (b"<html><script>alert(1)</script>", "side.pdf", "Only PNG, JPEG and PDF"),
        (png()[:60], "halv.png", "The file could not be read: it seems damaged"),
        (b"%PDF-1.4\n1 0 obj", "kuttet.pdf", "The file could not be read"),
        (b"", "tom.png", "Choose a file to attach (PNG, JPEG or PDF)."),
    ],
)
def test_bad_files_get_a_clear_message(
    setup: Setup,
    as_user: Callable[[Any], FlaskClient],
    data: bytes,
    name: str,
    message: str,
) -> None:
    web = contact(setup, channel="web", municipality_code="5501", tester_slot=1)
    html = upload(as_user(caller_of(setup, web)), web.id, data, name)
    assert message in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ContactAttachment)) == 0
    assert not setup.files.exists() or not any(setup.files.iterdir())


@pytest.mark.parametrize("extra", [10 * 1024, 200 * 1024])
def test_files_over_5_mb_are_refused_while_they_stream(
    setup: Setup, as_user: Callable[[Any], FlaskClient], extra: int
) -> None:
    web = contact(setup, channel="web", municipality_code="5501", tester_slot=1)
    big = PDF + b"%" * (attachments.MAX_BYTES - len(PDF) + extra)
    html = upload(as_user(caller_of(setup, web)), web.id, big, "stor.pdf")
    # 10 kB over: the body fits the upload's request limit, the file check stops at 5 MB;
    # 200 kB over: the request itself is over the limit (413), answered on the sheet.
    assert "The file is larger than 5 MB." in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ContactAttachment)) == 0
    exactly = PDF[:-6] + b"%" * (attachments.MAX_BYTES - len(PDF)) + b"%%EOF\n"
    assert len(exactly) == attachments.MAX_BYTES
    assert "is attached" in upload(as_user(caller_of(setup, web)), web.id, exactly, "ok.pdf")


def test_other_forms_keep_the_2_mb_limit(
    setup: Setup, as_user: Callable[[Any], FlaskClient]
) -> None:
    web = contact(setup, channel="web", municipality_code="5501", tester_slot=1)
    client = as_user(caller_of(setup, web))
    response = client.post(f"/calls/{web.id}", data={"note": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413


def test_read_limited_stops_at_the_limit() -> None:
    class Endless(io.RawIOBase):
        read_calls = 0

        def read(self, size: int = -1) -> bytes:
            self.read_calls += 1
            return b"x" * size

    stream = Endless()
    with pytest.raises(attachments.AttachmentError, match="too_large"):
        attachments.read_limited(stream, 200 * 1024)  # type: ignore[arg-type]
    assert stream.read_calls == 4  # 64 kB pieces: stopped just past 200 kB


def test_downloads_are_audited_and_only_for_staff_who_may_see_the_contact(
    setup: Setup,
    as_user: Callable[[Any], FlaskClient],
    client: FlaskClient,
    make_user: Callable[..., Any],
) -> None:
    web = contact(setup, channel="web", municipality_code="5501", tester_slot=1)
    owner = caller_of(setup, web)
    upload(as_user(owner), web.id, png(), "skjerm.png")
    attachment = db.session.scalars(sa.select(ContactAttachment)).one()
    url = f"/calls/attachments/{attachment.id}"
    response = client.get(url)
    assert response.status_code == 200 and response.data == png()
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response.headers["Cache-Control"]
    client.post("/logout")

    other = next(c for c in setup.callers if c.id != owner.id)
    as_user(other)
    assert client.get(url).status_code == 403
    client.post("/logout")
    as_user(make_user("planner", municipalities=["1804"]))
    assert client.get(url).status_code == 403
    client.post("/logout")
    tromso_planner = make_user("planner", municipalities=["5501"])
    as_user(tromso_planner)
    assert client.get(url).status_code == 200
    client.post("/logout")
    assert client.get(url).status_code == 302  # to the log-in

    downloads = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "download").order_by(AuditEntry.id)
    ).all()
    assert [(d.user_id, d.entity_type, d.entity_id) for d in downloads] == [
        (owner.id, "contact_attachment", str(attachment.id)),
        (tromso_planner.id, "contact_attachment", str(attachment.id)),
    ]


def test_the_deciding_tester_sees_the_earlier_checks_evidence(
    setup: Setup, as_user: Callable[[Any], FlaskClient], client: FlaskClient
) -> None:
    first = contact(setup, channel="web", municipality_code="1804", tester_slot=1)
    second = contact(
        setup,
        channel="web",
        municipality_code="1804",
        tester_slot=2,
        scenario_code=first.scenario_code,
    )
    upload(as_user(caller_of(setup, first)), first.id, png(), "forste.png")
    client.post("/logout")
    third = next(c for c in setup.callers if c.id not in (first.caller_id, second.caller_id))
    operations.save_result(first.caller_id, first, {"found": True, "seconds": 30, "quality": 3})
    operations.save_result(second.caller_id, second, {"found": False, "seconds": 100})
    decider = operations.assign_decider(
        None, db.session.get(TestRound, setup.round_id), "1804", first.scenario_code, third.id
    )
    db.session.commit()
    attachment = db.session.scalars(sa.select(ContactAttachment)).one()
    html = as_user(third).get(f"/calls/{decider.id}").get_data(as_text=True)
    assert "Evidence from the two earlier checks" in html and "forste.png" in html
    assert client.get(f"/calls/attachments/{attachment.id}").status_code == 200
    # The second tester never sees the first tester's evidence (independent checks).
    client.post("/logout")
    as_user(caller_of(setup, second))
    assert client.get(f"/calls/attachments/{attachment.id}").status_code == 403
    assert "forste.png" not in client.get(f"/calls/{second.id}").get_data(as_text=True)


def test_removing_an_attachment_deletes_its_file(
    setup: Setup, as_user: Callable[[Any], FlaskClient]
) -> None:
    web = contact(setup, channel="web", municipality_code="5501", tester_slot=1)
    client = as_user(caller_of(setup, web))
    upload(client, web.id, png(), "feil.png")
    attachment = db.session.scalars(sa.select(ContactAttachment)).one()
    path = setup.files / attachment.storage_key
    assert path.exists()
    response = client.post(f"/calls/attachments/{attachment.id}/delete", follow_redirects=True)
    assert "The attachment is removed." in response.get_data(as_text=True)
    assert not path.exists()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ContactAttachment)) == 0
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.entity_type == "test_assignment")
    ).all()
    assert "attach" in actions and "detach" in actions


def test_attachments_are_deleted_after_the_rounds_retention(
    setup: Setup, as_user: Callable[[Any], FlaskClient]
) -> None:
    web = contact(setup, channel="web", municipality_code="5501", tester_slot=1)
    upload(as_user(caller_of(setup, web)), web.id, png(), "skjerm.png")
    attachment = db.session.scalars(sa.select(ContactAttachment)).one()
    path = setup.files / attachment.storage_key
    test_round = db.session.get(TestRound, setup.round_id)
    assert test_round is not None
    now = utcnow()
    assert evidence.delete_expired_attachments(now + timedelta(days=3650)) == 0  # not locked
    test_round.status, test_round.locked_at = "locked", now
    test_round.evidence_retention_days = 30
    db.session.commit()
    assert evidence.delete_expired_attachments(now + timedelta(days=29)) == 0
    assert path.exists()
    assert evidence.delete_expired_attachments(now + timedelta(days=30)) == 1
    db.session.commit()
    assert not path.exists()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ContactAttachment)) == 0
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "retention_delete")
    ).one()
    assert entry.new_value == {"attachments": 1, "retention_days": 30}


def workbook(client: FlaskClient, round_id: int, query: str = "") -> bytes:
    response = client.get(f"/exports/servicetest/{round_id}/workbook.xlsx{query}")
    try:
        assert response.status_code == 200
        return response.data
    finally:
        response.close()  # the workbook is sent from a temporary file


def test_the_workbook_links_the_evidence(
    setup: Setup,
    as_user: Callable[[Any], FlaskClient],
    client: FlaskClient,
    make_user: Callable[..., Any],
) -> None:
    web = contact(setup, channel="web", municipality_code="5501", tester_slot=1)
    client = as_user(caller_of(setup, web))
    upload(client, web.id, png(), "skjerm.png")
    evidence.save_evidence(web.caller_id, web, note='=HYPERLINK("x")', urls="https://a.no")
    db.session.commit()
    attachment = db.session.scalars(sa.select(ContactAttachment)).one()
    client.post("/logout")
    as_user(make_user("admin"))
    book = load_workbook(io.BytesIO(workbook(client, setup.round_id, "?lang=en")))
    sheet = book["Bevis"]
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    assert rows[0][:2] == ("5501", "Tromsø") and rows[0][5] == '=HYPERLINK("x")'
    assert sheet.cell(row=4, column=6).data_type == "s"  # text, never a formula
    link = sheet.cell(row=4, column=10)
    assert link.value == "skjerm.png"
    assert link.hyperlink is not None
    assert link.hyperlink.target == f"http://127.0.0.1:5000/calls/attachments/{attachment.id}"
    client.post("/logout")
    as_user(make_user("planner", municipalities=["1804"]))
    book = load_workbook(io.BytesIO(workbook(client, setup.round_id)))
    assert list(book["Bevis"].iter_rows(min_row=4, values_only=True)) == []
