"""What an answer to hostile input must be: the error document of the endpoint's standard."""

from __future__ import annotations

import http.client
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import httpx
from lxml import etree

VOTABLE_NS = {"v": "http://www.ivoa.net/xml/VOTable/v1.3"}
OAI_NS = {"oai": "http://www.openarchives.org/OAI/2.0/"}


def long_get(base_url: str, path: str, params: Sequence[tuple[str, str]],
             headers: Mapping[str, str] | None = None) -> httpx.Response:
    """GET with a query string of any length (httpx refuses URLs beyond 64 kB; pyvo's requests
    and TOPCAT do not)."""
    location = urlsplit(base_url)
    connection = http.client.HTTPConnection(location.hostname or "127.0.0.1", location.port, timeout=120)
    try:
        connection.request("GET", f"{path}?{urlencode(params)}", headers=dict(headers or {}))
        answer = connection.getresponse()
        return httpx.Response(answer.status, headers=answer.getheaders(), content=answer.read())
    finally:
        connection.close()


def dali_error(response: httpx.Response, status: int) -> str:
    """The message of a DALI error VOTable (DALI 1.1 §4.2) answered with ``status``."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("application/x-votable+xml"), response.text[:500]
    root = etree.fromstring(response.content)
    infos = root.xpath("//v:RESOURCE[@type='results']/v:INFO[@name='QUERY_STATUS']", namespaces=VOTABLE_NS)
    assert infos and infos[0].get("value") == "ERROR", response.text[:500]
    return str(infos[0].text or "")


def scs_error(response: httpx.Response, status: int = 200) -> str:
    """The message of an SCS 1.03 §2.3 error VOTable (INFO name="Error"), HTTP 200 for a request
    the service read."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("text/xml"), response.text[:500]
    root = etree.fromstring(response.content)
    errors = root.xpath("/v:VOTABLE/v:INFO[@name='Error']", namespaces=VOTABLE_NS)
    assert len(errors) == 1, response.text[:500]
    return str(errors[0].get("value"))


def soda_error(response: httpx.Response, status: int) -> str:
    """The text of a SODA 1.0 §5.2 error: text/plain starting with the error code."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("text/plain"), response.text[:500]
    assert response.text.startswith("UsageError: "), response.text[:500]
    return response.text


def oai_error(response: httpx.Response, status: int = 200) -> str:
    """The message of an OAI-PMH 2.0 §3.6 badArgument error."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("text/xml"), response.text[:500]
    root = etree.fromstring(response.content)
    errors = root.xpath("/oai:OAI-PMH/oai:error", namespaces=OAI_NS)
    assert [error.get("code") for error in errors] == ["badArgument"], response.text[:500]
    return str(errors[0].text)


@dataclass(frozen=True)
class Endpoint:
    """A parameter-reading endpoint, its base parameters and its error document."""

    name: str
    path: str
    params: tuple[tuple[str, str], ...]
    family: str  # dali, scs, soda, oai

    def error(self, response: httpx.Response, status: int) -> str:
        """The error message, checking the family's document; SCS and OAI-PMH answer errors of a
        request they read with HTTP 200, as their standards say."""
        if self.family == "scs":
            return scs_error(response, 200 if status < 414 else status)
        if self.family == "oai":
            return oai_error(response, 200 if status < 414 else status)
        if self.family == "soda":
            return soda_error(response, status)
        return dali_error(response, status)


def assert_standard_answer(endpoint: Endpoint, response: httpx.Response) -> None:
    """No 5xx, and any error in the endpoint's standard document (the request may also be
    answered normally, or with an error the standard itself defines, such as OAI-PMH badVerb)."""
    assert response.status_code < 500, response.text[:500]
    if endpoint.family == "oai":
        root = etree.fromstring(response.content)
        assert root.tag == f"{{{OAI_NS['oai']}}}OAI-PMH", response.text[:500]
    elif endpoint.family == "scs":
        root = etree.fromstring(response.content)
        assert root.tag == f"{{{VOTABLE_NS['v']}}}VOTABLE", response.text[:500]
    elif response.status_code >= 400:
        endpoint.error(response, response.status_code)


ENDPOINTS = (
    Endpoint("tap-sync", "/tap/sync", (("LANG", "ADQL"), ("QUERY", "SELECT TOP 1 ra FROM corot.targets")), "dali"),
    Endpoint("tap-async", "/tap/async", (("LANG", "ADQL"), ("QUERY", "SELECT TOP 1 ra FROM corot.targets")), "dali"),
    Endpoint("scs", "/scs/scs.xml", (("RA", "100.9"), ("DEC", "-1.06"), ("SR", "0.1")), "scs"),
    Endpoint("ssa", "/ssa/ssap.xml", (("REQUEST", "queryData"), ("POS", "100.9,-1.06")), "dali"),
    Endpoint("datalink", "/ssa/datalink", (("ID", "ivo://corot.vo/corot?nothing"),), "dali"),
    Endpoint("soda", "/ssa/soda", (("ID", "ivo://corot.vo/corot?nothing"),), "soda"),
    Endpoint("oai-pmh", "/registry/oai.xml", (("verb", "Identify"),), "oai"),
)
