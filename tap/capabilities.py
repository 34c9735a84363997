"""The VOSI capabilities of the TAP service (VOSI 1.1 §3.1, TAP 1.1 §2.4, TAPRegExt 1.0).

One ``tr:TableAccess`` capability describes the TAP endpoints (a ``vs:ParamHTTP`` base
interface, version 1.1), the query languages with every optional feature and UDF the ADQL
translator offers, output formats, upload methods and the operator's limits.  VOSI
capabilities, availability and tables and the DALI examples page follow as capabilities of
their own, as TAP 1.1 §2.4 and DALI 1.1 §2.3 show.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

from vo_models.tapregext.models import (
    DataLimit,
    DataLimits,
    DataModelType,
    Language,
    LanguageFeature,
    LanguageFeatureList,
    OutputFormat,
    TableAccess,
    TimeLimits,
    UploadMethod,
    Version,
)
from vo_models.vodataservice.models import ParamHTTP
from vo_models.voresource.models import AccessURL, Capability, Interface, SecurityMethod, WebBrowser
from vo_models.vosi.capabilities.models import VOSICapabilities

from tap.adql import LANGUAGE_FEATURES
from tap.adql import LanguageFeature as AdqlFeature
from tap.xml import url, xml_bytes
from vo_service.settings import Settings
from vo_service.votable.formats import ACCEPTED_FORMATS

TAP_STANDARD_ID = "ivo://ivoa.net/std/TAP"
TAPREGEXT = "ivo://ivoa.net/std/TAPRegExt"
VOSI_CAPABILITIES = "ivo://ivoa.net/std/VOSI#capabilities"
VOSI_AVAILABILITY = "ivo://ivoa.net/std/VOSI#availability"
VOSI_TABLES = "ivo://ivoa.net/std/VOSI#tables-1.1"
DALI_EXAMPLES = "ivo://ivoa.net/std/DALI#examples"
BASIC_AUTH = "ivo://ivoa.net/sso#BasicAA"

#: ObsCore 1.1 data model identifier (ObsCore 1.1 §4, TAPRegExt dataModel).
OBSCORE_MODEL = ("ObsCore-1.1", "ivo://ivoa.net/std/ObsCore#core-1.1")

ADQL_VERSIONS = (("2.0", "ivo://ivoa.net/std/ADQL#v2.0"), ("2.1", "ivo://ivoa.net/std/ADQL#v2.1"))

ADQL_DESCRIPTION = (
    "The Astronomical Data Query Language, the IVOA dialect of SQL with spherical geometry; "
    "ADQL 2.1 with its optional features and the IVOA catalogue UDFs listed here."
)

#: VOTable serialisations with a TAPRegExt output format identifier (TAPRegExt 1.0 §2.4).
_OUTPUT_IDS = {
    "BINARY2": f"{TAPREGEXT}#output-votable-binary2",
    "BINARY": f"{TAPREGEXT}#output-votable-binary",
    "TABLEDATA": f"{TAPREGEXT}#output-votable-td",
}

#: Upload methods (TAPRegExt 1.0 §2.5): inline multipart parts and http(s) URLs.
UPLOAD_METHODS = tuple(f"{TAPREGEXT}#upload-{kind}" for kind in ("inline", "http", "https"))


#: Feature types TAPRegExt 1.0 and PR-ADQL-2.1 introduced, which clients (TOPCAT, STILTS)
#: match in TAPRegExt's own capitalisation.
_CLIENT_KNOWN_FEATURES = frozenset({
    "features-udf", "features-adqlgeo", "features-adql-string", "features-adql-offset", "features-adql-type",
    "features-adql-unit", "features-adql-common-table", "features-adql-sets", "features-adql-bitwise",
})


def tapregext_uri(uri: str) -> str:
    """A feature type as clients recognise it.

    IVOIDs compare case-insensitively (IVOA Identifiers 2.0 §2.1), but clients match the
    feature types exactly as TAPRegExt 1.0 writes them (``ivo://ivoa.net/std/TAPRegExt#...``),
    so the types they know get that spelling.  Types that ADQL 2.1 added later (e.g.
    ``#features-adql-conditional``) keep ADQL 2.1's own all-lower-case form, which clients
    that predate it report as a custom feature rather than as a broken standard key.
    """
    prefix, _, fragment = uri.partition("#")
    if prefix.lower() == TAPREGEXT.lower() and fragment in _CLIENT_KNOWN_FEATURES:
        return f"{TAPREGEXT}#{fragment}"
    return uri


def language_features(features: Iterable[AdqlFeature]) -> list[LanguageFeatureList]:
    """``languageFeatures`` groups, one per type URI, in declaration order."""
    groups: OrderedDict[str, list[LanguageFeature]] = OrderedDict()
    for feature in features:
        groups.setdefault(tapregext_uri(feature.type), []).append(
            LanguageFeature(form=feature.form, description=feature.description)
        )
    return [LanguageFeatureList(type=uri, feature=items) for uri, items in groups.items()]


def output_formats() -> list[OutputFormat]:
    """Every RESPONSEFORMAT the service accepts, with its aliases (TAPRegExt 1.0 §2.4)."""
    formats = []
    for choice in ACCEPTED_FORMATS:
        _, marker, serialization = choice.media_type.partition("serialization=")
        formats.append(OutputFormat(
            mime=choice.media_type,
            alias=list(choice.aliases),
            ivo_id=_OUTPUT_IDS.get(serialization) if marker else None,
        ))
    return formats


def _basic_auth(settings: Settings) -> bool:
    """Whether accounts with passwords exist, so that HTTP Basic authentication works."""
    return any(spec.get("password") for spec in settings.users.values())


def tap_interfaces(settings: Settings, base_url: str) -> list[Interface]:
    """The TAP base interface: anonymous, plus the same URL with HTTP Basic when available.

    VOResource 1.1 Erratum 1 allows one ``securityMethod`` per interface, so each
    authentication method is an interface of its own; an interface without one is
    anonymous (TAP 1.1 §2.4).
    """
    methods: list[list[SecurityMethod]] = [[]]
    if _basic_auth(settings):
        methods.append([SecurityMethod(standard_id=url(BASIC_AUTH))])
    return [
        ParamHTTP(access_url=[AccessURL(value=url(base_url), use="base")], role="std", version="1.1",
                  security_method=method)
        for method in methods
    ]


def tap_capability(settings: Settings, base_url: str) -> TableAccess:
    limits = settings.limits
    retention = limits.job_destruction_days * 86_400
    return TableAccess(
        interface=tap_interfaces(settings, base_url),
        data_model=[DataModelType(value=OBSCORE_MODEL[0], ivo_id=OBSCORE_MODEL[1])],
        language=[Language(
            name="ADQL",
            version=[Version(value=number, ivo_id=ivo_id) for number, ivo_id in ADQL_VERSIONS],
            description=ADQL_DESCRIPTION,
            language_features=language_features(LANGUAGE_FEATURES),
        )],
        output_format=output_formats(),
        upload_method=[UploadMethod(ivo_id=method) for method in UPLOAD_METHODS],
        retention_period=TimeLimits(default=retention, hard=max(retention, 30 * 86_400)),
        execution_duration=TimeLimits(default=limits.async_duration_default_s, hard=limits.async_duration_max_s),
        output_limit=DataLimits(
            default=DataLimit(value=limits.maxrec_default, unit="row"),
            hard=DataLimit(value=limits.maxrec_hard, unit="row"),
        ),
        upload_limit=DataLimits(
            default=DataLimit(value=limits.upload_max_bytes, unit="byte"),
            hard=DataLimit(value=limits.upload_max_bytes, unit="byte"),
        ),
    )


def _vosi_capability(standard_id: str, address: str, version: str = "1.0", *, base: bool = False) -> Capability:
    interface = ParamHTTP(
        access_url=[AccessURL(value=url(address), use="base" if base else "full")], role="std", version=version
    )
    return Capability(standard_id=url(standard_id), interface=[interface])


def capabilities_document(settings: Settings, base_url: str) -> VOSICapabilities:
    """The ``/capabilities`` document for the TAP service at ``base_url``."""
    return VOSICapabilities(capability=[
        tap_capability(settings, base_url),
        _vosi_capability(VOSI_CAPABILITIES, f"{base_url}/capabilities"),
        _vosi_capability(VOSI_AVAILABILITY, f"{base_url}/availability"),
        _vosi_capability(VOSI_TABLES, f"{base_url}/tables", version="1.1", base=True),
        Capability(
            standard_id=url(DALI_EXAMPLES),
            interface=[WebBrowser(access_url=[AccessURL(value=url(f"{base_url}/examples"), use="full")])],
        ),
    ])


def capabilities_xml(settings: Settings, base_url: str) -> bytes:
    return xml_bytes(capabilities_document(settings, base_url))


__all__ = [
    "DALI_EXAMPLES",
    "TAP_STANDARD_ID",
    "UPLOAD_METHODS",
    "capabilities_document",
    "capabilities_xml",
    "language_features",
    "output_formats",
    "tap_capability",
    "tap_interfaces",
    "tapregext_uri",
]
