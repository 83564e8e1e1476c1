"""Invitation letters made by the background worker: progress, download, deletion, failure,
privacy, and citizens' writes going on while thousands of letters are built."""

from __future__ import annotations

import io
import os
import sqlite3
import stat
import statistics
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from surveyapp.extensions import db
from surveyapp.models import AuditEntry, Invitation, Job, SurveyRound
from tests.conftest import PROJECT_ROOT, TEST_PASSWORD
from tests.job_helpers import job_id_of, load_job, wait_for_job


def _client(app: Flask, user: Any) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 302
    client.get("/language/en")
    return client


@pytest.fixture
def invitation_round(make_round: Callable[..., SurveyRound]) -> SurveyRound:
    return make_round(access="invitation", status="open")


@pytest.fixture
def planner(app: Flask, questionnaires: None, make_user: Callable[..., Any]) -> FlaskClient:
    return _client(app, make_user("planner", municipalities=["5501"]))


def _invite(client: FlaskClient, survey_round: SurveyRound, count: int) -> str:
    return job_id_of(
        client.post(f"/rounds/{survey_round.id}/invitations", data={"count": str(count)})
    )


def _invitation_count(survey_round: SurveyRound) -> int:
    db.session.rollback()
    return int(
        db.session.scalar(
            sa.select(sa.func.count(Invitation.id)).where(Invitation.round_id == survey_round.id)
        )
        or 0
    )


def _job_files(app: Flask) -> list[Path]:
    folder = Path(app.config["SURVEYAPP_JOB_FILES_DIR"])
    return sorted(folder.iterdir()) if folder.is_dir() else []


def _download(client: FlaskClient, job_id: str) -> Any:
    response = client.get(f"/jobs/{job_id}/download")
    response.get_data()
    response.close()
    return response


@pytest.mark.storage
def test_a_job_goes_from_queued_through_progress_to_done_and_its_file_goes_after_download(
    app: Flask,
    planner: FlaskClient,
    invitation_round: SurveyRound,
    start_worker: Callable[[], Any],
) -> None:
    app.config["SURVEYAPP_JOB_DOWNLOAD_GRACE_MINUTES"] = 0
    job_id = _invite(planner, invitation_round, 1200)
    assert len(job_id) >= 22  # 128 random bits

    queued = planner.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert load_job(job_id).status == "queued"
    assert 'role="status"' in queued and "Waiting to start." in queued
    assert f'href="/jobs/{job_id}">Check again</a>' in queued  # works without JavaScript
    assert _invitation_count(invitation_round) == 0

    start_worker()
    seen: list[tuple[str, int]] = []
    deadline = time.monotonic() + 120
    while True:
        job = load_job(job_id)
        seen.append((job.status, job.progress_done))
        if job.finished or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert job.status == "done", job.message
    assert any(status == "running" and 0 < done < 1200 for status, done in seen), seen
    assert job.progress_done == job.progress_total == 1200
    assert _invitation_count(invitation_round) == 1200

    (stored,) = _job_files(app)
    assert stored.name == job.file_path
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    page = planner.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "Done. The file is ready to download." in page
    assert f'href="/jobs/{job_id}/download"' in page
    state = planner.get(f"/jobs/{job_id}/status.json").get_json()
    assert state["finished"] and state["file"] and state["done"] == 1200
    round_page = planner.get(f"/rounds/{invitation_round.id}").get_data(as_text=True)
    assert f'href="/jobs/{job_id}/download"' in round_page

    download = _download(planner, job_id)
    assert download.status_code == 200 and download.mimetype == "application/zip"
    assert download.headers["Cache-Control"] == "private, no-store"
    archive = zipfile.ZipFile(io.BytesIO(download.data))
    assert len(archive.read("lenker.csv").decode("utf-8-sig").splitlines()) == 1201
    (entry,) = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "download", AuditEntry.entity_id == job_id)
    )
    assert entry.entity_type == "job" and entry.new_value["kind"] == "invitations"

    # The file holds live links: with no grace period the worker deletes it at once.
    deadline = time.monotonic() + 30
    while stored.exists() or load_job(job_id).file_path is not None:
        assert time.monotonic() < deadline, "the downloaded file was not deleted"
        time.sleep(0.05)
    again = planner.get(f"/jobs/{job_id}/download")
    assert again.status_code == 302 and again.headers["Location"] == f"/jobs/{job_id}"
    gone = planner.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "The file is no longer available." in gone
    assert "Done. The file has been deleted." in gone


def test_a_round_closed_before_the_job_runs_fails_it_with_a_message_and_no_invitations(
    app: Flask,
    planner: FlaskClient,
    invitation_round: SurveyRound,
    start_worker: Callable[[], Any],
) -> None:
    job_id = _invite(planner, invitation_round, 3)
    db.session.execute(
        sa.update(SurveyRound).where(SurveyRound.id == invitation_round.id).values(status="closed")
    )
    db.session.commit()
    start_worker()

    job = wait_for_job(job_id)

    assert (job.status, job.message) == ("failed", "closed_is_final")
    page = planner.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "The round is closed: no more invitations can be made." in page
    assert "Download the file" not in page.split('id="job-download"')[0]
    assert _invitation_count(invitation_round) == 0
    assert _job_files(app) == []


def test_a_failure_after_the_letters_are_built_leaves_no_invitations_and_no_file(
    app: Flask,
    planner: FlaskClient,
    invitation_round: SurveyRound,
    worker: Any,
    tmp_path: Path,
) -> None:
    blocker = tmp_path / "a-file-not-a-folder"
    blocker.write_text("")
    app.config["SURVEYAPP_JOB_FILES_DIR"] = str(blocker / "job-files")  # cannot be created

    job = wait_for_job(_invite(planner, invitation_round, 20))

    assert (job.status, job.message) == ("failed", "unexpected")
    assert job.progress_done == 20  # the letters were made; writing the file failed
    assert _invitation_count(invitation_round) == 0
    assert job.file_path is None
    page = planner.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "Something went wrong, and nothing was saved." in page


def test_only_the_owner_or_an_admin_sees_and_downloads_a_job(
    app: Flask,
    questionnaires: None,
    make_user: Callable[..., Any],
    invitation_round: SurveyRound,
    worker: Any,
) -> None:
    owner = _client(app, make_user("planner", municipalities=["5501"]))
    colleague = _client(app, make_user("planner", municipalities=["5501"]))  # same municipality
    admin = _client(app, make_user("admin"))
    job_id = _invite(owner, invitation_round, 2)
    assert wait_for_job(job_id).status == "done"

    for path in (f"/jobs/{job_id}", f"/jobs/{job_id}/status.json", f"/jobs/{job_id}/download"):
        assert colleague.get(path).status_code == 404, path
    round_page = colleague.get(f"/rounds/{invitation_round.id}").get_data(as_text=True)
    assert job_id not in round_page
    assert (
        db.session.scalar(
            sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action == "download")
        )
        == 0
    )

    assert admin.get(f"/jobs/{job_id}").status_code == 200
    assert job_id in admin.get(f"/rounds/{invitation_round.id}").get_data(as_text=True)
    assert _download(owner, job_id).status_code == 200
    anonymous = app.test_client()
    assert anonymous.get(f"/jobs/{job_id}/download").status_code == 302  # to the log-in


def test_refused_requests_queue_no_job(
    planner: FlaskClient, make_round: Callable[..., SurveyRound]
) -> None:
    open_link = make_round(access="open")
    closed = make_round(access="invitation", status="closed")
    for survey_round in (open_link, closed):
        response = planner.post(f"/rounds/{survey_round.id}/invitations", data={"count": "2"})
        assert response.headers["Location"] == f"/rounds/{survey_round.id}"
    assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 0


# --------------------------------------------------------------------------- not blocked


@pytest.fixture
def worker_process(
    app: Flask, database_url: str, tmp_path: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """``flask jobs worker`` in its own process, on the test's database and queue file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEYAPP_")}
    env.update(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": app.config["SECRET_KEY"],
            "SURVEYAPP_TASK_QUEUE_URL": app.config["SURVEYAPP_TASK_QUEUE_URL"],
            "SURVEYAPP_JOB_FILES_DIR": app.config["SURVEYAPP_JOB_FILES_DIR"],
            "SURVEYAPP_QUESTIONNAIRE_DIR": app.config["SURVEYAPP_QUESTIONNAIRE_DIR"],
        }
    )
    with (tmp_path / "worker.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "surveyapp", "jobs", "worker"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_citizen_writes_are_not_blocked_while_the_worker_builds_5000_letters(
    app: Flask,
    planner: FlaskClient,
    invitation_round: SurveyRound,
    database_url: str,
    worker_process: subprocess.Popen[bytes],
) -> None:
    job_id = _invite(planner, invitation_round, 5000)
    wait_for_job(job_id, statuses=("running", "done", "failed"))
    path = database_url.removeprefix("sqlite:///")
    waits: list[float] = []
    connection = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        while load_job(job_id).status == "running":
            # Any write transaction, as a citizen's submission takes: how long until it has
            # the write lock and has committed?
            started = time.perf_counter()
            connection.execute("BEGIN IMMEDIATE")
            connection.execute(
                "INSERT INTO audit_entry (at, action, entity_type, entity_id) "
                "VALUES (CURRENT_TIMESTAMP, 'probe', 'test', 'probe')"
            )
            connection.execute("COMMIT")
            waits.append(time.perf_counter() - started)
            time.sleep(0.05)
    finally:
        connection.close()
    job = load_job(job_id)
    assert job.status == "done", job.message
    assert _invitation_count(invitation_round) == 5000
    assert len(waits) >= 10, f"only {len(waits)} writes while the job ran"
    # Building 5,000 letters takes seconds; a write waits at most for a progress update
    # or the final insert, each a few milliseconds (generous bound for a shared machine).
    assert max(waits) < 1.0, (max(waits), statistics.median(waits))
