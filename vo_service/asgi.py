"""The uvicorn entry point: ``uvicorn --factory vo_service.asgi:app_from_environment``."""

from starlette.applications import Starlette

from vo_service.app import create_app
from vo_service.logging_setup import configure_logging
from vo_service.settings import load_settings


def app_from_environment() -> Starlette:
    """Build the app from ``COROT_VO_*`` environment variables (and ``COROT_VO_CONFIG``)."""
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_json)
    return create_app(settings)


__all__ = ["app_from_environment"]
