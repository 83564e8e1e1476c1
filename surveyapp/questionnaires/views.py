"""Staff pages to upload a questionnaire (YAML, XLSForm, LimeSurvey), review and store it,
and to download any stored survey version as YAML or XLSForm.

Upload → every problem listed with its place, nothing stored; or a review page with the
preview of every page in the three languages and the comparison with the stored version
of the same code; "Store" stores it. The reviewed definition travels in the review form
and is validated again when stored. Admins upload national questionnaires (or a
municipality's); a planner uploads questionnaires owned by one of their municipalities
and may not replace a national one or another municipality's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import HiddenField, SelectChoice, SelectField

from surveyapp.accounts import scope
from surveyapp.accounts.access import PLANNER, access
from surveyapp.extensions import db
from surveyapp.municipalities.models import Municipality
from surveyapp.questionnaires.definition import SECTIONED_KINDS, Definition, parse_definition
from surveyapp.questionnaires.files import read_definition
from surveyapp.questionnaires.models import Questionnaire
from surveyapp.questionnaires.problems import DefinitionError, Problem
from surveyapp.questionnaires.store import definition_of, latest_version, store_definition
from surveyapp.questionnaires.xlsform import write_xlsform
from surveyapp.web.forms import StaffForm
from surveyapp.web.i18n import LANGUAGES, pick
from surveyapp.web.templating import current_language

bp = Blueprint("questionnaire_files", __name__)

NATIONAL = "national"


class UploadForm(StaffForm):
    file = FileField(
        _l("Questionnaire file"),
        validators=[FileRequired(_l("Choose a file."))],
        description=_l(
            "The project's YAML (.yaml), an XLSForm workbook (.xlsx) or a LimeSurvey"
            " structure export (.lss). At most 2 MB."
        ),
    )
    owner = SelectField(_l("Owner"), choices=[])


class StoreForm(StaffForm):
    definition = HiddenField()
    owner = HiddenField()
    filename = HiddenField()
    source_version = HiddenField()


def _owner_choices() -> list[SelectChoice]:
    own = scope.visible_codes(current_user)
    query = db.select(Municipality.code, Municipality.name).order_by(Municipality.name)
    choices = []
    if own is None:
        choices.append(SelectChoice(NATIONAL, _("National (all municipalities)")))
    else:
        query = query.where(Municipality.code.in_(own))
    choices += [SelectChoice(code, f"{name} ({code})") for code, name in db.session.execute(query)]
    return choices


def _owner_code(value: str | None) -> str | None:
    """The owner a form names, if the user may own questionnaires for it (else 403)."""
    if value == NATIONAL and scope.is_admin(current_user):
        return None
    if value and value != NATIONAL and scope.may_see(current_user, value):
        return value
    abort(403)


def _replace_refused(definition: Definition, owner: str | None) -> str | None:
    """Why the user may not store a version of this code for this owner, if they may not."""
    previous = latest_version(definition.code)
    if previous is None or scope.is_admin(current_user):
        return None
    if previous.owner_code != owner:
        return _(
            "A questionnaire with the code %(code)s already belongs to someone else (%(owner)s)."
            " Choose another code (form_id).",
            code=definition.code,
            owner=previous.owner_code or _("national"),
        )
    return None


@dataclass(frozen=True)
class ProblemRow:
    file: str
    sheet: str
    cell: str
    row: str
    column: str
    line: str
    message: str


def _problem_rows(problems: list[Problem]) -> list[ProblemRow]:
    rows = []
    for problem in problems:
        place = problem.place
        detail = problem.text(_, current_language())
        rows.append(
            ProblemRow(
                file=problem.file,
                sheet=(place.sheet or "") if place else "",
                cell=(place.cell or "") if place else "",
                row=str(place.row) if place and place.row else "",
                column=(place.column or "") if place else "",
                line=str(place.line) if place and place.line else "",
                message=detail,
            )
        )
    return rows


@dataclass(frozen=True)
class Change:
    code: str
    text: str
    status: str  # new | removed | reworded | same
    status_label: str
    comparison: str


def compare(definition: Definition, previous: Definition | None) -> list[Change]:
    """Questions new, removed, reworded or the same as in the stored version."""
    language = current_language()
    old = {q.code: q for q in previous.questions} if previous else {}
    changes = []
    for question in definition.questions:
        before = old.get(question.code)
        if before is None:
            status, label = "new", _("New")
            comparison = _("No earlier years") if previous else _("First version")
        elif before.fingerprint != question.fingerprint:
            status, label = "reworded", _("Changed")
            comparison = _("Breaks: earlier years are not compared with this one")
        else:
            status, label = "same", _("Unchanged")
            comparison = _("Kept")
        changes.append(
            Change(question.code, pick(question.text, language), status, label, comparison)
        )
    codes = {q.code for q in definition.questions}
    for code, question in old.items():
        if code not in codes:
            changes.append(
                Change(
                    code,
                    pick(question.text, language),
                    "removed",
                    _("Removed"),
                    _("Ends: no later years"),
                )
            )
    return changes


def _previews(definition: Definition) -> list[dict[str, Any]]:
    from surveyapp.surveys.admin import _preview_sections

    previews = []
    for code, label in LANGUAGES.items():
        previews.append(
            {
                "code": code,
                "label": label,
                "title": pick(definition.title, code),
                "description": pick(definition.description, code),
                "sections": _preview_sections(definition, code),
            }
        )
    return previews


def _review(definition: Definition, form: StoreForm, filename: str) -> str:
    previous_row = latest_version(definition.code)
    previous = definition_of(previous_row) if previous_row is not None else None
    changes = compare(definition, previous)
    return render_template(
        "questionnaires/review.html",
        definition=definition,
        form=form,
        filename=filename,
        previous=previous_row,
        changes=changes,
        breaks=[c for c in changes if c.status in ("reworded", "removed")],
        previews=_previews(definition) if definition.kind in SECTIONED_KINDS else [],
        title=pick(definition.title, current_language()),
    )


@bp.route("/questionnaires/upload", methods=["GET", "POST"])
@access(PLANNER)
def upload() -> str | WerkzeugResponse:
    form = UploadForm()
    form.owner.choices = _owner_choices()
    problems: list[ProblemRow] = []
    if form.validate_on_submit():
        owner = _owner_code(form.owner.data)
        upload_file = form.file.data
        filename = (upload_file.filename or "upload").replace("/", "_")[-200:]
        data = upload_file.read()
        try:
            imported = read_definition(data, filename)
        except DefinitionError as err:
            problems = _problem_rows(err.problems)
        else:
            definition = imported.definition
            refused = _replace_refused(definition, owner)
            if refused:
                form.file.errors = [refused]
            else:
                store_form = StoreForm(
                    formdata=None,
                    definition=yaml.safe_dump(
                        definition.raw, allow_unicode=True, sort_keys=False, width=10_000
                    ),
                    owner=owner or NATIONAL,
                    filename=filename,
                    source_version=imported.source_version or "",
                )
                return _review(definition, store_form, filename)
    return render_template("questionnaires/upload.html", form=form, problems=problems)


@bp.post("/questionnaires/store")
@access(PLANNER)
def store() -> WerkzeugResponse | str:
    form = StoreForm()
    if not form.validate_on_submit():
        abort(400)
    owner = _owner_code(form.owner.data)
    filename = form.filename.data or "upload"
    try:
        definition = parse_definition(form.definition.data or "", filename)
    except DefinitionError:
        abort(400)  # the review form carries what was checked; anything else is tampering
    refused = _replace_refused(definition, owner)
    if refused:
        flash(refused, "error")
        return redirect(url_for("questionnaire_files.upload"))
    outcome = store_definition(
        definition,
        filename,
        source_version=form.source_version.data or None,
        owner_code=owner,
        uploaded_by_id=current_user.id,
    )
    db.session.commit()
    q = outcome.questionnaire
    if outcome.created:
        flash(_("Stored as %(code)s version %(version)s.", code=q.code, version=q.version), "info")
    else:
        flash(
            _(
                "Nothing changed: %(code)s version %(version)s says the same.",
                code=q.code,
                version=q.version,
            ),
            "info",
        )
    return redirect(url_for("rounds.questionnaires"))


def _download(questionnaire: Questionnaire, data: bytes, suffix: str, mimetype: str) -> Response:
    name = f"{questionnaire.code}-v{questionnaire.version}.{suffix}"
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _visible(questionnaire_id: int) -> Questionnaire:
    questionnaire = db.get_or_404(Questionnaire, questionnaire_id)
    if not scope.may_see_owned(current_user, questionnaire.owner_code):
        abort(403)
    return questionnaire


@bp.get("/questionnaires/<int:questionnaire_id>/download.yaml")
@access(PLANNER)
def download_yaml(questionnaire_id: int) -> Response:
    questionnaire = _visible(questionnaire_id)
    text = yaml.safe_dump(
        questionnaire.definition, allow_unicode=True, sort_keys=False, width=10_000
    )
    return _download(questionnaire, text.encode("utf-8"), "yaml", "application/yaml")


@bp.get("/questionnaires/<int:questionnaire_id>/download.xlsx")
@access(PLANNER)
def download_xlsform(questionnaire_id: int) -> Response:
    questionnaire = _visible(questionnaire_id)
    if questionnaire.kind not in SECTIONED_KINDS:
        abort(404)  # the service-test protocol stays YAML
    definition = definition_of(questionnaire)
    with force_locale("nb"):
        data = write_xlsform(definition, str(questionnaire.version))
    return _download(
        questionnaire,
        data,
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
