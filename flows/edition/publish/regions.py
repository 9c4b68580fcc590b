"""The regions the catalogue knows, as staff name them (« Hauts-de-France »): the name their editions were
built with. Read by the portal's « Réglages » page, which lists regions by that name."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from flows.edition.publish.tables import editions


def region_names(engine: Engine) -> dict[str, str]:
    """Each region built once, by its folder's name: the name its editions give it."""
    with engine.connect() as conn:
        return {
            str(region): str(name)
            for region, name in conn.execute(sa.select(editions.c.region, editions.c.region_name))
        }
