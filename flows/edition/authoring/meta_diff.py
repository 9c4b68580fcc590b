"""The settings of `edition.toml` compared key by key, each key named in French."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flows.edition.ingest.meta import _toml_problem as toml_problem
from flows.edition.ingest.names import META_FILE

# The keys of edition.toml (inputs/README.md) as the staff read them; another key is said as written.
META_TITLES = {
    "region": "Identifiant de la région",
    "region_name": "Nom de la région",
    "agency": "Nom de l'agence",
    "agency_short": "Nom court de l'agence",
    "year": "Année",
    "title": "Titre de la brochure",
    "part_label": "Nom donné aux parties",
    "website": "Site de l'agence",
    "brand.primary": "Couleur principale",
    "brand.accent": "Couleur d'accent",
    "brand.logo": "Fichier du logo",
    "thematic_subset.title": "Titre de la répartition sans certaines thématiques",
    "thematic_subset.exclude": "Thématiques écartées de cette répartition",
    "shares.rounding": "Arrondi des parts",
    "approval.self_approval": "Auto-approbation (réglage ignoré)",
    "publication.web_url": "Adresse de l'édition web",
}
_ROUNDING = {"half-up": "chaque part arrondie", "largest-remainder": "parts totalisant 100 %"}
ABSENT = "(absent)"


@dataclass(frozen=True)
class MetaChange:
    """One setting of edition.toml added, removed or changed; None where the key is absent."""

    key: str  # `brand.primary`
    title: str  # `Couleur principale`
    old: str | None
    new: str | None

    def line(self) -> str:
        old, new = self.old if self.old is not None else ABSENT, self.new if self.new is not None else ABSENT
        return f"Réglages de l'édition ({META_FILE}), {self.title} : {old} → {new}"


def read_settings(data: bytes | None, source: str, side: str) -> tuple[dict[str, str], str | None]:
    """The settings of an edition.toml as flat keys and French values, or the reason it cannot be read."""
    if data is None:
        return {}, None
    unread = " ; ses réglages ne sont pas comparés"
    try:
        text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError:
        return {}, f"{META_FILE} illisible {side} : {source} — attendu : un fichier encodé en UTF-8{unread}"
    try:
        return _flat(tomllib.loads(text)), None
    except tomllib.TOMLDecodeError as exc:  # said as `fir check` says it: line, character, reason in French
        return {}, f"{META_FILE} illisible {side} : {toml_problem(exc, text, source)}{unread}"


def compare_settings(old: Mapping[str, str], new: Mapping[str, str]) -> tuple[MetaChange, ...]:
    """Every key whose value differs, in the new file's order (then the keys removed)."""
    keys = list(dict.fromkeys([*new, *old]))
    return tuple(
        MetaChange(key, META_TITLES.get(key, key), old.get(key), new.get(key))
        for key in keys
        if old.get(key) != new.get(key)
    )


def _flat(data: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flat(value, f"{name}."))
        else:
            flat[name] = _shown(name, value)
    return flat


def _shown(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list):
        return ", ".join(_shown(key, item) for item in value) if value else "(aucune)"
    if key == "shares.rounding" and value in _ROUNDING:
        return f"{_ROUNDING[value]} ({value})"
    return str(value)
