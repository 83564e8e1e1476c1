"""Tests for the questionnaire definition validator and parser (plain Python, no Flask app)."""

from __future__ import annotations

import json
import pickle
from datetime import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from surveyapp.questionnaires.checks import LANGUAGES
from surveyapp.questionnaires.definition import KINDS, Definition, load_file, parse_definition
from surveyapp.questionnaires.problems import DefinitionError, Problem
from surveyapp.questionnaires.protocol import PhoneHours, Protocol
from surveyapp.questionnaires.survey import QUESTION_TYPES, Condition, Option

HERE = Path(__file__).parent
BROKEN = HERE / "broken"
VALID = HERE / "valid"


def problems_of(path: Path) -> str:
    with pytest.raises(DefinitionError) as info:
        load_file(path)
    return str(info.value)


def parse_error(text: str | bytes, filename: str = "inline.yaml") -> DefinitionError:
    with pytest.raises(DefinitionError) as info:
        parse_definition(text, filename)
    return info.value


# --------------------------------------------------------------------------- broken files

BROKEN_CASES: list[tuple[str, tuple[str, ...]]] = [
    ("latin1.yaml", ("not valid UTF-8", "0xf8", "byte offset 87", "line 5")),
    ("malformed-yaml.yaml", ("not valid YAML", "line 8, column 4", "indentation")),
    ("tab-indent.yaml", ("line 6, column 1", "tab characters")),
    ("flow-question-mark.yaml", ("line 11, column 53", "must be in quotes")),
    ("empty.yaml", ("the file is empty",)),
    ("top-level-list.yaml", ("line 1", "top level must be a mapping", "not a list")),
    ("missing-kind.yaml", ("line 1", "missing required key 'kind'")),
    ("unknown-top-key.yaml", ("line 5", "unknown key 'titel'", "did you mean 'title'")),
    ("wrong-format.yaml", ("line 1", "unsupported format 2")),
    ("bad-code.yaml", ("line 2", "code 'Citizen_Survey' is not valid")),
    ("unknown-kind.yaml", ("line 3", "unknown kind 'poll'", "survey, checklist, census")),
    ("duplicate-yaml-key.yaml", ("line 12", "duplicate key 'type' (first at line 10)")),
    (
        "unknown-type.yaml",
        (
            "line 10, question 'overall'",
            "unknown type 'ratng'",
            "expected one of: rating, single, multiple, yesno",
            "did you mean 'rating'",
        ),
    ),
    (
        "question-code-pattern.yaml",
        ("line 9", "question code '2nd_contact' is not valid", "lower-case letter"),
    ),
    (
        "duplicate-question-code.yaml",
        ("line 18, question 'overall'", "duplicate question code 'overall' (first at line 9)"),
    ),
    ("duplicate-section-code.yaml", ("line 15, section 'main'", "duplicate section code 'main'")),
    ("duplicate-option-value.yaml", ("line 15", "duplicate option value 2 (first at line 14)")),
    (
        "missing-language.yaml",
        ("line 11, question 'overall'", "'text' is missing the language 'nn'"),
    ),
    ("empty-translation.yaml", ("line 11", "'text' in 'en' is empty")),
    ("unknown-language.yaml", ("line 11", "'text' has an unknown language 'se'")),
    ("non-string-translation.yaml", ("line 14", "'label' in 'en' must be text, not the number 42")),
    ("rating-non-integer.yaml", ("line 14", "rating options must have integer values", "'good'")),
    (
        "rating-scale-with-codes.yaml",
        ("line 15", "scale 'grades' cannot be used for a rating question", "'bad' (line 7)"),
    ),
    ("unknown-scale.yaml", ("line 15", "unknown scale 'satisfaction7'", "satisfaction5")),
    ("scale-and-options.yaml", ("line 17", "either 'scale' or 'options', not both")),
    (
        "options-on-number.yaml",
        ("line 12, question 'visits'", "'options' does not apply to type 'number'"),
    ),
    ("dont-know-option.yaml", ("line 14", "the option value 'dont_know' is reserved")),
    (
        "show-if-unknown.yaml",
        ("line 15, question 'when'", "unknown question 'contact'", "did you mean 'contacted'"),
    ),
    ("show-if-later.yaml", ("line 12, question 'when'", "comes later in the file (line 13)")),
    ("show-if-self.yaml", ("line 12, question 'contacted'", "refers to the question itself")),
    (
        "show-if-text-type.yaml",
        ("line 15", "of type 'text', which cannot be used in a condition"),
    ),
    (
        "show-if-bad-value.yaml",
        ("line 15", "show_if value 'maybe' is not an option of question 'contacted'"),
    ),
    ("show-if-unquoted-yes.yaml", ("line 15", "not true", 'write "yes" or "no" in quotes')),
    (
        "show-if-dont-know-not-allowed.yaml",
        ("line 18", "show_if value 'dont_know' is not an option of question 'overall'"),
    ),
    (
        "indicator-unknown-question.yaml",
        ("line 16, indicator", "unknown question 'overal'"),
    ),
    (
        "indicator-wrong-type.yaml",
        ("line 13, indicator", "of type 'yesno'", "must be a rating or single question"),
    ),
    ("indicator-value-not-option.yaml", ("line 17", "'satisfied' value 6 is not an option")),
    ("indicator-overlap.yaml", ("line 18", "value 2 is in both 'satisfied' and 'excluded'")),
    ("indicator-target.yaml", ("line 18", "'target' must be a fraction between 0 and 1, not 80")),
    ("indicator-on-checklist.yaml", ("line 15", "'indicator' is only used with kind: survey")),
    ("survey-without-sections.yaml", ("missing required key 'sections'",)),
    ("survey-with-protocol-key.yaml", ("line 5", "'missing_contacts' is only used with kind")),
    ("number-min-max.yaml", ("line 12", "'min' (10) is greater than 'max' (5)")),
    ("text-max-length.yaml", ("line 12", "'max_length' must be at least 1, not 0")),
    (
        "multiple-min-over-max.yaml",
        ("line 12", "'min_choices' (2) is greater than 'max_choices' (1)"),
    ),
    (
        "multiple-more-than-options.yaml",
        ("line 12", "'min_choices' (3) is more than the number of options (2)"),
    ),
    (
        "required-string.yaml",
        ("line 12, question 'contacted'", "'required' must be true or false, not the text 'yes'"),
    ),
    ("protocol-with-sections.yaml", ("line 37", "a protocol has no sections")),
    ("protocol-unknown-channel.yaml", ("line 15", "unknown channel 'fax'")),
    (
        "protocol-channel-weights.yaml",
        ("line 5, channels", "channel weights add up to 0.9, not 1"),
    ),
    ("protocol-sector-weights.yaml", ("line 18, sectors", "sector weights add up to 1.1")),
    (
        "protocol-negative-weight.yaml",
        ("line 19, sector 'technical'", "'weight' must not be negative"),
    ),
    (
        "protocol-weight-string.yaml",
        ("line 16, channel 'web'", "'weight' must be a number, not the text 'a lot'"),
    ),
    ("protocol-scenario-sector.yaml", ("line 30, scenario 'sfo-hours'", "unknown sector 'health'")),
    (
        "protocol-scenario-channel-undefined.yaml",
        ("line 28", "channel 'web' is not defined in the top-level 'channels'"),
    ),
    (
        "protocol-no-checkpoints.yaml",
        ("scenario 'sfo-hours'", "for email needs at least one checkpoint"),
    ),
    ("protocol-duplicate-scenario.yaml", ("line 29", "duplicate scenario code 'water-fee'")),
    (
        "protocol-duplicate-checkpoint.yaml",
        ("line 28, scenario 'water-fee', checkpoint 'amount'", "duplicate checkpoint code"),
    ),
    ("protocol-grade-bands-order.yaml", ("line 35", "highest 'min' first")),
    ("protocol-grade-bands-lowest.yaml", ("the lowest grade band must have min 0, not 1",)),
    ("protocol-speed-order.yaml", ("line 13, channel 'email'", "ascending order of within_days")),
    ("protocol-missing-contacts.yaml", ("line 37", "'zero' or 'exclude'", "'skip'")),
    ("protocol-phone-hours-format.yaml", ("line 37", "'start' must be a time as HH:MM")),
    ("protocol-phone-hours-order.yaml", ("'start' (15:00) must be before 'end' (09:30)",)),
    ("protocol-phone-hours-unquoted.yaml", ("'end' must be a time in quotes", "number 900")),
    ("protocol-points-missing.yaml", ("channel 'web'", "missing required key 'quality'")),
    ("protocol-pass-mark.yaml", ("line 37", "'pass_mark' must be between 0 and 100, not 120")),
    (
        "protocol-non-working-days.yaml",
        (
            "line 37",
            'must be written as "MM-DD" (e.g. "12-24"), not \'24.12\'',
            'must be written in quotes as "MM-DD"',
            "not the number 1231",
            "'02-30' is not a day of the year (no day 30 in month 2)",
        ),
    ),
    (
        "protocol-non-working-days-shape.yaml",
        ("line 37", "'non_working_days' must be a list of days written \"MM-DD\""),
    ),
    ("protocol-non-working-days-twice.yaml", ("line 37", 'the day "12-24" is listed twice')),
]


@pytest.mark.parametrize(
    ("name", "fragments"), BROKEN_CASES, ids=[name for name, _ in BROKEN_CASES]
)
def test_broken_file_is_rejected_with_a_clear_message(
    name: str, fragments: tuple[str, ...]
) -> None:
    path = BROKEN / name
    message = problems_of(path)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in:\n{message}"


def test_every_broken_fixture_is_in_the_table() -> None:
    listed = {name for name, _ in BROKEN_CASES} | {"multiple-problems.yaml"}
    assert listed == {path.name for path in BROKEN.glob("*.yaml")}


def test_every_problem_line_starts_with_the_file_name() -> None:
    for path in BROKEN.glob("*.yaml"):
        with pytest.raises(DefinitionError) as info:
            load_file(path)
        assert info.value.problems
        for line in str(info.value).splitlines():
            assert line.startswith(f"{path}: "), line


def test_all_problems_in_a_file_are_reported_in_file_order() -> None:
    with pytest.raises(DefinitionError) as info:
        load_file(BROKEN / "multiple-problems.yaml")
    problems = info.value.problems
    messages = [p.message for p in problems]
    assert len(problems) >= 5
    assert any("unsupported format 3" in m for m in messages)
    assert any("unknown type 'ratng'" in m for m in messages)
    assert any("missing the language 'nn'" in m for m in messages)
    assert any("'required' must be true or false" in m for m in messages)
    assert any("duplicate question code 'overall'" in m for m in messages)
    lines = [int(p.location.split(",")[0].removeprefix("line ")) for p in problems]
    assert lines == sorted(lines)
    assert str(info.value) == "\n".join(str(p) for p in problems)


# --------------------------------------------------------------------------- valid files


def test_minimal_survey_parses() -> None:
    definition = load_file(VALID / "minimal-survey.yaml")
    assert isinstance(definition, Definition)
    assert definition.code == "minimal-survey"
    assert definition.kind == "survey"
    assert definition.title["nn"] == "Minimal undersøking"
    assert definition.description is None and definition.source is None
    assert definition.indicator is None and definition.protocol is None
    [section] = definition.sections
    assert section.code == "main" and section.intro is None
    [question] = definition.questions
    assert question.code == "overall" and question.type == "rating"
    assert question.section == "main"
    assert question.required is False and question.dont_know is False
    assert question.show_if is None and question.help is None
    assert [o.value for o in question.options] == [1, 2]
    assert definition.question("overall") is question
    with pytest.raises(KeyError):
        definition.question("nope")
    assert len(question.fingerprint) == 64
    assert definition.raw["code"] == "minimal-survey"


def test_full_survey_questions_defaults_and_conditions() -> None:
    definition = load_file(VALID / "full-survey.yaml")
    assert [q.code for q in definition.questions] == [
        "contacted",
        "channel",
        "topics",
        "overall",
        "wait_minutes",
        "call_length",
        "visit_date",
        "visit_time",
        "comments",
    ]
    assert [s.code for s in definition.sections] == ["contact", "satisfaction"]
    assert definition.sections[0].intro == {
        "nb": "Om kontakten din.",
        "nn": "Om kontakten din.",
        "en": "About your contact.",
    }
    assert definition.source == "Tromsø kommune, serviceplan 5.2"

    contacted = definition.question("contacted")
    assert contacted.options == (
        Option("yes", {"nb": "Ja", "nn": "Ja", "en": "Yes"}),
        Option("no", {"nb": "Nei", "nn": "Nei", "en": "No"}),
    )
    assert contacted.dont_know is True  # yesno default
    assert contacted.settings == {"comment": False}
    assert contacted.required is True

    assert definition.question("channel").show_if == Condition("contacted", ("yes",))
    topics = definition.question("topics")
    assert topics.show_if == Condition("channel", ("phone", "email"))
    assert topics.settings == {"min_choices": 1, "max_choices": 2}
    assert topics.section == "contact"

    overall = definition.question("overall")
    assert overall.section == "satisfaction"
    assert [o.value for o in overall.options] == [1, 2, 3, 4, 5]  # resolved from the scale
    assert overall.options[-1].label["en"] == "Very satisfied"
    assert overall.dont_know is True
    assert overall.help is not None and overall.help["en"] == "Think of the last year."
    assert overall.settings == {}

    assert definition.question("wait_minutes").settings == {
        "min": 0,
        "max": 600,
        "integer": True,
        "unit": {"nb": "minutter", "nn": "minutt", "en": "minutes"},
    }
    assert definition.question("call_length").settings == {"max_minutes": 60}
    assert definition.question("visit_date").options == ()
    assert definition.question("visit_time").settings == {}
    assert definition.question("comments").settings == {"max_length": 2000, "multiline": True}

    indicator = definition.indicator
    assert indicator is not None
    assert indicator.question == "overall"
    assert indicator.satisfied == (4, 5)
    assert indicator.excluded == ()
    assert indicator.target == pytest.approx(0.80)


def test_indicator_target_defaults_to_80_percent() -> None:
    text = (VALID / "full-survey.yaml").read_text(encoding="utf-8")
    text = text.replace("  excluded: []\n  target: 0.80\n", "")
    definition = parse_definition(text, "x.yaml")
    assert definition.indicator is not None
    assert definition.indicator.target == pytest.approx(0.80)
    assert definition.indicator.excluded == ()


def test_minimal_protocol_parses_with_defaults_filled_in() -> None:
    definition = load_file(VALID / "minimal-protocol.yaml")
    assert definition.kind == "protocol"
    assert definition.sections == () and definition.questions == ()
    assert definition.indicator is None
    protocol = definition.protocol
    assert isinstance(protocol, Protocol)
    assert protocol.missing_contacts == "zero"
    assert protocol.phone_hours == PhoneHours(start=time(9, 30), end=time(15, 0))
    assert protocol.channels.names == ("phone", "email", "web")
    phone = protocol.channels.phone
    assert phone is not None and phone.weight == pytest.approx(0.30)
    assert phone.max_attempts == 2 and phone.max_wait_seconds == 240
    assert phone.callback_after_minutes == 120 and phone.slot_minutes == 15
    assert phone.calls_per_municipality_per_day == 1
    assert phone.points.courtesy == 3
    email = protocol.channels.email
    assert email is not None and email.quality_cutoff_days == 10 and email.send_cutoff is None
    assert [row.within_days for row in email.speed] == [1, 3, 5]
    web = protocol.channels.web
    assert web is not None and web.time_limit_seconds == 120 and web.testers == 2
    assert protocol.channels["web"] is web
    assert protocol.sectors["technical"].weight == pytest.approx(0.6)
    assert [s.code for s in protocol.scenarios] == ["water-fee", "sfo-hours"]
    water = protocol.scenario("water-fee")
    assert water.sector == "technical" and water.channels == ("phone", "email")
    assert water.checkpoint_codes == ("amount", "basis")
    assert protocol.scenarios[1].persona is None
    assert [band.min for band in protocol.grade_bands] == [81, 61, 0]
    assert protocol.pass_mark == 75  # "godkjent" (DOMAIN.md §3), stated once in the model
    assert protocol.non_working_days == ()  # the legal calendar


def test_protocol_explicit_settings_are_kept() -> None:
    text = (VALID / "minimal-protocol.yaml").read_text(encoding="utf-8")
    text += 'missing_contacts: exclude\nphone_hours: {start: "08:00", end: "14:30"}\n'
    text += 'pass_mark: 70.5\nnon_working_days: ["12-24", "12-31"]\n'
    text = text.replace("    weight: 0.40\n", "    weight: 0.40\n    testers: 3\n")
    text = text.replace(
        "    weight: 0.30\n    speed:", '    weight: 0.30\n    send_cutoff: "12:00"\n    speed:'
    )
    protocol = parse_definition(text, "p.yaml").protocol
    assert protocol is not None
    assert protocol.missing_contacts == "exclude"
    assert protocol.phone_hours == PhoneHours(start=time(8, 0), end=time(14, 30))
    assert protocol.channels.web is not None and protocol.channels.web.testers == 3
    assert protocol.channels.email is not None
    assert protocol.channels.email.send_cutoff == time(12, 0)
    assert protocol.pass_mark == 70.5
    assert protocol.non_working_days == ((12, 24), (12, 31))


def test_scoring_fingerprint_follows_the_rules_not_the_texts() -> None:
    text = (VALID / "minimal-protocol.yaml").read_text(encoding="utf-8")
    base = parse_definition(text, "p.yaml").protocol
    reworded = parse_definition(
        text.replace("What does water cost?", "What is the water fee?"), "p.yaml"
    ).protocol
    new_mark = parse_definition(text + "pass_mark: 60\n", "p.yaml").protocol
    new_points = parse_definition(text.replace("found: 2", "found: 3"), "p.yaml").protocol
    closed = parse_definition(text + 'non_working_days: ["12-24"]\n', "p.yaml").protocol
    assert base and reworded and new_mark and new_points and closed
    assert reworded.scenarios[0].question != base.scenarios[0].question
    assert base.scoring_fingerprint == reworded.scoring_fingerprint == new_mark.scoring_fingerprint
    assert base.scoring_fingerprint != new_points.scoring_fingerprint
    assert base.scoring_fingerprint != closed.scoring_fingerprint


def test_the_protocol_is_immutable() -> None:
    protocol = load_file(VALID / "minimal-protocol.yaml").protocol
    assert protocol is not None
    with pytest.raises(ValidationError, match="frozen"):
        protocol.missing_contacts = "exclude"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        protocol.scenarios[0].code = "other"  # type: ignore[misc]
    assert isinstance(protocol.scenarios, tuple)


def test_channels_keep_the_file_order() -> None:
    text = (VALID / "minimal-protocol.yaml").read_text(encoding="utf-8")
    web = "  web:\n    weight: 0.40\n    points: {found: 2, quality: 3}\n"
    text = text.replace(web, "").replace("channels:\n", "channels:\n" + web, 1)
    protocol = parse_definition(text, "p.yaml").protocol
    assert protocol is not None
    assert protocol.channels.names == ("web", "phone", "email")
    assert [name for name, _ in protocol.channels.items()] == ["web", "phone", "email"]


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        (
            "    weight: 0.40\n",
            "    weight: 0.40\n    testers: 0\n",
            "line 18, channel 'web': 'testers' must be at least 1, not 0",
        ),
        (
            "    weight: 0.30\n    points: {answered_first_contact",
            "    weight: 0.30\n    callback_after_minutes: 0\n    points: {answered_first_contact",
            "line 8, channel 'phone': 'callback_after_minutes' must be at least 1, not 0",
        ),
        (
            "    weight: 0.30\n    points: {answered_first_contact",
            "    weight: 0.30\n    slot_minutes: 7.5\n    points: {answered_first_contact",
            "line 8, channel 'phone': 'slot_minutes' must be a whole number, not the number 7.5",
        ),
        (
            "    weight: 0.30\n    points: {answered_first_contact",
            "    weight: 0.30\n    calls_per_municipality_per_day: 0\n    points: {answered_first",
            "line 8, channel 'phone': 'calls_per_municipality_per_day' must be at least 1, not 0",
        ),
        (
            "    weight: 0.30\n    points: {answered_first_contact",
            "    weight: 0.30\n    slot_minutes: 400\n    points: {answered_first_contact",
            "line 8, channel 'phone': 'slot_minutes' (400) is longer than the phone hours"
            " (09:30–15:00, 330 minutes)",
        ),
        (
            "    weight: 0.40\n",
            "    weight: 0.40\n    tester: 3\n",
            "line 18, channel 'web': unknown key 'tester' (did you mean 'testers'?)",
        ),
        (
            "  web:\n    weight: 0.40\n    points: {found: 2, quality: 3}\n",
            "  web:\n",
            "line 16, channels: 'web' must be a mapping of channel settings, not nothing",
        ),
        (
            "{found: 2, quality: 3}",
            "{found: 0, quality: 0}",
            "line 18, channel 'web': all points are 0",
        ),
        (
            "{found: 2, quality: 3}",
            "{found: 2, quality: .inf}",
            "line 18, channel 'web': 'quality' must be a number, not the number inf",
        ),
        (
            "    speed:\n",
            "    send_cutoff: 12:00\n    speed:\n",
            "line 11, channel 'email': 'send_cutoff' must be a time in quotes",
        ),
        (
            "    speed:\n",
            '    send_cutoff: "noon"\n    speed:\n',
            "line 11, channel 'email': 'send_cutoff' must be a time as HH:MM",
        ),
        (
            "{within_days: 1, points: 5}",
            "{within_days: -1, points: 5}",
            "line 12, channel 'email': 'within_days' must be at least 0, not -1",
        ),
        (
            "{within_days: 1, points: 5}",
            "{within_days: 1.5, points: 5}",
            "line 12, channel 'email': 'within_days' must be a whole number, not the number 1.5",
        ),
        (
            "  technical: {",
            "  Technical: {",
            "line 20, sector 'Technical': sector code 'Technical' is not valid",
        ),
        (
            "channels: [phone, email]",
            "channels: [phone, phone, email]",
            "scenario 'water-fee': channel 'phone' is listed twice",
        ),
        (
            "channels: [phone, email]",
            "channels: [phone, 7]",
            "scenario 'water-fee': a channel name must be text, not the number 7",
        ),
        (
            "channels: [phone, email]",
            "channels: []",
            "scenario 'water-fee': 'channels' is an empty list",
        ),
        (
            "{code: amount, text:",
            "{code: Amount, text:",
            "checkpoint 'Amount': checkpoint code 'Amount' is not valid",
        ),
        (
            "persona: {nb: Huseier, nn: Huseigar, en: House owner}",
            "persona:",
            "'persona' must be a translation map with nb, nn and en, not nothing",
        ),
        (
            "  - {min: 61,",
            "  - {min: 161,",
            "grade_bands: 'min' must be between 0 and 100, not 161",
        ),
        (
            "grade_bands:\n",
            "phone_hours: [9, 15]\ngrade_bands:\n",
            'phone_hours\' must be a mapping {start: "09:30", end: "15:00"}, not a list',
        ),
    ],
)
def test_protocol_problems_name_the_line_and_place(old: str, new: str, fragment: str) -> None:
    text = (VALID / "minimal-protocol.yaml").read_text(encoding="utf-8")
    assert old in text
    error = parse_error(text.replace(old, new, 1), "p.yaml")
    assert fragment in str(error), str(error)
    assert all(str(p).startswith("p.yaml: line ") for p in error.problems), str(error)


def test_weights_within_tolerance_are_accepted() -> None:
    text = (VALID / "minimal-protocol.yaml").read_text(encoding="utf-8")
    text = text.replace("weight: 0.40", "weight: 0.4005")
    assert parse_definition(text, "p.yaml").protocol is not None
    with pytest.raises(DefinitionError, match="add up to"):
        parse_definition(text.replace("weight: 0.4005", "weight: 0.402"), "p.yaml")


def test_constants() -> None:
    assert LANGUAGES == ("nb", "nn", "en")
    assert QUESTION_TYPES == (
        "rating",
        "single",
        "multiple",
        "yesno",
        "number",
        "duration",
        "date",
        "datetime",
        "text",
    )
    assert KINDS == ("survey", "checklist", "census", "protocol")


# --------------------------------------------------------------------------- fingerprints

SURVEY = """\
format: 1
code: {code}
kind: survey
title: {{nb: T, nn: T, en: T}}
sections:
  - code: {section}
    title: {{nb: Del, nn: Del, en: Part}}
    questions:
      - code: first
        type: yesno
        text: {{nb: Første, nn: Første, en: First}}
      - code: {qcode}
        type: rating
        required: {required}
        text: {{nb: "{nb}", nn: Kor nøgd er du, en: How satisfied are you}}
        help: {{nb: "{help}", nn: Hjelp, en: Help}}
{show_if}        options:
          - {{value: 1, label: {{nb: Dårlig, nn: Dårleg, en: Bad}}}}
          - {{value: 2, label: {{nb: "{label}", nn: Bra, en: Good}}}}
"""


def fingerprint(**changes: str) -> str:
    values = {
        "code": "one",
        "section": "main",
        "qcode": "overall",
        "required": "false",
        "nb": "Hvor fornøyd er du",
        "help": "Hjelp",
        "label": "Bra",
        "show_if": "",
    }
    values.update(changes)
    definition = parse_definition(SURVEY.format(**values), f"{values['code']}.yaml")
    return definition.question(values["qcode"]).fingerprint


def test_same_question_in_another_file_has_the_same_fingerprint() -> None:
    assert fingerprint() == fingerprint(code="two", section="other")


@pytest.mark.parametrize(
    "change",
    [
        {"help": "Ny hjelpetekst"},
        {"required": "true"},
        {"qcode": "overall_satisfaction"},
        {"show_if": '        show_if: {question: first, equals: "yes"}\n'},
        {"nb": "Hvor   fornøyd er  du"},  # whitespace only
    ],
)
def test_fingerprint_ignores_what_does_not_change_the_question(change: dict[str, str]) -> None:
    assert fingerprint(**change) == fingerprint()


@pytest.mark.parametrize(
    "change",
    [
        {"nb": "Hvor fornøyd er du egentlig"},
        {"label": "Fornøyd"},
        {"show_if": "        dont_know: true\n"},
    ],
)
def test_fingerprint_changes_with_wording_or_options(change: dict[str, str]) -> None:
    assert fingerprint(**change) != fingerprint()


def test_content_hash_is_stable_under_reformatting() -> None:
    block = """\
# A comment
format: 1
code: tiny
kind: census
title:
  nb: Telling
  nn: Teljing
  en: Census
sections:
  - code: main
    title: {nb: Del, nn: Del, en: Part}
    questions:
      - code: staff
        type: number
        text: {nb: Ansatte, nn: Tilsette, en: Staff}
"""
    flow = (
        "{kind: census, format: 1, code: tiny, title: {en: Census, nn: Teljing, nb: Telling},"
        " sections: [{code: main, title: {nb: Del, nn: Del, en: Part}, questions: [{code: staff,"
        " text: {nb: Ansatte, nn: Tilsette, en: Staff}, type: number}]}]}  # another comment\n"
    )
    a = parse_definition(block, "a.yaml")
    b = parse_definition(flow.encode("utf-8"), "b.yaml")
    assert a.content_hash == b.content_hash
    assert len(a.content_hash) == 64
    assert a.questions[0].fingerprint == b.questions[0].fingerprint
    changed = parse_definition(block.replace("nb: Ansatte", "nb: Tilsatte"), "c.yaml")
    assert changed.content_hash != a.content_hash


@pytest.mark.parametrize("name", ["full-survey.yaml", "minimal-protocol.yaml"])
def test_raw_stored_as_json_parses_back_to_the_same_definition(name: str) -> None:
    original = load_file(VALID / name)
    again = parse_definition(json.dumps(original.raw, ensure_ascii=False), "stored v1")
    assert again.content_hash == original.content_hash
    assert again.questions == original.questions
    assert again.protocol == original.protocol


# --------------------------------------------------------------------------- encoding and input


def test_invalid_utf8_bytes_are_reported() -> None:
    data = (VALID / "minimal-survey.yaml").read_bytes().replace("ø".encode(), b"\xf8", 1)
    error = parse_error(data, "latin.yaml")
    assert "latin.yaml" in str(error)
    assert "UTF-8" in str(error)
    assert "line 4" in str(error)


def test_utf16_gets_its_own_hint() -> None:
    data = (VALID / "minimal-survey.yaml").read_text(encoding="utf-8").encode("utf-16")
    assert "UTF-16" in str(parse_error(data))


def test_utf8_bom_is_accepted() -> None:
    data = b"\xef\xbb\xbf" + (VALID / "minimal-survey.yaml").read_bytes()
    assert parse_definition(data, "bom.yaml").code == "minimal-survey"


def test_control_characters_are_reported() -> None:
    text = (
        (VALID / "minimal-survey.yaml").read_text(encoding="utf-8").replace("Hoveddel", "Hov\x00")
    )
    error = parse_error(text)
    assert "line 7" in str(error) and "character" in str(error)


def test_missing_file_is_a_definition_error(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(DefinitionError) as info:
        load_file(path)
    assert str(info.value) == f"{path}: file not found"
    with pytest.raises(DefinitionError, match="directory"):
        load_file(tmp_path)


def test_load_file_accepts_str_paths() -> None:
    assert load_file(str(VALID / "minimal-survey.yaml")).code == "minimal-survey"


def test_only_safe_yaml_is_accepted() -> None:
    text = "format: 1\ncode: !!python/object:os.system x\n"
    error = parse_error(text)
    assert "not valid YAML" in str(error) and "line 2" in str(error)


def test_several_documents_are_rejected() -> None:
    error = parse_error("format: 1\n---\nformat: 1\n")
    assert "single document" in str(error)


def test_recursive_alias_is_rejected() -> None:
    error = parse_error("format: 1\ncode: &a [*a]\n")
    assert "alias" in str(error)


def test_alias_bomb_is_rejected_quickly() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 8)]
    error = parse_error("\n".join(lines) + "\n")
    assert "too large" in str(error)


def test_anchors_and_merge_keys_work() -> None:
    text = """\
format: 1
code: merged
kind: checklist
title: &t {nb: Sjekkliste, nn: Sjekkliste, en: Checklist}
sections:
  - code: main
    title: *t
    questions:
      - &base {code: first, type: yesno, text: {nb: A, nn: A, en: A}}
      - <<: *base
        code: second
"""
    definition = parse_definition(text, "m.yaml")
    assert [q.code for q in definition.questions] == ["first", "second"]
    assert definition.sections[0].title == definition.title
    assert definition.questions[0].fingerprint == definition.questions[1].fingerprint


def test_problem_and_error_formatting() -> None:
    problem = Problem(
        "questionnaires/x.yaml", "line 14, question 'overall'", "unknown type 'ratng'"
    )
    assert str(problem) == (
        "questionnaires/x.yaml: line 14, question 'overall': unknown type 'ratng'"
    )
    assert str(Problem("x.yaml", "", "file not found")) == "x.yaml: file not found"
    error = DefinitionError([problem, Problem("x.yaml", "line 1", "m")])
    assert str(error) == f"{problem}\nx.yaml: line 1: m"
    copy = pickle.loads(pickle.dumps(error))
    assert copy.problems == error.problems


@pytest.mark.parametrize(
    ("snippet", "fragment"),
    [
        ("        type: yesno\n        comment: maybe\n", "'comment' must be true or false"),
        ("        type: number\n        min: lots\n", "'min' must be a number, not the text"),
        ("        type: duration\n        max_minutes: 0\n", "'max_minutes' must be at least 1"),
        ("        type: text\n        max_length: '100'\n", "(remove the quotes)"),
        ("        type: text\n        colour: red\n", "unknown key 'colour'"),
        ("        type: date\n        dont_know: true\n", "'dont_know' does not apply to type"),
        ("        type: single\n", "needs 'options' or 'scale'"),
        ("        type: single\n        options: []\n", "'options' is an empty list"),
        ("        type: [rating]\n", "'type' must be one of rating"),
        (
            "        type: single\n        options:\n          - {value: Very good,"
            " label: {nb: a, nn: a, en: a}}\n",
            "option value 'Very good' is not valid",
        ),
        (
            "        type: single\n        options:\n"
            "          - {value: 1, label: {nb: a, nn: a, en: a}}\n",
            "needs at least 2 options",
        ),
        ("        type: yesno\n        show_if: contacted\n", "'show_if' must be a mapping"),
    ],
)
def test_wrong_value_types_name_the_key(snippet: str, fragment: str) -> None:
    text = (
        "format: 1\ncode: x\nkind: census\ntitle: {nb: T, nn: T, en: T}\nsections:\n"
        "  - code: main\n    title: {nb: D, nn: D, en: P}\n    questions:\n"
        "      - code: q\n        text: {nb: Q, nn: Q, en: Q}\n" + snippet
    )
    error = parse_error(text, "types.yaml")
    assert fragment in str(error), str(error)
    assert "types.yaml: line " in str(error)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=200), st.binary(max_size=200)))
def test_arbitrary_input_never_raises_anything_else(data: str | bytes) -> None:
    try:
        parse_definition(data, "fuzz.yaml")
    except DefinitionError as error:
        assert error.problems
