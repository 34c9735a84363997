"""Request parameters of the DALI-family services, normalised in one place.

DALI 1.1 §3.1: parameter names are case-insensitive, values are case-sensitive.  Names
are upper-cased here; GET query parameters and POSTed form fields are merged, keeping
every value of a repeated parameter in order.
"""

from __future__ import annotations

from starlette.requests import Request

#: Fields accepted in one POSTed form.  Starlette's default of 1,000 would turn away a
#: DataLink request for the rows of one cone-search answer (pyvo POSTs every ID of a result
#: table at once, then continues in the batch size the service answered with); this still
#: bounds the work a single request can ask for.
MAX_FORM_FIELDS = 100_000


async def request_params(request: Request, *, case_sensitive: bool = False) -> dict[str, list[str]]:
    """GET and POST parameters; values as sent, names upper-cased (DALI 1.1 §3: parameter
    names are case-insensitive) unless ``case_sensitive`` (OAI-PMH 2.0 §3.1.1)."""
    params: dict[str, list[str]] = {}

    def add(key: str, value: str) -> None:
        params.setdefault(key if case_sensitive else key.upper(), []).append(value)

    for key, value in request.query_params.multi_items():
        add(key, value)
    if request.method == "POST":
        form = await request.form(max_fields=MAX_FORM_FIELDS)
        for key, item in form.multi_items():
            if isinstance(item, str):
                add(key, item)
    return params


__all__ = ["MAX_FORM_FIELDS", "request_params"]
