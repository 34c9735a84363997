"""The DALI examples document of the TAP service (DALI 1.1 §2.3, TAP 1.1 §2.6).

Examples are data (``resources/examples/tap_examples.toml``); this module validates them
and renders the XHTML+RDFa Lite page: each example is a ``div`` with ``typeof="example"``,
an ``id`` and a ``resource`` pointing to itself, its title as ``property="name"``, the
query in a ``pre`` with ``property="query"`` and the tables it uses as
``property="table"`` elements, all below the single ``vocab`` attribute of the examples
vocabulary.  Table names are plain text, never links (TAP 1.1 §2.6).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from lxml import etree
from pydantic import BaseModel, ConfigDict, field_validator

from resources import RESOURCES_DIR

EXAMPLES_FILE = RESOURCES_DIR / "examples" / "tap_examples.toml"
EXAMPLES_VOCAB = "http://www.ivoa.net/rdf/examples#"
XHTML_NS = "http://www.w3.org/1999/xhtml"
XHTML_MEDIA_TYPE = "application/xhtml+xml"

_NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


class Example(BaseModel):
    """One TAP example: an ADQL query with its name, explanation and tables."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str
    description: str
    query: str
    tables: tuple[str, ...] = ()

    @field_validator("id")
    @classmethod
    def _ncname(cls, value: str) -> str:
        if not _NCNAME.match(value):
            raise ValueError(f"example id {value!r} must be an XML NCName")
        return value

    @property
    def adql(self) -> str:
        return self.query.strip()


def load_examples(path: Path = EXAMPLES_FILE) -> tuple[Example, ...]:
    """The examples of ``path``, checked (unique identifiers)."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    examples = tuple(Example.model_validate(item) for item in raw.get("examples", []))
    ids = [e.id for e in examples]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path.name}: duplicate example ids")
    return examples


def _h(tag: str) -> str:
    return f"{{{XHTML_NS}}}{tag}"


def _sub(parent: Any, tag: str, text: str | None = None, **attributes: str) -> Any:
    element = etree.SubElement(parent, _h(tag), {k.rstrip("_"): v for k, v in attributes.items()})
    if text is not None:
        element.text = text
    return element


def _example_element(body: Any, example: Example) -> None:
    block = _sub(body, "div", id=example.id, resource=f"#{example.id}", typeof="example")
    _sub(block, "h2", example.name, property="name")
    for paragraph in example.description.split("\n\n"):
        _sub(block, "p", " ".join(paragraph.split()))
    if example.tables:
        tables = _sub(block, "p", "Tables: ")
        for index, table in enumerate(example.tables):
            item = _sub(tables, "code", table, property="table")
            if index < len(example.tables) - 1:
                item.tail = ", "
    _sub(block, "pre", "\n" + example.adql + "\n", property="query", class_="query")


def examples_document(examples: tuple[Example, ...], *, title: str, tap_url: str) -> bytes:
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
                 "/tap/tables.")
    contents = _sub(body, "ul", id="contents")
    for example in examples:
        _sub(_sub(contents, "li"), "a", example.name, href=f"#{example.id}")
    for example in examples:
        _example_element(body, example)
    document = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return bytes(document)


__all__ = [
    "EXAMPLES_FILE",
    "EXAMPLES_VOCAB",
    "XHTML_MEDIA_TYPE",
    "Example",
    "examples_document",
    "load_examples",
]
