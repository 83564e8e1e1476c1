"""Coats of arms: the admin page that uploads them, and the route that serves them."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired

from surveyapp.accounts.access import ADMIN, PUBLIC, access
from surveyapp.branding import arms, operations
from surveyapp.extensions import db
from surveyapp.formatting import norwegian_sort_key
from surveyapp.municipalities.models import Municipality
from surveyapp.storage import FileStoreError, file_store
from surveyapp.web.forms import StaffForm

bp = Blueprint("branding", __name__)

#: The served file runs nothing and loads nothing, even when opened on its own.
ARMS_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


def _arms_messages() -> dict[str, str]:
    limit = arms.MAX_BYTES // 1024
    return {
        "empty": _("The file is empty. Choose the file with the coat of arms."),
        "too_large": _("The file is larger than %(kb)s KB. Choose a smaller file.", kb=limit),
        "not_png_or_svg": _("Choose a PNG or SVG file."),
        "bad_png": _("The PNG file could not be read. Save it again as PNG and try once more."),
        "too_many_pixels": _(
            "The picture is larger than %(px)s × %(px)s pixels. Make it smaller.",
            px=arms.MAX_PIXELS,
        ),
        "bad_svg": _("The SVG file could not be read as a drawing. Save it again as plain SVG."),
    }


class ArmsForm(StaffForm):
    municipality = SelectField(
        _l("Municipality"),
        choices=[],
        validators=[DataRequired(message=_l("Choose the municipality."))],
    )
    file = FileField(
        _l("Coat of arms (PNG or SVG)"),
        description=_l("At most 200 KB. SVG files are cleaned: scripts and links are removed."),
        validators=[FileRequired(message=_l("Choose the file with the coat of arms."))],
    )


class RemoveForm(StaffForm):
    code = StringField(validators=[DataRequired()])


def _municipality_choices() -> list[SelectChoice]:
    rows = sorted(
        db.session.execute(sa.select(Municipality.code, Municipality.name)),
        key=lambda row: norwegian_sort_key(row.name),
    )
    return [SelectChoice("", _("Choose a municipality"))] + [
        SelectChoice(code, f"{name} ({code})") for code, name in rows
    ]


def _render(form: ArmsForm, status: int = 200) -> tuple[str, int]:
    listed = operations.all_arms()
    listed.sort(key=lambda pair: norwegian_sort_key(pair[1].name))
    return render_template(
        "branding/arms.html", form=form, listed=listed, remove_form=RemoveForm(formdata=None)
    ), status


@bp.route("/admin/arms", methods=["GET", "POST"])
@access(ADMIN)
def admin() -> tuple[str, int] | WerkzeugResponse:
    form = ArmsForm()
    form.municipality.choices = _municipality_choices()
    if not form.validate_on_submit():
        return _render(form, 400 if form.is_submitted() else 200)
    code = form.municipality.data or ""
    try:
        cleaned = arms.clean(form.file.data.read(arms.MAX_BYTES + 1))
    except arms.ArmsError as error:
        form.file.errors = [_arms_messages()[error.reason]]
        return _render(form, 400)
    store = file_store()
    _row, replaced = operations.store_arms(current_user.id, code, cleaned, store)
    db.session.commit()
    if replaced:
        store.delete(replaced)
    name = db.session.get(Municipality, code)
    flash(_("The coat of arms of %(name)s is saved.", name=name.name if name else code), "info")
    return redirect(url_for("branding.admin"))


@bp.post("/admin/arms/remove")
@access(ADMIN)
def remove() -> WerkzeugResponse:
    form = RemoveForm()
    if not form.validate_on_submit():
        abort(400)
    key = operations.remove_arms(current_user.id, form.code.data or "")
    db.session.commit()
    if key:
        file_store().delete(key)
        flash(_("The coat of arms is removed."), "info")
    return redirect(url_for("branding.admin"))


@bp.get("/arms/<code>")
@access(PUBLIC)
def arms_file(code: str) -> Response:
    found = operations.arms_of(code[:4])
    if found is None:
        abort(404)
    try:
        with file_store().open(found.file_key) as handle:
            body = handle.read()
    except FileStoreError:
        current_app.logger.error("coat of arms of %s: file %s missing", code, found.file_key)
        abort(404)
    response = Response(body, mimetype=found.content_type)
    response.headers["Content-Security-Policy"] = ARMS_POLICY
    suffix = ".svg" if found.content_type == "image/svg+xml" else ".png"
    response.headers["Content-Disposition"] = f'inline; filename="arms-{code[:4]}{suffix}"'
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
