"""`edition.toml` reader: names, year, brand and thematic subset, parsed by a pydantic model whose
errors become the same located French messages as every other input."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from flows.edition.contract import SLUG
from flows.edition.errors import InputError, Problem
from flows.edition.ingest.files import InputFile, decode_utf8, read_input
from flows.edition.ingest.logo import MAX_LOGO_BYTES, Logo, check_logo
from flows.edition.ingest.names import META_FILE as META_FILE

DEFAULT_PRIMARY = "#00467f"
DEFAULT_ACCENT = "#d4006e"

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Colour = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]


@dataclass(frozen=True)
class EditionMeta:
    region: str
    region_name: str
    agency: str
    agency_short: str
    year: int
    title: str
    part_label: str = "Partie"
    website: str | None = None
    primary: str = DEFAULT_PRIMARY
    accent: str = DEFAULT_ACCENT
    logo: Logo | None = None
    subset_title: str | None = None
    subset_exclude: tuple[str, ...] = ()
    share_rounding: str = "half-up"  # or "largest-remainder" (compute/figures.py)
    # `[approval] self_approval`, which once let the launcher of a build approve it, is ignored: the
    # exception to the four-eyes rule is an administrators' setting in the catalogue (flows/policy.py),
    # never the data under review. True when the file still has the key: `fir check` and builds warn.
    ignored_self_approval: bool = False
    # The web edition's address, printed in the brochure ([publication] web_url); by default the portal's
    # (flows/edition/render/web.py, web_url).
    web_url: str | None = None


class _Brand(BaseModel):
    model_config = ConfigDict(strict=True)
    primary: Colour = DEFAULT_PRIMARY
    accent: Colour = DEFAULT_ACCENT
    logo: str | None = None


class _ThematicSubset(BaseModel):
    model_config = ConfigDict(strict=True)
    title: str | None = None
    exclude: list[str] = Field(default_factory=list)


class _Shares(BaseModel):
    model_config = ConfigDict(strict=True)
    rounding: Literal["half-up", "largest-remainder"] = "half-up"


class _Approval(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")
    self_approval: Any = None  # ignored whatever its value (EditionMeta.ignored_self_approval)


class _Publication(BaseModel):
    model_config = ConfigDict(strict=True)
    web_url: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^https?://[^\s\"<>]+$")] | None = None


class _EditionToml(BaseModel):
    """The file's shape; unknown keys are allowed (comments of a sort, or settings of a later version)."""

    model_config = ConfigDict(strict=True, extra="ignore")
    region: str
    region_name: NonEmpty
    agency: NonEmpty
    agency_short: NonEmpty
    year: int
    title: NonEmpty
    part_label: NonEmpty = "Partie"
    website: NonEmpty | None = None
    brand: _Brand = Field(default_factory=_Brand)
    thematic_subset: _ThematicSubset = Field(default_factory=_ThematicSubset)
    shares: _Shares = Field(default_factory=_Shares)
    approval: _Approval = Field(default_factory=_Approval)
    publication: _Publication = Field(default_factory=_Publication)


def _expected(column: str, error_type: str, year: int) -> str:
    """What the user should have written, for one pydantic error."""
    if error_type == "missing":
        return f"une clé « {column.rpartition('.')[2]} »"
    if column == "shares.rounding":
        return "« half-up » (chaque part arrondie) ou « largest-remainder » (parts qui totalisent 100 %)"
    if column == "publication.web_url":
        return "une adresse web complète entre guillemets (« https://… »)"
    if column in ("brand", "thematic_subset", "shares", "approval", "publication"):
        return f"une section « [{column}] » de lignes « clé = valeur »"
    if column == "year":
        return f"le nombre {year}, sans guillemets"
    if column in ("brand.primary", "brand.accent"):
        return "une couleur « #rrggbb »"
    if column == "thematic_subset.exclude":
        return 'une liste d\'identifiants de thématiques (ex. ["investissements"])'
    if column in ("thematic_subset.title", "brand.logo", "region"):
        return "un texte entre guillemets"
    return "un texte non vide entre guillemets"


def parse_meta(file: InputFile, folder: Path, inputs: Path, region: str, year: int) -> EditionMeta:
    """Parse edition.toml and check it agrees with the folder it sits in (the logo is read here)."""
    source = file.source
    text = decode_utf8(file.data, source, "un fichier encodé en UTF-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(_toml_problem(exc, text, source)) from None
    try:
        model = _EditionToml.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            column = ".".join(str(part) for part in error["loc"] if not isinstance(part, int))
            value = None if error["type"] == "missing" else str(_lookup(data, column))
            problems.append(Problem(source, _expected(column, error["type"], year), column=column, value=value))
        raise InputError(problems) from None
    problems = []
    if model.region != region or not SLUG.match(model.region):
        problems.append(
            Problem(source, f"« {region} », le nom du dossier de la région", column="region", value=model.region)
        )
    if model.year != year:
        problems.append(Problem(source, f"{year}, le nom du dossier de l'année", column="year", value=str(model.year)))
    logo = None
    if model.brand.logo:
        found = _read_logo(model.brand.logo, folder, inputs, source)
        if isinstance(found, Problem):
            problems.append(found)
        else:
            logo = found
    if problems:
        raise InputError(problems)
    return EditionMeta(
        region=model.region,
        region_name=model.region_name,
        agency=model.agency,
        agency_short=model.agency_short,
        year=model.year,
        title=model.title,
        part_label=model.part_label,
        website=model.website,
        primary=model.brand.primary,
        accent=model.brand.accent,
        logo=logo,
        subset_title=model.thematic_subset.title,
        subset_exclude=tuple(model.thematic_subset.exclude),
        share_rounding=model.shares.rounding,
        ignored_self_approval=model.approval.self_approval is not None,
        web_url=model.publication.web_url,
    )


def _read_logo(name: str, folder: Path, inputs: Path, source: str) -> Logo | Problem:
    outside = Problem(source, "un fichier logo dans le dossier de l'édition", column="brand.logo", value=name)
    if "\x00" in name:  # a NUL byte names no file
        return outside
    try:
        path = (folder / name).resolve()
    except (OSError, RuntimeError):  # RuntimeError: a looping link (Python 3.11's resolve)
        return Problem(
            source, "un fichier logo lisible (c'est un lien symbolique qui boucle)", column="brand.logo", value=name
        )
    if not path.is_file() or folder.resolve() not in path.parents:
        return outside
    where = f"{source}, brand.logo"
    if path.stat().st_size > MAX_LOGO_BYTES:  # refused before reading
        size = path.stat().st_size
        return Problem(where, f"un logo de moins de {MAX_LOGO_BYTES // (1024 * 1024)} Mo", value=f"{size} octets")
    return check_logo(read_input(path, inputs), path.name, where)


def _lookup(data: dict[str, Any], column: str) -> Any:
    value: Any = data
    for part in column.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


# tomllib's reasons, said in French; one not listed is said as a syntax error.
TOML_REASONS = {
    "Invalid value": "valeur illisible ; un texte s'écrit entre guillemets",
    "Invalid statement": "ligne illisible",
    "Expected '=' after a key in a key/value pair": "« = » attendu après le nom",
    "Expected ']' at the end of a table declaration": "« ] » attendu à la fin du nom de section",
    "Expected ']]' at the end of an array declaration": "« ]] » attendu à la fin du nom de section",
    "Unterminated string": "guillemet fermant manquant",
    "Unclosed array": "« ] » fermant manquant",
    "Unclosed inline table": "« } » fermant manquant",
    "Invalid initial character for a key part": "caractère interdit au début d'un nom",
    "Invalid date or datetime": "date illisible",
    "Cannot overwrite a value": "nom donné deux fois",
}


def _toml_problem(exc: tomllib.TOMLDecodeError, text: str, source: str) -> Problem:
    where = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
    if where is None:
        return Problem(source, "un fichier TOML valide")
    line, reason = int(where.group(1)), str(exc)[: where.start()].strip()
    said = TOML_REASONS.get(reason) or ("nom donné deux fois" if reason.startswith("Cannot") else "erreur de syntaxe")
    lines = text.splitlines()
    return Problem(
        source,
        f"un fichier TOML valide ({said})",
        line,
        value=lines[line - 1] if line <= len(lines) else None,
        character=int(where.group(2)),
    )
