"""The reader's wording: every sentence and label the brochure, its web edition and the open-data package
print around the figures, read from one file the communication staff edit, `templates/libelles.toml`.

Code asks for a text by its key and gives the values it takes, already formatted (french.py); the words
are the file's. The file is checked whole when first read (and again when it changes): a key missing or
unknown, a `{placeholder}` the code does not give, a text where a list is expected stops the build with
a message naming the file, the line and what was expected, instead of printing an empty or wrong text.
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from flows.edition.errors import InputError, Problem
from flows.paths import TEMPLATES_DIR

FILE_NAME = "libelles.toml"
# Texts drawn in a base-14 PDF font (render/draft_mark.py), which has the characters of Windows-1252 only.
_WIN_ANSI = {"pdf.filigrane_projet"}


def _win_ansi(text: str) -> bool:
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def _may_be_empty(key: str) -> bool:
    """An open-data column's description may be left empty: its table's default is used (an amount's
    « Montant en euros. »), or none."""
    return key.startswith("donnees_ouvertes.") and key.count(".") == 3 and key.endswith(".description")


# Each key of the file and the placeholders its text may use (a tuple: a text; LIST: a list of texts).
LIST = None
_STAGES = ("previous_year", "br1", "br2", "br3", "br4", "final")
_YEARS = ("annee", "annee_precedente")
KEYS: dict[str, tuple[str, ...] | None] = {
    **{f"etapes.{stage}": _YEARS for stage in _STAGES},
    # the reader's notes under the tables
    "tableaux.note_ecart_arrondi": ("somme", "publie"),
    "tableaux.etapes": LIST,
    "tableaux.missions": LIST,
    "tableaux.thematiques": LIST,
    "tableaux.historique": LIST,
    "tableaux.mission": ("numero",),
    "tableaux.mission_nommee": ("numero", "nom"),
    # charts: legends, units, alternative texts (print) and their drawing for phones (web edition)
    "graphiques.legende_ae": (),
    "graphiques.legende_cp": (),
    "graphiques.unite_millions": (),
    "graphiques.mesure_recettes": (),
    "graphiques.mesure_ae": (),
    "graphiques.mesure_cp": (),
    "graphiques.court_recettes": (),
    "graphiques.court_ae": (),
    "graphiques.court_cp": (),
    "graphiques.alt_etapes": ("lignes",),
    "graphiques.alt_etapes_ligne": ("etape", "montant"),
    "graphiques.alt_missions": ("lignes",),
    "graphiques.alt_missions_ligne": ("numero", "ae", "part_ae", "cp", "part_cp"),
    "graphiques.alt_thematiques": ("nombre", "lignes"),
    "graphiques.alt_thematiques_ligne": ("libelle", "montant", "part"),
    "graphiques.alt_historique": ("lignes",),
    "graphiques.alt_historique_ligne": ("annee", "recettes", "ae", "cp"),
    # the web edition's words for screen readers
    "web.tableau_region": ("legende",),
    "web.indicateur": (),
    # the PDF files themselves
    "pdf.filigrane_projet": (),
    "pdf.piece_jointe_donnees": ("nom",),
    "pdf.condition_impression": (),
    # the erratum's « Chiffre modifié » column
    "erratum.action": ("titre",),
    "erratum.action_rang": ("titre", "rang"),
    "erratum.chiffre_cle": ("titre",),
    "erratum.chiffre_cle_rang": ("titre", "rang"),
    "erratum.mission": ("numero", "champ"),
    "erratum.recettes_evolution": (),
    "erratum.recettes_etape": ("etape",),
    "erratum.recettes_etape_pct": ("etape",),
    "erratum.recettes_ligne": ("ligne", "etape"),
    "erratum.historique": ("mesure", "annee"),
    "erratum.historique_ecart": ("mesure", "annee"),
    "erratum.historique_evolution": ("mesure", "annee"),
    "erratum.total": (),
    "erratum.motif_planifie": (),
    "erratum.motif_premiere_publication": (),
    "erratum.chiffre": ("titre", "champ"),
    **{f"erratum.etapes.{stage}": () for stage in _STAGES},
    **{f"erratum.etapes_ligne.{stage}": () for stage in _STAGES},
    **{
        f"erratum.champs.{field}": ()
        for field in ("share", "rounded", "rate", "opened", "ae", "cp", "ae_share", "cp_share")
    },
    **{f"erratum.mesures.{measure}": () for measure in ("revenue", "ae", "cp")},
}


def _open_data_keys() -> dict[str, tuple[str, ...] | None]:
    """The open-data package's keys: each table's title and description, each column's title and
    description (`donnees_ouvertes.<table>.<colonne>`), the words shared by several tables."""
    tables: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {  # table: (title's placeholders, columns)
        "revenue": (("annee",), ("line_id", "kind", "label", "reference")),
        "revenue_stages": ((), ("stage", "label", "amount", "delta", "delta_pct")),
        "revenue_priorities": ((), ("item_id", "label", "qualifier", "amount")),
        "execution": (("annee",), ("budget", "label", "executed", "opened", "rate_pct", "rate_source")),
        "missions": ((), ("mission", "label", "ae", "ae_share", "cp", "cp_share")),
        "cp_by_nature": ((), ("nature_id", "label", "amount")),
        "thematics": (("annee",), ("thematic_id", "kind", "label", "amount", "share_pct", "headline")),
        "thematic_subset": ((), ("thematic_id", "label", "amount", "share_pct")),
        "history": ((), ("year",)),
        "action_amounts": ((), ("label", "qualifier", "amount")),
        "key_figures": ((), ("value", "unit", "label", "detail")),
        "printed_figures": ((), ("name", "printed", "value", "unit")),
    }
    descriptions = {"revenue_stages": ("annee",), "thematic_subset": ("exclues",)}
    keys: dict[str, tuple[str, ...] | None] = {}
    for table, (title, columns) in tables.items():
        keys[f"donnees_ouvertes.{table}.titre"] = title
        keys[f"donnees_ouvertes.{table}.description"] = descriptions.get(table, ())
        for column in columns:
            keys[f"donnees_ouvertes.{table}.{column}.titre"] = ()
            keys[f"donnees_ouvertes.{table}.{column}.description"] = ()
    for column in ("unit", "action_id", "action_title", "position"):
        keys[f"donnees_ouvertes.communs.{column}.titre"] = ()
        keys[f"donnees_ouvertes.communs.{column}.description"] = ()
    keys |= {
        "donnees_ouvertes.communs.montant_description": (),
        "donnees_ouvertes.communs.etape_description": (),
        "donnees_ouvertes.history.mesure_description": ("mesure",),
        "donnees_ouvertes.history.ecart_titre": ("mesure",),
        "donnees_ouvertes.history.ecart_description": (),
        "donnees_ouvertes.history.evolution_titre": ("mesure",),
        "donnees_ouvertes.history.evolution_description": (),
        "donnees_ouvertes.paquet.titre": ("titre", "region"),
        "donnees_ouvertes.paquet.description": ("titre", "region", "revision"),
        "donnees_ouvertes.paquet.mots_cles": LIST,
        "donnees_ouvertes.paquet.source_brochure": ("titre", "region", "revision"),
        "donnees_ouvertes.paquet.licence": (),
        "donnees_ouvertes.paquet.ressource_classeur": ("titre", "feuille"),
        "donnees_ouvertes.paquet.titre_classeur": ("titre", "region"),
    }
    return keys


KEYS |= _open_data_keys()


@dataclass(frozen=True)
class Wording:
    """The checked texts of one wording file, by dotted key."""

    source: str  # the file as messages name it
    texts: Mapping[str, str | tuple[str, ...]]

    def __call__(self, key: str, /, **values: object) -> str:
        """The text of `key` with its placeholders filled in; `values` must be those KEYS lists."""
        expected = KEYS[key]
        if expected is None or set(values) != set(expected):  # a mistake of the code, caught by the tests
            raise KeyError(f"{key}: valeurs {sorted(values)} au lieu de {expected}")
        text = self.texts[key]
        assert isinstance(text, str)
        return text.format_map(values)

    def items(self, key: str) -> tuple[str, ...]:
        """The list of texts of `key` (a table's headers, keywords)."""
        assert KEYS[key] is None
        found = self.texts[key]
        assert isinstance(found, tuple)
        return found


def _flatten(table: Mapping[str, object], prefix: str = "") -> dict[str, object]:
    flat: dict[str, object] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat |= _flatten(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _line(text: str, key: str) -> int | None:
    """The line of the file where `key` is set: under its group's `[header]`, the line setting its name (or
    its column's, `label = { titre = …, description = … }`); None when it is nowhere."""
    lines = text.splitlines()
    parts = key.split(".")
    first, name = 0, parts[0]
    for cut in range(len(parts) - 1, 0, -1):
        header = "[" + ".".join(parts[:cut]) + "]"
        found = next((number for number, line in enumerate(lines) if line.strip() == header), None)
        if found is not None:
            first, name = found + 1, parts[cut]
            break
    for number in range(first, len(lines)):
        if lines[number].lstrip().startswith("["):  # the next group
            break
        if re.match(rf"\s*{re.escape(name)}\s*=", lines[number]):
            return number + 1
    return None


def _problems(flat: Mapping[str, object], text: str, source: str) -> list[Problem]:
    problems = [
        Problem(source, f"un texte pour la clé « {key} » (elle manque au fichier)", value=key)
        for key in KEYS
        if key not in flat
    ]
    for key, value in flat.items():
        line = _line(text, key)
        expected = KEYS.get(key, ())
        if key not in KEYS:
            problems.append(Problem(source, "une clé connue (celle-ci n'est utilisée nulle part)", line, value=key))
        elif expected is None:
            if not (isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value)):
                problems.append(Problem(source, f"une liste de textes pour « {key} »", line, value=str(value)))
        elif not isinstance(value, str) or not (value.strip() or _may_be_empty(key)):
            problems.append(Problem(source, f"un texte non vide pour « {key} »", line, value=str(value)))
        else:
            try:
                used = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
            except ValueError:
                used = {"{"}
            if key in _WIN_ANSI and not _win_ansi(value):  # a base-14 PDF font's characters
                problems.append(
                    Problem(source, f"dans « {key} », des caractères latins (Windows-1252)", line, value=value)
                )
            unknown = sorted(used - set(expected))
            if unknown:
                allowed = ", ".join(f"{{{name}}}" for name in expected) or "aucune"
                problems.append(
                    Problem(
                        source, f"dans « {key} », seulement ces valeurs entre accolades : {allowed}", line, value=value
                    )
                )
    return problems


def read(path: Path) -> Wording:
    """Read and check a wording file; InputError listing every problem in it."""
    source = f"templates/{path.name}"
    try:
        text = path.read_text(encoding="utf-8")
        parsed = tomllib.loads(text)
    except OSError as error:
        raise InputError(Problem(source, f"le fichier des libellés, lisible ({error.strerror})")) from None
    except tomllib.TOMLDecodeError as error:
        raise InputError(Problem(source, f"un fichier TOML valide ({error})")) from None
    flat = _flatten(parsed)
    problems = _problems(flat, text, source)
    if problems:
        raise InputError(problems)
    return Wording(source, {k: tuple(v) if isinstance(v, list) else str(v) for k, v in flat.items()})


_loaded: dict[Path, tuple[tuple[int, int], Wording]] = {}


def wording(templates_dir: Path | None = None) -> Wording:
    """The wording file of `templates_dir` (the project's templates/), read once and again whenever it
    changes on disk."""
    path = (templates_dir or TEMPLATES_DIR) / FILE_NAME
    try:
        stat = path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        stamp = (0, 0)
    cached = _loaded.get(path)
    if cached is None or cached[0] != stamp:
        cached = (stamp, read(path))
        _loaded[path] = cached
    return cached[1]


def words(key: str, /, **values: object) -> str:
    """The text of `key` in the project's wording file, its placeholders filled in."""
    return wording()(key, **values)


def word_list(key: str) -> tuple[str, ...]:
    """The list of texts of `key` in the project's wording file."""
    return wording().items(key)


def stage_label(stage: str, year: int) -> str:
    """A budget stage as printed: `BR1 2018`, `Recettes 2017`."""
    return words(f"etapes.{stage}", annee=year, annee_precedente=year - 1)


def mission_name(number: int, short_label: str | None) -> str:
    """`Mission 2 – Organisation des soins`: a mission by its number and, when it has one, its short name."""
    if short_label:
        return words("tableaux.mission_nommee", numero=number, nom=short_label)
    return words("tableaux.mission", numero=number)
