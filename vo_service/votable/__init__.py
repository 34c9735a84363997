"""Tabular results of every DALI protocol, streamed from Arrow record batches.

- :func:`write_votable`: VOTable 1.4/1.5 in BINARY2, BINARY or TABLEDATA, with MAXREC
  overflow and in-band errors (DALI 1.1 §4.4);
- :func:`resolve_format` / :class:`OutputFormat`: RESPONSEFORMAT → VOTable, CSV, TSV, FITS
  or Parquet;
- :func:`error_votable` / :func:`scs_error_votable`: the DALI and SCS 1.03 error documents.
"""

from vo_service.votable.envelope import Info, Param
from vo_service.votable.errors import error_votable, fault_text, scs_error_votable
from vo_service.votable.fields import VOTABLE_NS, CooSys, Encoding, FieldSpec, OutputColumn, TimeSys, resolve_field
from vo_service.votable.formats import (
    ACCEPTED_FORMATS,
    OutputFormat,
    accepted_values,
    resolve_format,
    write_delimited,
    write_fits,
    write_parquet,
)
from vo_service.votable.writer import VOTableOptions, error_message, prime, write_votable

__all__ = [
    "ACCEPTED_FORMATS",
    "VOTABLE_NS",
    "CooSys",
    "Encoding",
    "FieldSpec",
    "Info",
    "OutputColumn",
    "OutputFormat",
    "Param",
    "TimeSys",
    "VOTableOptions",
    "accepted_values",
    "error_message",
    "error_votable",
    "fault_text",
    "prime",
    "resolve_field",
    "resolve_format",
    "scs_error_votable",
    "write_delimited",
    "write_fits",
    "write_parquet",
    "write_votable",
]
