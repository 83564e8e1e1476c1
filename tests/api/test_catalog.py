"""The DCAT-AP-NO catalogue, read as RDF: every mandatory property of the profile.

Mandatory properties written down from DCAT-AP-NO 3 (Digitaliseringsdirektoratet's SHACL
shapes, dcatapno3-core-shapes.ttl):
  Catalog       dct:title, dct:description (language-tagged), dct:publisher (exactly one
                IRI), dcat:contactPoint
  Dataset       dct:title, dct:description (language-tagged), dct:publisher (exactly one
                IRI), dcat:contactPoint, dcat:theme (IRI; EU data-theme vocabulary)
  Distribution  dcat:accessURL (IRI)
  DataService   dcat:endpointURL (exactly one IRI), dct:title, dct:publisher,
                dcat:contactPoint
  vcard:Kind    vcard:fn, and vcard:hasEmail or vcard:hasURL (IRI)
  foaf:Agent    foaf:name
and, where given: at most one title and description per language, dct:accessRights from
the EU access-right vocabulary, dcat:dataset as IRIs.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF

from tests.results.conftest import satisfied
from tests.servicetest_records import record_everything

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
THEMES = "http://publications.europa.eu/resource/authority/data-theme/"
ACCESS = "http://publications.europa.eu/resource/authority/access-right/"


def _graph(api: FlaskClient) -> Graph:
    response = api.get("/api/v1/catalog")
    assert response.status_code == 200
    assert response.mimetype == "application/ld+json"
    graph = Graph()
    with warnings.catch_warnings():
        # rdflib 7.6's own JSON-LD parser still builds a ConjunctiveGraph internally.
        warnings.filterwarnings("ignore", "ConjunctiveGraph is deprecated", DeprecationWarning)
        graph.parse(data=json.dumps(response.get_json()), format="json-ld")
    return graph


def _texts(graph: Graph, node: Any, predicate: URIRef) -> list[Literal]:
    values = list(graph.objects(node, predicate))
    assert values, (node, predicate)
    assert all(isinstance(v, Literal) and v.language for v in values), (node, predicate)
    languages = [v.language for v in values]
    assert len(languages) == len(set(languages)), (node, predicate)  # one per language
    assert {"nb", "nn", "en"} <= set(languages)
    return values  # type: ignore[return-value]


def _one_iri(graph: Graph, node: Any, predicate: URIRef) -> URIRef:
    values = list(graph.objects(node, predicate))
    assert len(values) == 1 and isinstance(values[0], URIRef), (node, predicate, values)
    return values[0]


def _contact_points(graph: Graph, node: Any) -> None:
    contacts = list(graph.objects(node, DCAT.contactPoint))
    assert contacts, node
    for contact in contacts:
        assert (contact, RDF.type, VCARD.Organization) in graph
        assert list(graph.objects(contact, VCARD.fn))
        reach = [*graph.objects(contact, VCARD.hasEmail), *graph.objects(contact, VCARD.hasURL)]
        assert reach and all(isinstance(r, URIRef) for r in reach)


@pytest.fixture
def published(
    add_round: Callable[..., Any],
    publish: Callable[..., Any],
    make_user: Callable[..., Any],
) -> None:
    from datetime import date

    from surveyapp.api import publishing
    from surveyapp.extensions import db
    from surveyapp.questionnaires.store import latest_version
    from surveyapp.servicetest import controls, operations

    publish(add_round("5501", 2025, satisfied(40, 50)))
    publish(add_round("1804", 2026, satisfied(30, 50)))
    protocol = latest_version("servicetest-protocol")
    assert protocol is not None
    caller = make_user("caller")
    test_round = operations.plan(
        None,
        title="Servicetest 2026",
        protocol=protocol,
        year=2026,
        starts_on=date(2026, 9, 7),
        ends_on=date(2026, 9, 25),
        municipalities=["5501", "1804"],
        callers=[caller.id, make_user("caller").id],  # two: web items have two testers
        seed=3,
        selection={"mode": "list"},
    )
    db.session.commit()
    record_everything(test_round, {"5501": 1.0, "1804": 0.4})
    controls.lock(None, test_round)
    publishing.publish_test_round(None, test_round)
    db.session.commit()


def test_the_catalogue_has_every_mandatory_property(api: FlaskClient, published: None) -> None:
    graph = _graph(api)
    catalogues = list(graph.subjects(RDF.type, DCAT.Catalog))
    assert len(catalogues) == 1
    catalogue = catalogues[0]
    _texts(graph, catalogue, DCTERMS.title)
    _texts(graph, catalogue, DCTERMS.description)
    publisher = _one_iri(graph, catalogue, DCTERMS.publisher)
    assert list(graph.objects(publisher, FOAF.name))
    _contact_points(graph, catalogue)

    datasets = list(graph.objects(catalogue, DCAT.dataset))
    assert len(datasets) == 2  # the survey's national table and the service test
    for dataset in datasets:
        assert isinstance(dataset, URIRef)
        assert (dataset, RDF.type, DCAT.Dataset) in graph
        _texts(graph, dataset, DCTERMS.title)
        _texts(graph, dataset, DCTERMS.description)
        assert _one_iri(graph, dataset, DCTERMS.publisher) == publisher
        _contact_points(graph, dataset)
        themes = list(graph.objects(dataset, DCAT.theme))
        assert themes and all(str(t).startswith(THEMES) for t in themes)
        assert str(_one_iri(graph, dataset, DCTERMS.accessRights)) == ACCESS + "PUBLIC"
        distributions = list(graph.objects(dataset, DCAT.distribution))
        assert len(distributions) == 2  # JSON-stat and CSV
        for distribution in distributions:
            assert (distribution, RDF.type, DCAT.Distribution) in graph
            access_urls = list(graph.objects(distribution, DCAT.accessURL))
            assert access_urls and all(isinstance(u, URIRef) for u in access_urls)
            _one_iri(graph, distribution, DCTERMS.format)

    services = list(graph.objects(catalogue, DCAT.service))
    assert len(services) == 1
    service = services[0]
    assert (service, RDF.type, DCAT.DataService) in graph
    endpoint = _one_iri(graph, service, DCAT.endpointURL)
    assert str(endpoint) == "https://kommune.example.no/api/v1/"
    _texts(graph, service, DCTERMS.title)
    assert _one_iri(graph, service, DCTERMS.publisher) == publisher
    _contact_points(graph, service)
    assert set(graph.objects(service, DCAT.servesDataset)) == set(datasets)


def test_the_distributions_answer(api: FlaskClient, published: None) -> None:
    graph = _graph(api)
    urls = [str(u) for u in graph.objects(None, DCAT.accessURL)]
    assert len(urls) == 4
    for url in urls:
        response = api.get(url.replace("https://kommune.example.no", ""))
        assert response.status_code == 200, url


def test_the_publisher_is_the_organisation_when_its_number_is_set(
    app: Any, api: FlaskClient, published: None
) -> None:
    app.config["SURVEYAPP_PUBLISHER_ORGNR"] = "940101808"
    app.config["SURVEYAPP_CONTACT_EMAIL"] = "postmottak@tromso.kommune.no"
    graph = _graph(api)
    catalogue = next(graph.subjects(RDF.type, DCAT.Catalog))
    publisher = _one_iri(graph, catalogue, DCTERMS.publisher)
    assert str(publisher) == "https://data.brreg.no/enhetsregisteret/api/enheter/940101808"
    contact = next(graph.objects(catalogue, DCAT.contactPoint))
    assert (
        str(next(graph.objects(contact, VCARD.hasEmail))) == "mailto:postmottak@tromso.kommune.no"
    )


def test_an_empty_catalogue_is_still_a_valid_catalogue(api: FlaskClient) -> None:
    graph = _graph(api)
    catalogue = next(graph.subjects(RDF.type, DCAT.Catalog))
    _texts(graph, catalogue, DCTERMS.title)
    assert list(graph.objects(catalogue, DCAT.dataset)) == []
