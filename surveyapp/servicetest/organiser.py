"""The organiser's field-work pages, on the service-test blueprint: lock (the checks: open
work, tester agreement and the places pending decisions could change; a reason to lock
with open work) and unlock, the round's dates and retention, deciding testers for all
pending web items in one step, and moving an absent caller's open contacts to others in
one step."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import SelectChoice

from surveyapp import norwegian_time
from surveyapp.accounts.access import ADMIN, access
from surveyapp.accounts.models import User
from surveyapp.extensions import db
from surveyapp.servicetest import controls, operations
from surveyapp.servicetest.admin import (
    _caller_choices,
    _callers,
    _load_round,
    bp,
    organiser_checks,
)
from surveyapp.servicetest.admin_forms import LockForm, MoveForm, SettingsForm, UnlockForm
from surveyapp.web.i18n import pick
from surveyapp.web.templating import current_language


def control_error_text(error: controls.ControlError) -> str:
    if error.key == "round_locked":
        return _("The round is locked; results can no longer be changed.")
    if error.key == "open_work":
        return _(
            "The round still has open work (%(n)s items, listed below). Give a reason to lock "
            "it anyway, or finish the work first.",
            n=error.details.get("total", 0),
        )
    if error.key == "published":
        return _(
            "The round is published as open data. Withdraw the publication before unlocking it."
        )
    if error.key == "reason_required":
        return _("Give a reason for unlocking.")
    if error.key == "not_locked":
        return _("The round is not locked.")
    if error.key == "ends_before_start":
        return _("The last day must be on or after the first day.")
    if error.key == "shorter":
        return _(
            "The dates can only be extended: the round runs from %(start)s to %(end)s, and "
            "what is recorded must stay inside it.",
            start=norwegian_time.date_text(error.details["starts_on"]),
            end=norwegian_time.date_text(error.details["ends_on"]),
        )
    if error.key == "decider_is_rater":
        return _(
            "A deciding tester must be neither of the two testers who checked the item "
            "(%(n)s items).",
            n=len(error.details.get("items", [])),
        )
    if error.key == "no_targets":
        return _("Choose at least one other caller to give the contacts to.")
    return _("This could not be done: %(reason)s", reason=error.key)


def _open_labels() -> dict[str, str]:
    return {
        "not_done": _("Contacts not done"),
        "callbacks": _("Call-backs not made"),
        "awaiting_replies": _("E-mails awaiting a reply (before their cut-off)"),
        "awaiting_decision": _("Web items awaiting a decision"),
        "single_attempt": _("Calls marked done after a single unanswered attempt"),
    }


def _questions(test_round: Any) -> dict[str, str]:
    language = current_language()
    return {
        s.code: pick(s.question, language) for s in operations.protocol_of(test_round).scenarios
    }


@bp.route("/<int:round_id>/lock", methods=["GET", "POST"])
@access(ADMIN)
def lock(round_id: int) -> str | WerkzeugResponse:
    """What is still open, and the lock: refused with open work unless a reason is given."""
    test_round = _load_round(round_id)
    if test_round.status == "locked":
        return redirect(url_for("servicetest.detail", round_id=round_id))
    form = LockForm()
    if form.validate_on_submit():
        try:
            controls.lock(current_user.id, test_round, form.reason.data or "")
        except controls.ControlError as error:
            db.session.rollback()
            form.reason.errors = [control_error_text(error)]
        else:
            db.session.commit()
            flash(_("The round is locked. Results can no longer be changed."), "info")
            return redirect(url_for("servicetest.detail", round_id=round_id))
    checks = controls.lock_checks(test_round)
    return render_template(
        "servicetest/lock.html",
        test_round=test_round,
        form=form,
        work=checks.work,
        labels=_open_labels(),
        questions=_questions(test_round),
        **organiser_checks(test_round, checks.agreement, checks.open_places),
    )


@bp.post("/<int:round_id>/unlock")
@access(ADMIN)
def unlock(round_id: int) -> WerkzeugResponse:
    test_round = _load_round(round_id)
    form = UnlockForm()
    if not form.validate_on_submit():
        flash(_("Give a reason for unlocking."), "error")
        return redirect(url_for("servicetest.detail", round_id=round_id) + "#unlock")
    try:
        controls.unlock(current_user.id, test_round, form.reason.data or "")
    except controls.ControlError as error:
        db.session.rollback()
        flash(control_error_text(error), "error")
    else:
        db.session.commit()
        flash(_("The round is unlocked: results can be recorded and changed again."), "info")
    return redirect(url_for("servicetest.detail", round_id=round_id))


@bp.route("/<int:round_id>/settings", methods=["GET", "POST"])
@access(ADMIN)
def settings(round_id: int) -> str | WerkzeugResponse:
    """Extend the round's dates (overdue contacts can then be recorded); evidence retention."""
    test_round = _load_round(round_id)
    form = SettingsForm() if request.method == "POST" else SettingsForm.of(test_round)
    if form.validate_on_submit():
        assert form.starts_on.data and form.ends_on.data
        try:
            controls.change_settings(
                current_user.id,
                test_round,
                form.starts_on.data,
                form.ends_on.data,
                form.evidence_retention_days.data or 0,
            )
        except controls.ControlError as error:
            db.session.rollback()
            target = form.starts_on if error.key == "shorter" else form.ends_on
            target.errors = [control_error_text(error)]
        else:
            db.session.commit()
            flash(_("The round's dates and settings are saved."), "info")
            return redirect(url_for("servicetest.detail", round_id=round_id))
    return render_template("servicetest/settings.html", test_round=test_round, form=form)


@bp.route("/<int:round_id>/decisions", methods=["GET", "POST"])
@access(ADMIN)
def decisions(round_id: int) -> str | WerkzeugResponse:
    """Every web item awaiting a decision, with a deciding tester each, saved in one step."""
    test_round = _load_round(round_id)
    pending = controls.pending_decisions(test_round)
    callers = _callers()
    known = {u.id for u in callers}
    problems: list[str] = []
    if request.method == "POST":
        from surveyapp.servicetest.admin_forms import ConfirmForm

        if not ConfirmForm().validate_on_submit():
            abort(400)
        choices: dict[operations.WebItem, int] = {}
        for n, item in enumerate(pending):
            raw = request.form.get(f"decider-{n}", "")
            if not raw:
                continue
            if not raw.isdigit() or int(raw) not in known:
                abort(400)
            choices[item.key] = int(raw)
        try:
            changed = controls.assign_deciders(current_user.id, test_round, choices)
        except (controls.ControlError, operations.ServiceTestError) as error:
            db.session.rollback()
            problems.append(
                control_error_text(error)
                if isinstance(error, controls.ControlError)
                else _("This could not be done: %(reason)s", reason=str(error))
            )
        else:
            db.session.commit()
            flash(
                _("Deciding testers saved (%(n)s changed).", n=changed),
                "info",
            )
            return redirect(url_for("servicetest.decisions", round_id=round_id))
    testers = [u.id for u in callers if u.role == "caller"] or [u.id for u in callers]
    suggested = controls.suggest_deciders(pending, testers, round_id)
    return render_template(
        "servicetest/decisions.html",
        test_round=test_round,
        pending=pending,
        callers=callers,
        suggested=suggested,
        questions=_questions(test_round),
        problems=problems,
    )


@bp.route("/<int:round_id>/move", methods=["GET", "POST"])
@access(ADMIN)
def move(round_id: int) -> str | WerkzeugResponse:
    """A caller is ill: all their open contacts to others in one step."""
    test_round = _load_round(round_id)
    form = MoveForm()
    choices = _caller_choices()
    form.from_caller.choices = choices
    form.to_callers.choices = choices
    if form.validate_on_submit():
        try:
            moved = controls.move_open_contacts(
                current_user.id,
                test_round,
                int(form.from_caller.data or 0),
                [int(c) for c in form.to_callers.data or []],
            )
        except controls.ControlError as error:
            db.session.rollback()
            form.to_callers.errors = [control_error_text(error)]
        else:
            db.session.commit()
            message = _("%(n)s open contacts were given to other callers.", n=moved.moved)
            if moved.kept_awaiting:
                message += " " + _(
                    "%(n)s e-mails awaiting a reply stay with their sender (the reply goes "
                    "to the address the e-mail was sent from).",
                    n=moved.kept_awaiting,
                )
            if moved.not_moved:
                message += " " + _(
                    "%(n)s web checks could not be moved: every chosen caller already checks "
                    "the same item. Choose more callers.",
                    n=moved.not_moved,
                )
            flash(message, "info")
            return redirect(url_for("servicetest.detail", round_id=round_id))
    open_counts = dict(
        db.session.execute(
            sa.select(User.id, sa.func.count())
            .join(operations.TestAssignment, operations.TestAssignment.caller_id == User.id)
            .where(
                operations.TestAssignment.test_round_id == round_id,
                operations.TestAssignment.status == "open",
            )
            .group_by(User.id)
        )
        .tuples()
        .all()
    )
    return render_template(
        "servicetest/move.html",
        test_round=test_round,
        form=form,
        callers=_callers(),
        open_counts=open_counts,
        choices=[SelectChoice(c.value, c.label) for c in choices],
    )
