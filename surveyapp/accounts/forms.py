"""Log-in, password and user administration forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, EqualTo, Length

from surveyapp.municipalities import phrases
from surveyapp.municipalities.lookup import old_number
from surveyapp.web.forms import StaffForm
from surveyapp.web.templating import current_language

ROLE_CHOICES = [
    SelectChoice("planner", _l("Planner")),
    SelectChoice("caller", _l("Test caller")),
    SelectChoice("admin", _l("Administrator")),
]

POLICY_MESSAGES = {
    "too_short": _l("The password must be at least 12 characters long."),
    "too_common": _l("This password is too common. Choose one that is hard to guess."),
    "too_simple": _l("The password repeats too few different characters."),
    "personal": _l("The password must not contain your name or e-mail address."),
    "unknown_role": _l("Choose a role."),
    "bad_email": _l("Enter a valid e-mail address."),
    "email_taken": _l("An account with this e-mail address already exists."),
}


def policy_message(key: str) -> str:
    if key.startswith("former_municipality:"):
        old = old_number(key.split(":", 1)[1])
        if old is not None:
            return phrases.old_number(old, current_language())
    if key.startswith("unknown_municipality:"):
        return str(_l("Unknown municipality number: %(codes)s", codes=key.split(":", 1)[1]))
    return str(POLICY_MESSAGES.get(key, key))


class LoginForm(StaffForm):
    # A text input (inputmode="email" in the template): autocomplete="username", which
    # password managers look for, is not allowed on <input type=email>.
    email = StringField(
        _l("E-mail address"),
        validators=[DataRequired(message=_l("Write your e-mail address.")), Length(max=254)],
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(message=_l("Write your password.")), Length(max=500)],
    )


class PasswordChangeForm(StaffForm):
    current = PasswordField(
        _l("Current password"),
        validators=[DataRequired(message=_l("Write the password you use now."))],
    )
    new = PasswordField(
        _l("New password"),
        validators=[DataRequired(message=_l("Write a new password.")), Length(max=500)],
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(message=_l("Write the new password once more.")),
            EqualTo("new", message=_l("The passwords do not match.")),
        ],
    )


class UserForm(StaffForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(message=_l("Write the e-mail address.")), Length(max=254)],
    )
    name = StringField(
        _l("Name"),
        validators=[DataRequired(message=_l("Write the person's name.")), Length(max=120)],
    )
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    municipalities = SelectMultipleField(_l("Municipalities (planners)"), choices=[])
    active = BooleanField(_l("Active"), default=True)
    raw_data = BooleanField(
        _l("May download answers row by row (raw data)"),
        description=_l(
            "Row-level answers can reveal individual respondents. Grant this only to people "
            "who need it; every such download is recorded in the audit trail."
        ),
        default=False,
    )
    password = PasswordField(
        _l("New password"),
        description=_l("At least 12 characters. Leave empty to keep the current password."),
        validators=[Length(max=500)],
    )
