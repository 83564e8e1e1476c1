"""A job's page (progress, outcome, the file), its status as JSON, and the download.

Only the job's owner or an admin sees a job; anyone else gets 404, as for a job
that does not exist. Every download is recorded in the audit trail.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from surveyapp.accounts.access import ADMIN, STAFF, access
from surveyapp.database import write_transaction
from surveyapp.extensions import db, task_queue
from surveyapp.jobs import files, operations
from surveyapp.jobs.models import Job
from surveyapp.jobs.registry import KINDS
from surveyapp.timeutil import utcnow

bp = Blueprint("jobs", __name__)

#: A queued job not started after this long suggests that no worker is running.
SLOW_START = timedelta(minutes=1)

MESSAGES = {
    "unexpected": _l(
        "Something went wrong, and nothing was saved. Try again. If it happens again, "
        "tell an administrator."
    ),
    "interrupted": _l("The work stopped before it was finished, and nothing was saved. Try again."),
}


def _load_job(job_id: str) -> Job:
    job = operations.visible_job(job_id, current_user.id, current_user.role == ADMIN)
    if job is None:
        abort(404)
    return job


def failure_text(job: Job) -> str:
    kind = KINDS.get(job.kind)
    key = job.message or "unexpected"
    text = (kind.messages.get(key) if kind else None) or MESSAGES.get(key, MESSAGES["unexpected"])
    return str(text)


def status_text(job: Job) -> str:
    """What the job is doing, in one sentence (the page's live region says it)."""
    if job.status == "queued":
        return _("Waiting to start.")
    if job.status == "running":
        return _("Working on it.")
    if job.status == "failed":
        return failure_text(job)
    if job.file_path:
        return _("Done. The file is ready to download.")
    if job.file_name:
        return _("Done. The file has been deleted.")
    return _("Done.")


def progress_text(job: Job) -> str:
    kind = KINDS.get(job.kind)
    if kind is None or not job.progress_total:
        return ""
    return kind.progress_text(format_decimal(job.progress_done), format_decimal(job.progress_total))


def deletes_at(job: Job) -> datetime | None:
    """When the job's file will be deleted (at expiry, or a grace period after download)."""
    if not job.file_path:
        return None
    moments = [m for m in (job.file_expires_at,) if m is not None]
    if job.downloaded_at is not None:
        grace = float(current_app.config["SURVEYAPP_JOB_DOWNLOAD_GRACE_MINUTES"])
        moments.append(job.downloaded_at + timedelta(minutes=grace))
    return min(moments) if moments else None


def _view(job: Job) -> dict[str, Any]:
    kind = KINDS.get(job.kind)
    return {
        "job": job,
        "title": str(kind.title) if kind else job.kind,
        "status_text": status_text(job),
        "progress_text": progress_text(job),
        "deletes_at": deletes_at(job),
        "slow_start": job.status == "queued" and job.created_at < utcnow() - SLOW_START,
    }


@bp.get("/jobs/<job_id>")
@access(STAFF)
def status(job_id: str) -> str:
    return render_template("jobs/status.html", **_view(_load_job(job_id)))


@bp.get("/jobs/<job_id>/status.json")
@access(STAFF)
def status_json(job_id: str) -> WerkzeugResponse:
    job = _load_job(job_id)
    response = jsonify(
        {
            "status": job.status,
            "finished": job.finished,
            "done": job.progress_done,
            "total": job.progress_total,
            "text": status_text(job),
            "progress": progress_text(job),
            "file": bool(job.file_path),
        }
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/jobs/<job_id>/download")
@access(STAFF)
def download(job_id: str) -> WerkzeugResponse:
    job = _load_job(job_id)
    path = files.path_of(job.file_path) if job.status == "done" else None
    expired = job.file_expires_at is not None and job.file_expires_at <= utcnow()
    try:
        handle = None if path is None or expired else path.open("rb")
    except FileNotFoundError:
        handle = None
    if handle is None:
        flash(_("The file is no longer available. It is deleted after a while."), "error")
        return redirect(url_for("jobs.status", job_id=job_id))
    name, mimetype = job.file_name or "download", job.file_type or "application/octet-stream"
    try:
        # The request has only read; end that before writing (see exports.views._audit).
        db.session.rollback()
        with write_transaction():
            reloaded = db.session.get(Job, job_id)
            assert reloaded is not None
            operations.record_download(current_user.id, reloaded)
        db.session.commit()
        grace = float(current_app.config["SURVEYAPP_JOB_DOWNLOAD_GRACE_MINUTES"])
        task_queue.schedule_file_deletion(job_id, grace * 60)
    except BaseException:
        handle.close()
        raise
    response = send_file(handle, mimetype=mimetype, as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "private, no-store"
    return response
