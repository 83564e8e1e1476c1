"""The API's request and response shapes (marshmallow): they serialise every JSON answer
and the OpenAPI document is generated from them (flask-smorest), so the two agree."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields
from marshmallow.validate import OneOf, Range

FORMATS = ("jsonstat", "csv")


class Texts(ma.Schema):
    """A text in bokmål, nynorsk and English (a missing language falls back to bokmål)."""

    nb = fields.String()
    nn = fields.String(allow_none=True)
    en = fields.String(allow_none=True)


class TableQuery(ma.Schema):
    format = fields.String(
        load_default="jsonstat",
        validate=OneOf(FORMATS),
        metadata={"description": "jsonstat (JSON-stat 2.0 dataset) or csv (RFC 4180, UTF-8)"},
    )
    lang = fields.String(
        load_default=None,
        validate=OneOf(("nb", "nn", "en")),
        metadata={"description": "Language of labels and messages (nb, nn or en; nb by default)"},
    )


class LanguageQuery(ma.Schema):
    lang = fields.String(
        load_default=None,
        validate=OneOf(("nb", "nn", "en")),
        metadata={"description": "Language of labels and messages (nb, nn or en; nb by default)"},
    )


class Link(ma.Schema):
    jsonstat = fields.Url(required=True)
    csv = fields.Url(required=True)


# --------------------------------------------------------------------------- questionnaires


class OptionSchema(ma.Schema):
    value = fields.String(required=True)
    label = fields.Nested(Texts, required=True)


class QuestionSchema(ma.Schema):
    code = fields.String(required=True)
    type = fields.String(required=True)
    text = fields.Nested(Texts, required=True)
    fingerprint = fields.String(
        required=True,
        metadata={"description": "SHA-256 of the wording and options; equal means comparable"},
    )
    options = fields.List(fields.Nested(OptionSchema), required=True)
    dont_know = fields.Boolean(required=True)
    show_if = fields.Dict(allow_none=True)
    indicator = fields.Boolean(
        required=True, metadata={"description": "The share-satisfied question of the survey"}
    )


class VersionSchema(ma.Schema):
    version = fields.Integer(required=True)
    title = fields.Nested(Texts, required=True)
    content_hash = fields.String(required=True)
    loaded_at = fields.DateTime(required=True)
    questions = fields.List(fields.Nested(QuestionSchema), required=True)


class QuestionnaireSummary(ma.Schema):
    code = fields.String(required=True)
    kind = fields.String(required=True)
    title = fields.Nested(Texts, required=True)
    versions = fields.List(fields.Integer(), required=True)
    url = fields.Url(required=True)
    national_table = fields.Nested(Link, allow_none=True)


class QuestionnaireDetail(ma.Schema):
    code = fields.String(required=True)
    kind = fields.String(required=True)
    versions = fields.List(fields.Nested(VersionSchema), required=True)


# --------------------------------------------------------------------------- rounds


class RoundSchema(ma.Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    questionnaire = fields.String(required=True)
    questionnaire_version = fields.Integer(required=True)
    year = fields.Integer(required=True)
    period = fields.String(required=True)
    status = fields.String(required=True)
    target = fields.Float(required=True, metadata={"description": "Target share satisfied, 0–1"})
    municipalities = fields.List(fields.String(), required=True)
    published = fields.Boolean(required=True)
    published_at = fields.DateTime(allow_none=True)
    results = fields.Dict(
        keys=fields.String(),
        values=fields.Url(),
        required=True,
        metadata={"description": "municipality → URL of its results for the round's year"},
    )


# --------------------------------------------------------------------------- results


class ShareSchema(ma.Schema):
    """A share satisfied with its interval, or why it is hidden."""

    status = fields.String(
        allow_none=True,
        metadata={
            "description": "null when shown; small (fewer answers than the minimum), "
            "protected (hidden so that no hidden group can be worked out) or empty"
        },
    )
    k = fields.Integer(allow_none=True)
    n = fields.Integer(allow_none=True)
    share = fields.Float(allow_none=True, metadata={"description": "k / n, exact"})
    low = fields.Float(allow_none=True, metadata={"description": "95 % interval, lower end"})
    high = fields.Float(allow_none=True, metadata={"description": "95 % interval, upper end"})
    share_percent = fields.Float(
        allow_none=True, metadata={"description": "The share as every output shows it"}
    )
    low_percent = fields.Float(allow_none=True)
    high_percent = fields.Float(allow_none=True)
    interval_method = fields.String(allow_none=True)
    verdict = fields.String(
        allow_none=True,
        metadata={"description": "above, below or indistinguishable (against the target)"},
    )


class ChangeSchema(ma.Schema):
    estimate = fields.Float(required=True)
    low = fields.Float(required=True)
    high = fields.Float(required=True)
    p_value = fields.Float(required=True)
    direction = fields.String(required=True)
    test_agrees = fields.Boolean(required=True)
    since = fields.Integer(required=True)


class YearSchema(ma.Schema):
    year = fields.Integer(required=True)
    number = fields.String(
        required=True, metadata={"description": "the municipality's number that year"}
    )
    name = fields.String(required=True, metadata={"description": "its name that year"})
    fingerprint = fields.String(required=True)
    comparable = fields.Boolean(required=True)
    wording_changed = fields.Boolean(required=True)
    share = fields.Nested(ShareSchema, required=True)


class PeerSchema(ma.Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    county = fields.String(required=True)
    own = fields.Boolean(required=True)
    number_then = fields.String(
        allow_none=True,
        metadata={"description": "its number in the year, when not ``code`` (renumbered since)"},
    )
    now_part_of = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "merged or split since: today's municipalities it is part of"},
    )
    share = fields.Nested(ShareSchema, required=True)


class GroupRowSchema(ma.Schema):
    value = fields.String(required=True)
    label = fields.Nested(Texts, required=True)
    share = fields.Nested(ShareSchema, required=True)


class GroupSchema(ma.Schema):
    question = fields.String(required=True)
    whole_hidden = fields.Boolean(required=True)
    hidden_groups = fields.Integer(required=True)
    rows = fields.List(fields.Nested(GroupRowSchema), required=True)


class OptionCountSchema(ma.Schema):
    value = fields.String(required=True)
    label = fields.Nested(Texts, required=True)
    status = fields.String(allow_none=True)
    count = fields.Integer(allow_none=True)
    share = fields.Nested(ShareSchema, allow_none=True)


class NumericSchema(ma.Schema):
    n = fields.Integer(required=True)
    mean = fields.Float(allow_none=True)
    low = fields.Float(allow_none=True, metadata={"description": "smallest answer"})
    high = fields.Float(allow_none=True, metadata={"description": "largest answer"})


class QuestionResultSchema(ma.Schema):
    code = fields.String(required=True)
    type = fields.String(required=True)
    text = fields.Nested(Texts, required=True)
    status = fields.String(allow_none=True)
    n = fields.Integer(allow_none=True)
    dont_know = fields.Integer(allow_none=True)
    options = fields.List(fields.Nested(OptionCountSchema), required=True)
    mean = fields.Float(allow_none=True)
    index = fields.Float(allow_none=True, metadata={"description": "mean as 0–100"})
    numeric = fields.Nested(NumericSchema, allow_none=True)


class ServiceTestSummarySchema(ma.Schema):
    round_id = fields.Integer(required=True)
    title = fields.String(required=True)
    locked = fields.Boolean(required=True)
    score = fields.Float(allow_none=True)
    rank = fields.Integer(allow_none=True)
    ranked = fields.Integer(required=True)
    quartile = fields.String(allow_none=True)
    national_average = fields.Float(allow_none=True)


class MunicipalitySchema(ma.Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    county = fields.String(required=True)


class ReportSchema(ma.Schema):
    municipality = fields.Nested(MunicipalitySchema, required=True)
    questionnaire = fields.String(required=True)
    title = fields.Nested(Texts, required=True)
    year = fields.Integer(required=True)
    years = fields.List(fields.Integer(), required=True)
    target = fields.Float(required=True)
    min_group_size = fields.Integer(required=True)
    responses = fields.Integer(required=True)
    headline = fields.Nested(ShareSchema, required=True)
    change = fields.Nested(ChangeSchema, allow_none=True)
    trend = fields.List(fields.Nested(YearSchema), required=True)
    peers = fields.List(fields.Nested(PeerSchema), required=True)
    groups = fields.List(fields.Nested(GroupSchema), required=True)
    channels = fields.Nested(
        GroupSchema,
        allow_none=True,
        metadata={
            "description": "Share satisfied per channel the answers came through (web, "
            "invitation, e-mail, kiosk, paper); null when all came through one. "
            "'question' is the indicator's question."
        },
    )
    questions = fields.List(fields.Nested(QuestionResultSchema), required=True)
    service_test = fields.Nested(ServiceTestSummarySchema, allow_none=True)
    tables = fields.Dict(keys=fields.String(), values=fields.Nested(Link), required=True)


class JsonStatSchema(ma.Schema):
    """A JSON-stat 2.0 dataset (https://json-stat.org/full/)."""

    version = fields.String(required=True)
    class_ = fields.String(data_key="class", required=True)
    label = fields.String()
    source = fields.String()
    updated = fields.String()
    id = fields.List(fields.String(), required=True)
    size = fields.List(fields.Integer(), required=True)
    role = fields.Dict()
    dimension = fields.Dict(required=True)
    value = fields.List(fields.Raw(allow_none=True), required=True)
    status = fields.Dict(metadata={"description": "position → status code of a hidden cell"})
    note = fields.List(fields.String())
    extension = fields.Dict(metadata={"description": "status: what each status code means"})


# --------------------------------------------------------------------------- service test


class TestRoundSchema(ma.Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    year = fields.Integer(required=True)
    status = fields.String(required=True)
    published = fields.Boolean(required=True)
    published_at = fields.DateTime(allow_none=True)
    ranking = fields.Nested(Link, required=True)


class ErrorSchema(ma.Schema):
    code = fields.Integer(required=True, validate=Range(400, 599))
    status = fields.String(required=True)
    message = fields.String(required=True)
    errors = fields.Dict()
