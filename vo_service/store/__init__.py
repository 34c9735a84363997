"""Storage backends behind one interface (:class:`vo_service.store.base.Store`)."""

from vo_service.store.base import (
    Between,
    Cone,
    Equals,
    IntervalOverlap,
    Like,
    Predicate,
    Query,
    QueryTimeout,
    Store,
    StoreError,
)

__all__ = [
    "Between",
    "Cone",
    "Equals",
    "IntervalOverlap",
    "Like",
    "Predicate",
    "Query",
    "QueryTimeout",
    "Store",
    "StoreError",
]
