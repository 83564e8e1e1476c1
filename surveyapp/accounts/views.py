"""Log-in, log-out, own password, and the admin pages for users and the audit trail."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import TooManyRequests
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import SelectChoice

from surveyapp.accounts import operations
from surveyapp.accounts.access import ADMIN, PUBLIC, STAFF, access
from surveyapp.accounts.forms import LoginForm, PasswordChangeForm, UserForm, policy_message
from surveyapp.accounts.models import User
from surveyapp.accounts.passwords import verify_password
from surveyapp.accounts.session import end_session, may_log_in, start_session
from surveyapp.accounts.throttle import DEVICE_COOKIE, throttle
from surveyapp.audit.models import AuditEntry
from surveyapp.extensions import db
from surveyapp.municipalities.models import Municipality
from surveyapp.web.i18n import safe_next
from surveyapp.web.picker import Municipality as PickerMunicipality
from surveyapp.web.picker import Picker
from surveyapp.web.routing import MAX_PAGE, int_arg

bp = Blueprint("accounts", __name__)

AUDIT_PAGE_SIZE = 50


def _too_many(wait_seconds: int) -> TooManyRequests:
    """429 with Retry-After; the error page explains it in the visitor's language."""
    return TooManyRequests(retry_after=wait_seconds)


@bp.route("/login", methods=["GET", "POST"])
@access(PUBLIC)
def login() -> str | WerkzeugResponse:
    if current_user.is_authenticated:
        return redirect(url_for("web.home"))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data or ""
        counter = throttle()
        device = counter.device_of(request.cookies.get(DEVICE_COOKIE), email)
        charges = counter.login_charges(email, request.remote_addr or "", device)
        wait = counter.reserve(charges)
        db.session.commit()  # every worker sees the attempt before the password is checked
        if wait is not None:
            raise _too_many(wait)
        user = operations.find_by_email(email)
        password_ok = verify_password(
            user.password_hash if user else None, form.password.data or ""
        )
        if user is not None and password_ok and may_log_in(user):
            counter.refund(charges)
            start_session(user)
            db.session.commit()
            response = redirect(safe_next(request.args.get("next"), url_for("web.home")))
            counter.set_device_cookie(
                response, email, bool(current_app.config["SESSION_COOKIE_SECURE"])
            )
            return response
        # One message whatever went wrong: it must not reveal whether the account exists.
        flash(_("Wrong e-mail address or password."), "error")
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@access(STAFF)
def logout() -> WerkzeugResponse:
    end_session()
    db.session.commit()
    flash(_("You are logged out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@access(STAFF)
def change_password() -> str | WerkzeugResponse:
    form = PasswordChangeForm()
    if form.validate_on_submit():
        user: User = current_user._get_current_object()
        counter = throttle()
        charges = counter.password_check_charges(user.id)
        wait = counter.reserve(charges)
        db.session.commit()
        if wait is not None:
            raise _too_many(wait)
        if not verify_password(user.password_hash, form.current.data or ""):
            form.current.errors = [_("The current password is wrong.")]
        else:
            counter.refund(charges)
            db.session.commit()
            try:
                operations.set_password(user.id, user, form.new.data or "")
            except operations.AccountError as err:
                db.session.rollback()
                form.new.errors = [policy_message(p) for p in err.problems]
            else:
                start_session(user)  # every session ended; this browser gets a new one
                db.session.commit()
                flash(_("Your password is changed. Other sessions are logged out."), "info")
                return redirect(url_for("web.home"))
    return render_template("accounts/password.html", form=form)


def _picker(form: UserForm) -> Picker:
    """Every municipality, ticked in lists by county (no Ctrl-click), by name."""
    rows = db.session.execute(
        sa.select(
            Municipality.code, Municipality.name, Municipality.county_code, Municipality.county_name
        ).where(Municipality.current)
    )
    picker = Picker.build(PickerMunicipality(*row) for row in rows)
    form.municipalities.choices = [
        SelectChoice(m.code, f"{m.name} ({m.code})") for m in picker.municipalities
    ]
    return picker


def _render_user_form(form: UserForm, picker: Picker, user: User | None) -> str:
    chosen = set(form.municipalities.data or [])
    return render_template(
        "accounts/user_form.html",
        form=form,
        user=user,
        chosen=[m for m in picker.municipalities if m.code in chosen],
        counties=picker.counties(),
    )


@bp.get("/admin/users")
@access(ADMIN)
def users() -> str:
    people = db.session.scalars(sa.select(User).order_by(User.role, User.email)).all()
    return render_template("accounts/users.html", users=people)


@bp.route("/admin/users/new", methods=["GET", "POST"])
@access(ADMIN)
def new_user() -> str | WerkzeugResponse:
    form = UserForm()
    picker = _picker(form)
    if form.validate_on_submit():
        try:
            user = operations.create_user(
                current_user.id,
                form.email.data or "",
                form.name.data or "",
                form.role.data or "",
                form.password.data or "",
                form.municipalities.data or [],
                raw_data=bool(form.raw_data.data),
            )
        except operations.AccountError as err:
            form.password.errors = [policy_message(p) for p in err.problems]
        else:
            db.session.commit()
            flash(_("The account %(email)s is created.", email=user.email), "info")
            return redirect(url_for("accounts.users"))
    return _render_user_form(form, picker, None)


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@access(ADMIN)
def edit_user(user_id: int) -> str | WerkzeugResponse:
    user = db.get_or_404(User, user_id)
    form = UserForm(obj=user)
    picker = _picker(form)
    if request.method == "GET":
        form.municipalities.data = sorted(user.municipality_codes())
    form.email.data = user.email  # the e-mail address identifies the account; not editable
    if form.validate_on_submit():
        if user.id == current_user.id and (form.role.data != ADMIN or not form.active.data):
            abort(400)  # an admin cannot lock themselves out
        try:
            operations.update_user(
                current_user.id,
                user,
                name=form.name.data or "",
                role=form.role.data or "",
                active=bool(form.active.data),
                municipality_codes=form.municipalities.data or [],
                raw_data=bool(form.raw_data.data),
            )
            if form.password.data:
                operations.set_password(current_user.id, user, form.password.data)
        except operations.AccountError as err:
            db.session.rollback()
            form.password.errors = [policy_message(p) for p in err.problems]
        else:
            db.session.commit()
            flash(_("The account %(email)s is saved.", email=user.email), "info")
            return redirect(url_for("accounts.users"))
    return _render_user_form(form, picker, user)


@bp.get("/admin/audit")
@access(ADMIN)
def audit() -> str:
    page = int_arg("page", high=MAX_PAGE) or 1
    query = (
        sa.select(AuditEntry)
        .options(selectinload(AuditEntry.user))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )
    entity = request.args.get("entity")
    if entity:
        query = query.where(AuditEntry.entity_type == entity)
    entries = db.paginate(query, page=page, per_page=AUDIT_PAGE_SIZE, error_out=False)
    return render_template("accounts/audit.html", entries=entries, entity=entity)
