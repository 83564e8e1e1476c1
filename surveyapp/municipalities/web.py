"""Old municipality numbers in URLs answer with today's municipality, never a bare 404.

A blueprint whose routes take ``<code>`` calls ``follow_old_numbers(bp)``: a number that
was only renumbered (or renamed) redirects to the same page under today's number, with a
note on pages; a number that was merged or split says so and links to today's
municipalities, where its own figures are kept as a predecessor's.
"""

from __future__ import annotations

from collections.abc import Collection

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from surveyapp.extensions import db
from surveyapp.municipalities import phrases
from surveyapp.municipalities.lookup import old_number
from surveyapp.municipalities.models import Municipality
from surveyapp.web.templating import current_language


def follow_old_numbers(bp: Blueprint, pages: Collection[str] = ()) -> None:
    """Install the check on a blueprint; ``pages`` are its endpoints that show a note
    (files such as charts are redirected without one)."""

    @bp.before_request
    def _old_number() -> WerkzeugResponse | tuple[str, int] | None:
        args = request.view_args or {}
        code = args.get("code")
        if not isinstance(code, str) or request.endpoint is None:
            return None
        municipality = db.session.get(Municipality, code)
        if municipality is None or municipality.current:
            return None
        old = old_number(code)
        if old is None:
            return None
        said = phrases.old_number(old, current_language())
        if old.continuous and request.method in ("GET", "HEAD"):
            if request.endpoint.rsplit(".", 1)[-1] in pages:
                flash(said, "info")
            target = {**request.args.to_dict(flat=False), **args, "code": old.now[0][0]}
            return redirect(url_for(request.endpoint, **target))
        return render_template("municipalities/old_number.html", old=old, said=said), 200
