"""TAP 1.1 for the CoRoT archive: ADQL (:mod:`tap.adql`), TAP_SCHEMA, VOSI, uploads, sync and
async queries, TAPRegExt capabilities and DALI examples, mounted at ``/tap``."""
