"""Planner pages for saved peer groups: named lists of municipalities to compare with."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import SelectChoice, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from surveyapp.accounts.access import PLANNER, access
from surveyapp.extensions import db
from surveyapp.municipalities import phrases
from surveyapp.municipalities.lookup import old_number
from surveyapp.municipalities.models import Municipality
from surveyapp.results.group_ops import (
    MAX_NAME_LENGTH,
    GroupError,
    GroupNotFound,
    create_group,
    delete_group,
    members_of,
    peer_groups_for,
    update_group,
    visible_group,
)
from surveyapp.results.models import PeerGroup
from surveyapp.web.forms import StaffForm
from surveyapp.web.picker import Municipality as PickerMunicipality
from surveyapp.web.picker import Picker
from surveyapp.web.templating import current_language

# The look-ups are re-exported for pages that offer saved groups as peer choices.
__all__ = ["GroupNotFound", "bp", "members_of", "peer_groups_for"]

bp = Blueprint("peergroups", __name__, url_prefix="/peer-groups")

_CODE_SEPARATORS = re.compile(r"[\s,;]+")


class PeerGroupForm(StaffForm):
    name = StringField(
        _l("Name of the group"),
        description=_l("For example “Neighbours” or “Cities over 50,000”."),
        validators=[
            DataRequired(message=_l("Write a name for the group.")),
            Length(max=MAX_NAME_LENGTH),
        ],
    )
    # Ticked one by one in lists by county (surveyapp/web/picker.py), no Ctrl-click.
    members = SelectMultipleField(_l("Municipalities in the group"), choices=[])
    codes = TextAreaField(
        _l("Or type municipality numbers"),
        description=_l(
            "Four-digit numbers separated by spaces, commas or new lines, for example "
            "0301 4601 5001. They are added to those chosen in the list."
        ),
        validators=[Length(max=5000)],
        render_kw={"rows": 3},
    )

    def typed_codes(self) -> list[str]:
        return [c for c in _CODE_SEPARATORS.split(self.codes.data or "") if c]

    def validate_codes(self, field: TextAreaField) -> None:
        known = {choice.value for choice in self.members.iter_choices()}
        not_numbers = [c for c in self.typed_codes() if not re.fullmatch(r"\d{4}", c)]
        if not_numbers:
            raise ValidationError(
                _("Not four-digit municipality numbers: %(codes)s", codes=", ".join(not_numbers))
            )
        unknown = [c for c in self.typed_codes() if c not in known]
        if unknown:
            former = {c: old_number(c) for c in unknown}
            said = [phrases.old_number(old, current_language()) for old in former.values() if old]
            if rest := [c for c, old in former.items() if old is None]:
                said.append(_("Not in the municipality register: %(codes)s", codes=", ".join(rest)))
            raise ValidationError(" ".join(said))

    def validate_members(self, field: SelectMultipleField) -> None:
        if not field.data and not self.typed_codes():
            raise ValidationError(_("Choose at least one municipality."))

    def chosen_codes(self) -> list[str]:
        return sorted(set(self.members.data or []) | set(self.typed_codes()))


def _picker() -> Picker:
    rows = db.session.execute(
        sa.select(
            Municipality.code, Municipality.name, Municipality.county_code, Municipality.county_name
        ).where(Municipality.current)
    )
    return Picker.build(PickerMunicipality(*row) for row in rows)


def _prepare(form: PeerGroupForm) -> Picker:
    picker = _picker()
    form.members.choices = [
        SelectChoice(m.code, f"{m.name} ({m.code})") for m in picker.municipalities
    ]
    return picker


def _render_form(form: PeerGroupForm, picker: Picker, group: PeerGroup | None) -> str:
    """The form, with what is chosen so far (ticked, and typed numbers that are known)."""
    by_code = picker.by_code()
    typed = {code for code in form.typed_codes() if code in by_code}
    chosen = set(form.members.data or []) | typed
    return render_template(
        "results/groups/form.html",
        form=form,
        group=group,
        chosen=[m for m in picker.municipalities if m.code in chosen],
        counties=picker.counties(),
    )


def _load_group(group_id: int) -> PeerGroup:
    """The group if the user may see it; 404 otherwise, so others' groups stay unknown."""
    group = visible_group(group_id, current_user)
    if group is None:
        abort(404)
    return group


def _show_problems(form: PeerGroupForm, problems: list[str]) -> None:
    for problem in problems:
        if problem == "name_taken":
            form.name.errors = [_("You already have a peer group with this name.")]
        elif problem in ("no_name", "name_too_long"):
            form.name.errors = [
                _("Enter a name of at most %(max)s characters.", max=MAX_NAME_LENGTH)
            ]
        elif problem == "no_members":
            form.members.errors = [_("Choose at least one municipality.")]
        elif problem.startswith("former_municipality:"):
            old = old_number(problem.partition(":")[2])
            if old is not None:
                said = phrases.old_number(old, current_language())
                form.codes.errors = [*form.codes.errors, said]
        else:
            codes = problem.partition(":")[2]
            form.codes.errors = [
                *form.codes.errors,
                _("Not in the municipality register: %(codes)s", codes=codes),
            ]


@bp.get("")
@access(PLANNER)
def index() -> str:
    return render_template("results/groups/index.html", groups=peer_groups_for(current_user))


@bp.route("/new", methods=["GET", "POST"])
@access(PLANNER)
def new() -> str | WerkzeugResponse:
    form = PeerGroupForm()
    picker = _prepare(form)
    if form.validate_on_submit():
        try:
            group = create_group(current_user.id, form.name.data or "", form.chosen_codes())
        except GroupError as err:
            db.session.rollback()
            _show_problems(form, err.problems)
        else:
            db.session.commit()
            flash(_("The peer group %(name)s is saved.", name=group.name), "info")
            return redirect(url_for("peergroups.index"))
    return _render_form(form, picker, None)


@bp.route("/<int:group_id>", methods=["GET", "POST"])
@access(PLANNER)
def edit(group_id: int) -> str | WerkzeugResponse:
    group = _load_group(group_id)
    data: dict[str, Any] | None = None
    if request.method == "GET":
        data = {"name": group.name, "members": [m.code for m in group.members]}
    form = PeerGroupForm(data=data)
    picker = _prepare(form)
    if form.validate_on_submit():
        try:
            update_group(current_user.id, group, form.name.data or "", form.chosen_codes())
        except GroupError as err:
            db.session.rollback()
            _show_problems(form, err.problems)
        else:
            db.session.commit()
            flash(_("The peer group %(name)s is saved.", name=group.name), "info")
            return redirect(url_for("peergroups.index"))
    return _render_form(form, picker, group)


@bp.post("/<int:group_id>/delete")
@access(PLANNER)
def delete(group_id: int) -> WerkzeugResponse:
    group = _load_group(group_id)
    name = group.name
    delete_group(current_user.id, group)
    db.session.commit()
    flash(_("The peer group %(name)s is deleted.", name=name), "info")
    return redirect(url_for("peergroups.index"))
