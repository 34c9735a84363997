"""Request parameters of the DALI-family services, normalised in one place.

DALI 1.1 §3.1: parameter names are case-insensitive, values are case-sensitive.  Names
are upper-cased here; GET query parameters and POSTed form fields are merged, keeping
every value of a repeated parameter in order.
"""

from __future__ import annotations

from starlette.requests import Request


async def request_params(request: Request) -> dict[str, list[str]]:
    """GET and POST parameters with upper-cased names; values as sent."""
    params: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        params.setdefault(key.upper(), []).append(value)
    if request.method == "POST":
        form = await request.form()
        for key, item in form.multi_items():
            if isinstance(item, str):
                params.setdefault(key.upper(), []).append(item)
    return params


__all__ = ["request_params"]
