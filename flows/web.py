"""The portal's web app, where `fir serve` looks for it: the public download pages and the staff pages
(flows/portal/web.py and its neighbours)."""

from __future__ import annotations

from flows.portal.public import download_name
from flows.portal.web import create_app

__all__ = ["create_app", "download_name"]
