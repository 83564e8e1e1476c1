"""A DCAT-AP-NO catalogue of the published datasets, as JSON-LD (plain: data in, dict out).

data.norge.no harvests it. The mandatory properties of the profile (DCAT-AP-NO 3,
Digitaliseringsdirektoratet's SHACL shapes) are all given:

* Catalog: dct:title, dct:description, dct:publisher (one, a URI), dcat:contactPoint;
* Dataset: dct:title, dct:description, dct:publisher, dcat:contactPoint, dcat:theme (from
  the EU data-theme vocabulary);
* Distribution: dcat:accessURL;
* DataService (the API itself): dct:title, dct:publisher, dcat:contactPoint,
  dcat:endpointURL;
* the contact point (vcard:Organization): vcard:fn and vcard:hasEmail or vcard:hasURL;
* the publisher (foaf:Agent): foaf:name.

Titles and descriptions are given in bokmål, nynorsk and English.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from surveyapp import formatting
from surveyapp.api.data import Published, SurveyDataset, TestDataset
from surveyapp.catalogs import LANGUAGES, translator

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dcatap": "http://data.europa.eu/r5r/",
}
EU = "http://publications.europa.eu/resource/authority/"
THEMES = (EU + "data-theme/GOVE", EU + "data-theme/SOCI")
NORWAY = EU + "country/NOR"
PUBLIC_ACCESS = EU + "access-right/PUBLIC"
LANGUAGE_URIS = {"nb": EU + "language/NOB", "nn": EU + "language/NNO", "en": EU + "language/ENG"}
FORMATS = {
    "jsonstat": (
        EU + "file-type/JSON",
        "https://www.iana.org/assignments/media-types/application/json",
    ),
    "csv": (EU + "file-type/CSV", "https://www.iana.org/assignments/media-types/text/csv"),
}
JSONSTAT_SPEC = "https://json-stat.org/format/"
ORGANISATION_REGISTER = "https://data.brreg.no/enhetsregisteret/api/enheter/"


@dataclass(frozen=True)
class Settings:
    """Who publishes, how to reach them, the licence, and how to make addresses."""

    publisher_name: str
    publisher_orgnr: str
    contact_email: str
    license: str
    url: Callable[..., str]  # endpoint, **values → absolute address

    @classmethod
    def from_config(cls, config: Mapping[str, Any], url: Callable[..., str]) -> Settings:
        return cls(
            publisher_name=str(config["SURVEYAPP_PUBLISHER_NAME"]),
            publisher_orgnr=str(config["SURVEYAPP_PUBLISHER_ORGNR"] or ""),
            contact_email=str(config["SURVEYAPP_CONTACT_EMAIL"] or ""),
            license=str(config["SURVEYAPP_DATA_LICENSE"]),
            url=url,
        )

    @property
    def publisher_uri(self) -> str:
        """The organisation in Brønnøysundregistrene, or else a node of this catalogue."""
        if self.publisher_orgnr.isdigit() and len(self.publisher_orgnr) == 9:
            return ORGANISATION_REGISTER + self.publisher_orgnr
        return self.url("api.catalogue") + "#publisher"


def _texts(make: Callable[[str], str]) -> list[dict[str, str]]:
    """One text per language, as JSON-LD language-tagged strings."""
    return [{"@value": make(language), "@language": language} for language in LANGUAGES]


def _date(moment: datetime | None) -> dict[str, str] | None:
    if moment is None:
        return None
    return {"@value": moment.date().isoformat(), "@type": "xsd:date"}


def _contact(settings: Settings) -> dict[str, Any]:
    contact: dict[str, Any] = {"@type": "vcard:Organization", "vcard:fn": settings.publisher_name}
    if settings.contact_email:
        contact["vcard:hasEmail"] = {"@id": "mailto:" + settings.contact_email}
    else:
        contact["vcard:hasURL"] = {"@id": settings.url("api_pages.index")}
    return contact


def _common(settings: Settings) -> dict[str, Any]:
    return {
        "dct:publisher": {"@id": settings.publisher_uri},
        "dcat:contactPoint": _contact(settings),
        "dcat:theme": [{"@id": theme} for theme in THEMES],
        "dct:spatial": {"@id": NORWAY},
        "dct:accessRights": {"@id": PUBLIC_ACCESS},
        "dct:language": [{"@id": uri} for uri in LANGUAGE_URIS.values()],
    }


def _distributions(
    settings: Settings, endpoint: str, title: Callable[[str], str], **values: Any
) -> list[dict[str, Any]]:
    result = []
    for fmt, (file_type, media_type) in FORMATS.items():
        address = settings.url(endpoint, format=fmt, **values)
        distribution: dict[str, Any] = {
            "@id": address + "#distribution",
            "@type": "dcat:Distribution",
            "dct:title": _texts(partial(_format_title, title, fmt)),
            "dct:description": _texts(partial(_format_description, fmt)),
            "dcat:accessURL": {"@id": address},
            "dcat:downloadURL": {"@id": address},
            "dct:format": {"@id": file_type},
            "dcat:mediaType": {"@id": media_type},
            "dct:license": {"@id": settings.license},
        }
        if fmt == "jsonstat":
            distribution["dct:conformsTo"] = {"@id": JSONSTAT_SPEC}
        result.append(distribution)
    return result


def _format_title(title: Callable[[str], str], fmt: str, language: str) -> str:
    return f"{title(language)} ({'JSON-stat 2.0' if fmt == 'jsonstat' else 'CSV'})"


def _format_description(fmt: str, language: str) -> str:
    _ = translator(language)
    if fmt == "jsonstat":
        return _("JSON-stat 2.0 dataset; hidden cells have no value and a status saying why.")
    return _("CSV (comma-separated, decimal point, UTF-8), one line per row, with a status column.")


def _keywords(language: str) -> tuple[str, ...]:
    _ = translator(language)
    return (_("citizen survey"), _("user satisfaction"), _("municipality"))


def _survey_dataset(settings: Settings, item: SurveyDataset) -> dict[str, Any]:
    def title(language: str) -> str:
        _ = translator(language)
        return _(
            "%(survey)s: share satisfied per municipality and year",
            survey=formatting.pick(item.definition.title, language),
        )

    def description(language: str) -> str:
        _ = translator(language)
        return _(
            "The share of satisfied answers (top two boxes, \u201cdon't know\u201d left out) "
            "with the number of answers, a 95 %% interval and the verdict against the "
            "target, for %(count)s municipalities, %(first)s\u2013%(last)s. Figures resting "
            "on fewer than 5 answers are hidden.",
            count=item.municipalities,
            first=item.first_year,
            last=item.last_year,
        )

    keywords = [
        {"@value": word, "@language": language}
        for language in LANGUAGES
        for word in _keywords(language)
    ]
    return {
        "@id": settings.url("api.questionnaire", code=item.code) + "#dataset",
        "@type": "dcat:Dataset",
        "dct:identifier": item.code,
        "dct:title": _texts(title),
        "dct:description": _texts(description),
        **_common(settings),
        "dcat:keyword": keywords,
        "dct:temporal": {
            "@type": "dct:PeriodOfTime",
            "dcat:startDate": {"@value": f"{item.first_year}-01-01", "@type": "xsd:date"},
            "dcat:endDate": {"@value": f"{item.last_year}-12-31", "@type": "xsd:date"},
        },
        "dct:modified": _date(item.published_at),
        "foaf:page": {"@id": settings.url("api_pages.index")},
        "dcat:distribution": _distributions(
            settings, "api.national", title, questionnaire=item.code
        ),
    }


def _test_dataset(settings: Settings, item: TestDataset) -> dict[str, Any]:
    def title(language: str) -> str:
        _ = translator(language)
        return _("Service test %(title)s: scores and ranking", title=item.title)

    def description(language: str) -> str:
        _ = translator(language)
        return _(
            "Mystery-shopper test of the municipalities' service by phone, e-mail and web "
            "(%(year)s): score 0\u2013100, rank, grade and quartile band per municipality, "
            "and the score per channel and sector.",
            year=item.year,
        )

    return {
        "@id": settings.url("api.ranking", round_id=item.round_id) + "#dataset",
        "@type": "dcat:Dataset",
        "dct:identifier": f"servicetest-{item.round_id}",
        "dct:title": _texts(title),
        "dct:description": _texts(description),
        **_common(settings),
        "dct:temporal": {
            "@type": "dct:PeriodOfTime",
            "dcat:startDate": {"@value": f"{item.year}-01-01", "@type": "xsd:date"},
            "dcat:endDate": {"@value": f"{item.year}-12-31", "@type": "xsd:date"},
        },
        "dct:modified": _date(item.published_at),
        "dcat:distribution": _distributions(settings, "api.ranking", title, round_id=item.round_id),
    }


def _text(language: str, key: str) -> str:
    _ = translator(language)
    return {
        "service_title": _("Open data API for survey and service-test results"),
        "service_description": _(
            "Read-only API with the published results as JSON, JSON-stat 2.0 and CSV."
        ),
        "catalogue_title": _("Published survey and service-test results"),
        "catalogue_description": _(
            "Citizen satisfaction surveys and mystery-shopper service tests of Norwegian "
            "municipalities, published as open data."
        ),
    }[key]


def build(published: Published, settings: Settings) -> dict[str, Any]:
    """The catalogue with its datasets and the API as a data service."""
    datasets = [_survey_dataset(settings, s) for s in published.surveys]
    datasets += [_test_dataset(settings, t) for t in published.tests]
    for dataset in datasets:
        if dataset.get("dct:modified") is None:
            dataset.pop("dct:modified", None)
    modified = max(
        (
            m
            for m in [
                *(s.published_at for s in published.surveys),
                *(t.published_at for t in published.tests),
            ]
            if m
        ),
        default=None,
    )
    service = {
        "@id": settings.url("api_pages.index") + "#service",
        "@type": "dcat:DataService",
        "dct:title": _texts(lambda lang: _text(lang, "service_title")),
        "dct:description": _texts(lambda lang: _text(lang, "service_description")),
        "dct:publisher": {"@id": settings.publisher_uri},
        "dcat:contactPoint": _contact(settings),
        "dcat:endpointURL": {"@id": settings.url("api_pages.index")},
        "dcat:endpointDescription": {"@id": settings.url("api_pages.openapi")},
        "dcat:servesDataset": [{"@id": d["@id"]} for d in datasets],
        "dct:license": {"@id": settings.license},
    }
    catalogue: dict[str, Any] = {
        "@context": CONTEXT,
        "@id": settings.url("api.catalogue"),
        "@type": "dcat:Catalog",
        "dct:title": _texts(lambda lang: _text(lang, "catalogue_title")),
        "dct:description": _texts(lambda lang: _text(lang, "catalogue_description")),
        "dct:publisher": {
            "@id": settings.publisher_uri,
            "@type": "foaf:Agent",
            "foaf:name": settings.publisher_name,
        },
        "dcat:contactPoint": _contact(settings),
        "dct:language": [{"@id": uri} for uri in LANGUAGE_URIS.values()],
        "dct:license": {"@id": settings.license},
        "foaf:homepage": {"@id": settings.url("api_pages.index")},
        "dcat:themeTaxonomy": {"@id": EU + "data-theme"},
        "dcat:service": [service],
        "dcat:dataset": datasets,
    }
    if modified is not None:
        catalogue["dct:modified"] = _date(modified)
    return catalogue
