"""The human-readable page at the TAP base URL (TAP 1.1 §2: HTML describing the service)."""

from __future__ import annotations

from lxml import html
from lxml.html import builder as e

#: The child resources of the service, with what each offers.
ENDPOINTS: tuple[tuple[str, str], ...] = (
    ("sync", "synchronous ADQL queries (GET or POST: LANG=ADQL, QUERY, MAXREC, RESPONSEFORMAT, UPLOAD)"),
    ("async", "asynchronous queries as UWS 1.1 jobs; results at async/{job}/results/result"),
    ("capabilities", "VOSI capabilities with the TAPRegExt description of the service"),
    ("availability", "VOSI availability"),
    ("tables", "VOSI tables: schemas, tables and columns (also queryable as TAP_SCHEMA)"),
    ("examples", "example ADQL queries (DALI examples)"),
)


def base_page(title: str, tap_url: str) -> bytes:
    """An HTML page pointing to the endpoints of the service at ``tap_url``."""
    items = [e.LI(e.A(name, href=f"{tap_url}/{name}"), f": {text}") for name, text in ENDPOINTS]
    page = e.HTML(
        e.HEAD(e.META(charset="utf-8"), e.TITLE(f"{title} TAP service")),
        e.BODY(
            e.H1(f"{title} TAP service"),
            e.P("A Table Access Protocol (TAP 1.1) service over the CoRoT archive. Point a TAP client such as "
                "TOPCAT, pyvo or astroquery at ", e.CODE(tap_url), "."),
            e.UL(*items),
        ),
    )
    return bytes(html.tostring(page, doctype="<!DOCTYPE html>", encoding="utf-8"))


__all__ = ["ENDPOINTS", "base_page"]
