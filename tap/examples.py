"""The DALI examples document of the TAP service (DALI 1.1 §2.3, TAP 1.1 §2.6).

Examples are data (``resources/examples/tap_examples.toml``); this module validates them
and renders the XHTML+RDFa Lite page: each example is a ``div`` with ``typeof="example"``,
an ``id`` and a ``resource`` pointing to itself, its title as ``property="name"``, the
query in a ``pre`` with ``property="query"`` and the tables it uses as
``property="table"`` elements, all below the single ``vocab`` attribute of the examples
vocabulary.  Table names are plain text, never links (TAP 1.1 §2.6).

An example that needs more than its query declares the other request parameters as DALI
generic parameters (DALI 1.1 §2.3.5: ``property="generic-parameter" typeof="keyval"`` with
a ``key`` and a ``value``), so a client can run it as given.  An upload example names one
of the sample source lists the file also declares; the service serves each as a VOTable at
``/tap/examples/<id>.xml`` (:func:`sample_votable`), and the example's ``UPLOAD`` value is
``<table>,<that URL>`` (TAP 1.1 §2.3.7, DALI 1.1 §3.3.5).
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
from lxml import etree
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from resources import RESOURCES_DIR
from vo_service.metadata import ColumnMeta
from vo_service.votable.fields import CooSys
from vo_service.votable.formats import VOTABLE_MEDIA_TYPE
from vo_service.votable.writer import write_votable

EXAMPLES_FILE = RESOURCES_DIR / "examples" / "tap_examples.toml"
EXAMPLES_VOCAB = "http://www.ivoa.net/rdf/examples#"
XHTML_NS = "http://www.w3.org/1999/xhtml"
XHTML_MEDIA_TYPE = "application/xhtml+xml"
#: Path of the sample source lists below the TAP service URL: ``<tap>/examples/<id>.xml``.
SAMPLE_SUFFIX = ".xml"

_NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_UPLOAD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_FROZEN = ConfigDict(frozen=True, extra="forbid")


def _check_ncname(value: str) -> str:
    if not _NCNAME.match(value):
        raise ValueError(f"example id {value!r} must be an XML NCName")
    return value


class SampleSource(BaseModel):
    """One source of a sample list: a name and an ICRS position."""

    model_config = _FROZEN

    name: str = Field(min_length=1)
    ra: float = Field(ge=0, lt=360)
    dec: float = Field(ge=-90, le=90)


class SampleTable(BaseModel):
    """A small source list the service serves for its upload examples."""

    model_config = _FROZEN

    id: str
    title: str
    description: str
    sources: tuple[SampleSource, ...] = Field(min_length=1)

    @field_validator("id")
    @classmethod
    def _ncname(cls, value: str) -> str:
        return _check_ncname(value)

    @property
    def file_name(self) -> str:
        return f"{self.id}{SAMPLE_SUFFIX}"


#: FIELDs of a sample source list (VOTable 1.4; positions ICRS, as DALI 1.1 requires).
SAMPLE_COLUMNS = (
    ColumnMeta(name="name", datatype="char", arraysize="*", ucd="meta.id;meta.main",
               description="Name of the source."),
    ColumnMeta(name="ra", datatype="double", unit="deg", ucd="pos.eq.ra;meta.main",
               description="Right ascension (ICRS)."),
    ColumnMeta(name="dec", datatype="double", unit="deg", ucd="pos.eq.dec;meta.main",
               description="Declination (ICRS)."),
)


class Example(BaseModel):
    """One TAP example: an ADQL query with its name, explanation, tables and the sample
    source lists it uploads (``TAP_UPLOAD.<table>`` name → sample list id)."""

    model_config = _FROZEN

    id: str
    name: str
    description: str
    query: str
    tables: tuple[str, ...] = ()
    uploads: dict[str, str] = Field(default_factory=dict)

    @field_validator("id")
    @classmethod
    def _ncname(cls, value: str) -> str:
        return _check_ncname(value)

    @field_validator("uploads")
    @classmethod
    def _upload_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not _UPLOAD_NAME.match(name):
                raise ValueError(f"upload table name {name!r} must be an ADQL regular identifier")
        return value

    @model_validator(mode="after")
    def _uploads_are_used(self) -> Example:
        for name in self.uploads:
            if f"tap_upload.{name}".lower() not in self.adql.lower():
                raise ValueError(f"example {self.id}: the query does not use TAP_UPLOAD.{name}")
        return self

    @property
    def adql(self) -> str:
        return self.query.strip()

    def parameters(self, tap_url: str) -> tuple[tuple[str, str], ...]:
        """The request parameters besides ``LANG`` and ``QUERY`` (DALI 1.1 §2.3.5)."""
        if not self.uploads:
            return ()
        value = ";".join(f"{name},{sample_url(tap_url, sample)}" for name, sample in self.uploads.items())
        return (("UPLOAD", value),)


class ExampleBook(BaseModel):
    """The whole examples file: the examples and the sample source lists they upload."""

    model_config = _FROZEN

    examples: tuple[Example, ...] = ()
    samples: tuple[SampleTable, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> ExampleBook:
        ids = [e.id for e in self.examples]
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate example ids")
        samples = [s.id for s in self.samples]
        if len(set(samples)) != len(samples):
            raise ValueError("duplicate sample list ids")
        for example in self.examples:
            for sample in example.uploads.values():
                if sample not in samples:
                    raise ValueError(f"example {example.id} uploads {sample!r}, which is not a declared sample list")
        return self

    def sample(self, file_name: str) -> SampleTable | None:
        """The sample list served as ``file_name`` (``<id>.xml``), if any."""
        return next((s for s in self.samples if s.file_name == file_name), None)


def sample_url(tap_url: str, sample_id: str) -> str:
    """The stable URL of a sample source list, below the examples document."""
    return f"{tap_url}/examples/{sample_id}{SAMPLE_SUFFIX}"


@cache
def load_examples(path: Path = EXAMPLES_FILE) -> ExampleBook:
    """The examples of ``path``, checked (unique identifiers, declared sample lists); read
    once, not at every request for the examples page or a sample list."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    try:
        return ExampleBook.model_validate(raw)
    except ValueError as exc:
        raise ValueError(f"{path.name}: {exc}") from exc


def sample_votable(sample: SampleTable) -> bytes:
    """A sample source list as a VOTable 1.4 (TABLEDATA, positions in ICRS)."""
    batch = pa.record_batch({
        "name": pa.array([s.name for s in sample.sources], pa.string()),
        "ra": pa.array([s.ra for s in sample.sources], pa.float64()),
        "dec": pa.array([s.dec for s in sample.sources], pa.float64()),
    })
    chunks = write_votable(SAMPLE_COLUMNS, [batch], encoding="tabledata", coosys=CooSys(),
                           table_name=sample.id.replace("-", "_"), description=sample.description)
    return b"".join(chunks)


def _h(tag: str) -> str:
    return f"{{{XHTML_NS}}}{tag}"


def _sub(parent: Any, tag: str, text: str | None = None, **attributes: str) -> Any:
    element = etree.SubElement(parent, _h(tag), {k.rstrip("_"): v for k, v in attributes.items()})
    if text is not None:
        element.text = text
    return element


def _parameters_element(block: Any, parameters: tuple[tuple[str, str], ...]) -> None:
    """``key = value`` of each generic parameter (DALI 1.1 §2.3.5)."""
    paragraph = _sub(block, "p", "Parameters: ")
    for index, (key, value) in enumerate(parameters):
        item = _sub(paragraph, "span", property="generic-parameter", typeof="keyval")
        _sub(item, "span", key, property="key").tail = " = "
        _sub(item, "span", value, property="value")
        if index < len(parameters) - 1:
            item.tail = ", "


def _example_element(body: Any, example: Example, book: ExampleBook, tap_url: str) -> None:
    block = _sub(body, "div", id=example.id, resource=f"#{example.id}", typeof="example")
    _sub(block, "h2", example.name, property="name")
    for paragraph in example.description.split("\n\n"):
        _sub(block, "p", " ".join(paragraph.split()))
    for name, sample_id in example.uploads.items():
        sample = next(s for s in book.samples if s.id == sample_id)
        note = _sub(block, "p", f"TAP_UPLOAD.{name} is the sample list ")
        link = _sub(note, "a", sample.title, href=sample_url(tap_url, sample.id))
        link.tail = f" ({len(sample.sources)} sources, VOTable): {' '.join(sample.description.split())}"
    if example.tables:
        tables = _sub(block, "p", "Tables: ")
        for index, table in enumerate(example.tables):
            item = _sub(tables, "code", table, property="table")
            if index < len(example.tables) - 1:
                item.tail = ", "
    parameters = example.parameters(tap_url)
    if parameters:
        _parameters_element(block, parameters)
    _sub(block, "pre", "\n" + example.adql + "\n", property="query", class_="query")


def examples_document(book: ExampleBook, *, title: str, tap_url: str) -> bytes:
    """The XHTML+RDFa page (well-formed XML, readable without CSS or scripts)."""
    root = etree.Element(_h("html"), nsmap={None: XHTML_NS})
    root.set("version", "XHTML+RDFa 1.1")
    head = _sub(root, "head")
    _sub(head, "title", f"{title}: ADQL examples")
    _sub(head, "meta", name="viewport", content="width=device-width, initial-scale=1")
    body = _sub(root, "body", vocab=EXAMPLES_VOCAB)
    _sub(body, "h1", f"{title}: ADQL examples")
    intro = _sub(body, "p", "Queries to run on the TAP service at ")
    link = _sub(intro, "a", tap_url, href=tap_url)
    link.tail = (" with TOPCAT, pyvo, astroquery or any TAP client. Tables are described in TAP_SCHEMA and at "
                 "/tap/tables. Examples that need more than their query list the other request parameters "
                 "(such as an UPLOAD of a sample source list served here).")
    contents = _sub(body, "ul", id="contents")
    for example in book.examples:
        _sub(_sub(contents, "li"), "a", example.name, href=f"#{example.id}")
    for example in book.examples:
        _example_element(body, example, book, tap_url)
    document = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return bytes(document)


__all__ = [
    "EXAMPLES_FILE",
    "EXAMPLES_VOCAB",
    "SAMPLE_COLUMNS",
    "VOTABLE_MEDIA_TYPE",
    "XHTML_MEDIA_TYPE",
    "Example",
    "ExampleBook",
    "SampleSource",
    "SampleTable",
    "examples_document",
    "load_examples",
    "sample_url",
    "sample_votable",
]
