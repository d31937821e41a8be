"""The web archive (``atti serve``): search and read acts in a browser, with access control."""

from atti.web.app import WebConfig, create_app, serve

__all__ = ["WebConfig", "create_app", "serve"]
