"""Admin pages for the municipalities' contact details: the list and one municipality's
or test unit's (Oslo's districts, listed under their municipality)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import StringField
from wtforms.validators import Length

from surveyapp.accounts.access import ADMIN, access
from surveyapp.extensions import db
from surveyapp.municipalities.contact_details import check_row
from surveyapp.municipalities.contacts import MunicipalityContact, contact_of, store_contact
from surveyapp.municipalities.models import Municipality
from surveyapp.servicetest.models import TestUnit
from surveyapp.web.forms import StaffForm

bp = Blueprint("municipality_contacts", __name__, url_prefix="/admin/municipalities")


class ContactForm(StaffForm):
    phone = StringField(
        _l("Phone (switchboard)"),
        description=_l("8 digits, or + and the country code: +47 77 79 00 00."),
        validators=[Length(max=40)],
    )
    email = StringField(
        _l("E-mail address"),
        description=_l("The address the municipality publishes, e.g. postmottak@…"),
        validators=[Length(max=254)],
    )
    website = StringField(
        _l("Web site"), description=_l("Starting with https://"), validators=[Length(max=300)]
    )


def _problem_text(key: str) -> str:
    return {
        "phone": _("Write 8 digits, or + and the country code and 7–15 digits."),
        "email": _("This is not a valid e-mail address."),
        "website": _("Write a web address starting with https:// (or http://)."),
        "controls": _("Remove the control characters."),
    }[key]


@bp.get("")
@access(ADMIN)
def index() -> str:
    rows = db.session.execute(
        sa.select(Municipality, MunicipalityContact)
        .outerjoin(
            MunicipalityContact,
            sa.and_(
                MunicipalityContact.municipality_code == Municipality.code,
                MunicipalityContact.unit_code == "",
            ),
        )
        .order_by(Municipality.code)
    ).all()
    units: dict[str, list[tuple[str, str, MunicipalityContact | None]]] = {}
    unit_contacts = {
        c.unit_code: c
        for c in db.session.scalars(
            sa.select(MunicipalityContact).where(MunicipalityContact.unit_code != "")
        )
    }
    for unit_code, parent, name in db.session.execute(
        sa.select(TestUnit.code, TestUnit.municipality_code, TestUnit.name).order_by(TestUnit.code)
    ):
        units.setdefault(parent, []).append((unit_code, name, unit_contacts.get(unit_code)))
    missing = sum(1 for _m, c in rows if c is None or not (c.phone or c.email))
    return render_template("municipalities/contacts.html", rows=rows, units=units, missing=missing)


@bp.route("/<code>/contact", methods=["GET", "POST"])
@bp.route("/<code>/units/<unit>/contact", methods=["GET", "POST"])
@access(ADMIN)
def edit(code: str, unit: str = "") -> str | WerkzeugResponse:
    municipality = db.get_or_404(Municipality, code)
    test_unit = db.get_or_404(TestUnit, unit) if unit else None
    if test_unit is not None and test_unit.municipality_code != code:
        abort(404)
    current = contact_of(code, unit)
    form = ContactForm(obj=current) if request.method == "GET" else ContactForm()
    if form.validate_on_submit():
        row, problems = check_row(
            code, form.phone.data or "", form.email.data or "", form.website.data or "", unit
        )
        fields = {"phone": form.phone, "email": form.email, "website": form.website}
        for key in problems:
            target = fields.get(key)
            for field in [target] if target is not None else fields.values():
                field.errors = [*field.errors, _problem_text(key)]
        if not problems:
            store_contact(current_user.id, row)
            db.session.commit()
            name = test_unit.name if test_unit is not None else municipality.name
            flash(_("The contact details of %(name)s are saved.", name=name), "info")
            return redirect(url_for("municipality_contacts.index") + f"#m-{unit or code}")
    return render_template(
        "municipalities/contact_form.html",
        municipality=municipality,
        unit=test_unit,
        parent=contact_of(code) if test_unit is not None else None,
        form=form,
        current=current,
    )
