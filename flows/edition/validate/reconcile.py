"""The validation report: declared totals against their lines, published derived figures against
their recomputation, and references between tables.

Published inconsistencies are kept as printed and reported as warnings; a gap larger than the
rounding of the printed figures can explain, or a broken reference, is an error that stops the build.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import polars as pl

from flows.edition.compute import catalogue as references
from flows.edition.compute import figures as compute
from flows.edition.errors import InputError, Problem
from flows.edition.french import UNIT_FACTORS, format_amount, format_eur, format_pct, round_half_up
from flows.edition.ingest.snapshot import Edition

TABLE_TITLES = {
    "revenue": "Recettes",
    "execution": "Exécution AE / CP",
    "missions": "Dépenses par mission",
    "cp_by_nature": "CP par nature",
    "thematics": "Dépenses par thématique",
    "revenue_priorities": "Priorités nationales",
    "narrative": "Textes",
    "ledger": "Grand livre (lignes d'engagement et de paiement)",
}


@dataclass(frozen=True)
class Finding:
    level: str  # "warning" | "error"
    table: str
    message: str
    declared: str | None = None
    computed: str | None = None
    gap: str | None = None
    where: str | None = None  # file, line, column
    note: str | None = None  # what the brochure's reader is told, under the table concerned

    def __str__(self) -> str:
        text = self.message
        if self.where:
            text = f"{self.where} — {text}"
        return text


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    checks: int = 0  # how many comparisons were made
    typed_amounts: list[references.TypedAmount] = field(default_factory=list)  # in texts, not tied to data

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "warning"]

    def by_table(self) -> dict[str, list[Finding]]:
        grouped: dict[str, list[Finding]] = {}
        for finding in self.findings:
            grouped.setdefault(finding.table, []).append(finding)
        return grouped


def validate(edition: Edition) -> Report:
    """Check every reference and every reconciliation of an edition; never modifies a value."""
    check_references(edition)  # raises InputError: the brochure cannot be laid out without them
    report = Report(typed_amounts=check_texts(edition))
    _revenue(edition, report)
    _execution(edition, report)
    _missions(edition, report)
    _cp_by_nature(edition, report)
    _thematics(edition, report)
    _priorities(edition, report)
    report.findings += [Finding("warning", "ledger", note) for note in edition.ledger_notes]
    return report


def _where(edition: Edition, table: str, line: int | None, column: str | None) -> str:
    parts = [edition.sources.get(table, f"{table}.csv")]
    if line is not None:
        parts.append(f"ligne {line}")
    if column:
        parts.append(f"colonne « {column} »")
    return ", ".join(parts)


def _reconcile(
    report: Report,
    edition: Edition,
    table: str,
    subject: str,
    declared_row: dict,
    declared_col: str,
    declared_unit: str,
    computed: int,
    line_steps: list[Decimal],
    declared_name: str,
    computed_name: str,
    declared_table: str | None = None,
) -> None:
    declared = declared_row[declared_col]
    dp = declared_row.get(f"{declared_col}_dp")
    result = compute.compare(declared, declared_unit, dp, computed, line_steps)
    report.checks += 1
    if result.status == "ok":
        return
    shown = format_amount(declared, declared_unit, dp or 0)
    message = (
        f"{subject} : {declared_name} {shown} ≠ {computed_name} {format_eur(computed)} "
        f"(écart {'+' if result.gap > 0 else '−'}{format_eur(abs(result.gap))}"
    )
    if result.status == "warning":
        message += "). Écart publié, valeurs conservées telles que publiées."
    else:
        message += f", au-delà de la tolérance d'arrondi de {format_eur(int(result.tolerance))})."
    note = (
        f"Les montants détaillés totalisent {format_eur(computed)} ; le total publié ({shown}) est "
        "conservé tel qu'arrêté dans les comptes (écart d'arrondi)."
    )
    report.findings.append(
        Finding(
            result.status,
            table,
            message,
            shown,
            format_eur(computed),
            format_eur(result.gap),
            _where(edition, declared_table or table, declared_row.get("_line"), declared_col),
            note,
        )
    )


def _steps(frame: pl.DataFrame, column: str) -> list[Decimal]:
    return [
        compute.precision_eur(u, d)
        for u, d, v in frame.select("unit", f"{column}_dp", column).iter_rows()
        if v is not None
    ]


def _revenue(edition: Edition, report: Report) -> None:
    revenue = edition.tables["revenue"]
    total = compute.total_row(revenue)
    detail = compute.lines(revenue)
    for column, label in compute.STAGES:
        if column not in revenue.columns or total[column] is None:
            continue
        values = detail.filter(pl.col(column).is_not_null())
        stage = label.format(year=edition.meta.year, previous=edition.meta.year - 1)
        _reconcile(
            report,
            edition,
            "revenue",
            f"Recettes, {stage}",
            total,
            column,
            total["unit"],
            int(values[column].sum()),
            _steps(values, column),
            "total déclaré",
            "somme des lignes",
        )


def _execution(edition: Edition, report: Report) -> None:
    rates = compute.execution_rates(edition.tables["execution"])
    for row in rates.iter_rows(named=True):
        where = _where(edition, "execution", row["_line"], "rate_pct")
        if row["opened"] is None and row["rate_pct"] is None:
            report.findings.append(
                Finding(
                    "error",
                    "execution",
                    f"{row['budget']} : ni crédits ouverts ni taux publié — impossible de donner un taux d'exécution",
                    where=where,
                )
            )
        if row["opened"] is not None and row["executed"] > row["opened"]:
            report.findings.append(
                Finding("warning", "execution", f"{row['budget']} : exécuté supérieur aux crédits ouverts", where=where)
            )
        if row["rate_computed"] is not None and row["rate_pct"] is not None:
            report.checks += 1
            dp = row["rate_pct_dp"] or 0
            if round_half_up(row["rate_computed"], dp) != round_half_up(row["rate_pct"], dp):
                report.findings.append(
                    Finding(
                        "warning",
                        "execution",
                        f"{row['budget']} : taux publié {format_pct(row['rate_pct'], dp)} ≠ taux calculé "
                        f"{format_pct(row['rate_computed'], dp)} (exécuté / ouvert). Taux publié conservé.",
                        format_pct(row["rate_pct"], dp),
                        format_pct(row["rate_computed"], dp),
                        where=where,
                    )
                )


def _executed(edition: Edition, budget: str) -> dict | None:
    execution = edition.tables["execution"].filter(pl.col("budget") == budget)
    return execution.row(0, named=True) if execution.height else None


def _missions(edition: Edition, report: Report) -> None:
    missions = edition.table("missions")
    if missions is None:
        return
    for column, budget in (("ae", "AE"), ("cp", "CP")):
        row = _executed(edition, budget)
        if row is None:
            continue
        _reconcile(
            report,
            edition,
            "missions",
            f"{budget} par mission",
            row,
            "executed",
            row["unit"],
            int(missions[column].sum()),
            _steps(missions, column),
            f"{budget} exécutées (table execution)",
            "somme des missions",
            "execution",
        )


def _cp_by_nature(edition: Edition, report: Report) -> None:
    natures = edition.table("cp_by_nature")
    row = _executed(edition, "CP")
    if natures is None or row is None:
        return
    _reconcile(
        report,
        edition,
        "cp_by_nature",
        "CP par nature",
        row,
        "executed",
        row["unit"],
        int(natures["amount"].sum()),
        _steps(natures, "amount"),
        "CP exécutés",
        "somme des natures",
        "execution",
    )


def _thematics(edition: Edition, report: Report) -> None:
    thematics = edition.table("thematics")
    if thematics is None:
        return
    total = compute.total_row(thematics)
    detail = compute.lines(thematics)
    _reconcile(
        report,
        edition,
        "thematics",
        "Dépenses par thématique",
        total,
        "amount",
        total["unit"],
        int(detail["amount"].sum()),
        _steps(detail, "amount"),
        "total publié",
        "somme des lignes",
    )
    cp = _executed(edition, "CP")
    if cp is not None:
        _reconcile(
            report,
            edition,
            "thematics",
            "Dépenses par thématique et CP exécutés",
            cp,
            "executed",
            cp["unit"],
            total["amount"],
            [compute.precision_eur(total["unit"], total["amount_dp"])],
            "CP exécutés",
            "total des thématiques",
            "execution",
        )
    split = compute.with_displayed_values(compute.thematic_split(thematics))
    _published_shares(edition, report, split)
    _published_headlines(edition, report, split)


def _published_shares(edition: Edition, report: Report, split: pl.DataFrame) -> None:
    """Published shares are kept while they still round the data; stale ones are replaced."""
    if "published_share_pct" not in split.columns or split["published_share_pct"].is_null().all():
        return
    printed_sum = 0.0
    for row in split.iter_rows(named=True):
        printed = row["published_share_pct"]
        if printed is None:
            continue
        printed_sum += printed
        report.checks += 1
        dp = row["published_share_pct_dp"] or 0
        where = _where(edition, "thematics", row["_line"], "published_share_pct")
        exact = format_pct(row["share_exact"], 3)
        if not compute.published_share_valid(printed, row["share_exact"]):
            message = (
                f"« {row['label']} » : part publiée {format_pct(printed, dp)} périmée (part exacte {exact}) : "
                f"remplacée par la part calculée {format_pct(row['share_display'], row['share_display_dp'])}."
            )
            report.findings.append(
                Finding("warning", "thematics", message, format_pct(printed, dp), exact, where=where)
            )
        elif dp <= 1 and round_half_up(printed, 1) != round_half_up(row["share"], 1):
            message = (
                f"« {row['label']} » : part publiée {format_pct(printed, dp)}, part arrondie de façon "
                f"cohérente avec le total {format_pct(row['share'], 1)} (exacte : {exact}). "
                "Part publiée conservée."
            )
            report.findings.append(
                Finding(
                    "warning", "thematics", message, format_pct(printed, dp), format_pct(row["share"], 1), where=where
                )
            )
    report.checks += 1
    if round(printed_sum, 2) != 100.0:
        report.findings.append(
            Finding(
                "warning",
                "thematics",
                f"La somme des parts publiées fait {format_pct(printed_sum, 2)} et non 100,0 % "
                "(arrondis publiés ligne à ligne). Parts publiées conservées.",
                format_pct(printed_sum, 2),
                "100,0 %",
                where=edition.sources.get("thematics"),
                note="Parts arrondies ligne à ligne : leur somme peut s'écarter légèrement de 100 %.",
            )
        )


def _published_headlines(edition: Edition, report: Report, split: pl.DataFrame) -> None:
    """Published rounded amounts are kept while they are less than one printed step from the data."""
    if "published_headline" not in split.columns:
        return
    for row in split.filter(pl.col("published_headline").is_not_null()).iter_rows(named=True):
        report.checks += 1
        unit, dp = row["published_headline_unit"], row["published_headline_dp"] or 0
        shown = format_amount(row["published_headline"], unit, dp)
        rounded = format_amount(
            int(round_half_up(Decimal(row["amount"]) / UNIT_FACTORS[unit], dp) * UNIT_FACTORS[unit]), unit, dp
        )
        where = _where(edition, "thematics", row["_line"], "published_headline")
        if not compute.published_headline_valid(row["published_headline"], unit, dp, row["amount"]):
            message = (
                f"« {row['label']} » : titre publié {shown} périmé (montant {format_eur(row['amount'])}) : "
                f"remplacé par {format_amount(row['headline'], row['headline_unit'], row['headline_dp'])}."
            )
            report.findings.append(Finding("warning", "thematics", message, shown, rounded, where=where))
        elif shown != rounded:
            message = (
                f"« {row['label']} » : titre publié {shown}, le montant {format_eur(row['amount'])} "
                f"s'arrondit à {rounded}. Titre publié conservé."
            )
            report.findings.append(Finding("warning", "thematics", message, shown, rounded, where=where))


def _priorities(edition: Edition, report: Report) -> None:
    priorities = edition.table("revenue_priorities")
    if priorities is None:
        return
    total = compute.total_row(edition.tables["revenue"])["final"]
    for row in priorities.iter_rows(named=True):
        report.checks += 1
        if total is not None and row["amount"] > total:
            report.findings.append(
                Finding(
                    "error",
                    "revenue_priorities",
                    f"« {row['label']} » ({format_eur(row['amount'])}) dépasse le total "
                    f"des recettes ({format_eur(total)})",
                    where=_where(edition, "revenue_priorities", row["_line"], "amount"),
                )
            )


def check_texts(edition: Edition) -> list[references.TypedAmount]:
    """Every `[[figure]]` named in a text exists (InputError otherwise); return the amounts typed by hand."""
    figures = compute.compute_figures(
        edition.tables, edition.meta.year, edition.missions_ref, edition.meta.subset_exclude
    )
    names = references.catalogue(edition.tables, figures)
    problems: list[Problem] = []
    typed: list[references.TypedAmount] = []
    for text in edition.texts.values():
        problems += references.resolve(text.body, names, text.source, text.body_line)[1]
        typed += references.typed_amounts(text.body, text.source, text.body_line)
    if problems:
        raise InputError(problems)
    return typed


def check_references(edition: Edition) -> None:
    """Every id used in one table exists in the table it points to; raises InputError otherwise."""
    problems: list[Problem] = []
    tables = edition.tables
    source = edition.sources

    def missing(table: str, column: str, allowed: set, frame: pl.DataFrame | None = None, what: str = "") -> None:
        frame = tables.get(table) if frame is None else frame
        if frame is None:
            return
        for line, value in frame.select("_line", column).iter_rows():
            if value is not None and value not in allowed:
                shown = ", ".join(str(a) for a in sorted(allowed, key=str)[:12])
                problems.append(
                    Problem(
                        source[table],
                        f"{what or 'un identifiant connu'} (parmi : {shown}{'…' if len(allowed) > 12 else ''})",
                        line,
                        column,
                        str(value),
                    )
                )

    parts = set(tables["parts"]["part_id"].to_list())
    actions = tables["actions"]
    action_ids = set(actions["action_id"].to_list())
    sections = set(actions.filter(pl.col("parent_id").is_null())["action_id"].to_list())
    missing("actions", "part_id", parts, what="une partie déclarée dans parts")
    missing("actions", "parent_id", sections, what="une section (action sans parent) déclarée plus haut")
    part_of = dict(actions.select("action_id", "part_id").iter_rows())
    for line, parent, part in actions.select("_line", "parent_id", "part_id").iter_rows():
        if parent is not None and parent in part_of and part_of[parent] != part:
            problems.append(
                Problem(
                    source["actions"],
                    f"la même partie que sa section « {parent} » ({part_of[parent]})",
                    line,
                    "part_id",
                    part,
                )
            )
    missing("action_amounts", "action_id", action_ids, what="une action déclarée dans actions")
    missing("key_figures", "action_id", action_ids, what="une action déclarée dans actions")
    numbers = tables["parts"].filter(pl.col("number").is_duplicated())
    for line, number in numbers.select("_line", "number").iter_rows():
        problems.append(Problem(source["parts"], "un numéro de partie unique", line, "number", str(number)))
    reference = set(edition.missions_ref["mission"].to_list())
    missing("missions", "mission", reference, what="un numéro de mission du FIR")
    thematics = tables.get("thematics")
    thematic_ids = set(thematics["thematic_id"].to_list()) if thematics is not None else set()
    for excluded in edition.meta.subset_exclude:
        if excluded not in thematic_ids:
            problems.append(
                Problem(
                    f"{edition.meta.region}/{edition.meta.year}/edition.toml",
                    "une thématique de la table thematics",
                    None,
                    "thematic_subset.exclude",
                    excluded,
                )
            )
    known = {"actions": action_ids, "parts": parts, "thematics": thematic_ids}
    for key, text in edition.texts.items():
        folder, _, name = key.rpartition("/")
        if folder in known and name not in known[folder]:
            problems.append(
                Problem(text.source, f"un nom de fichier égal à un identifiant de {folder}", None, None, name)
            )
        elif folder and folder not in known:
            problems.append(
                Problem(text.source, "un fichier de texts/actions/, texts/parts/ ou texts/thematics/", None, None, key)
            )
        elif not folder and key not in ("fir", "actions", "chiffres"):
            problems.append(
                Problem(
                    text.source,
                    "fir.md, actions.md, chiffres.md ou un sous-dossier actions/, parts/, thematics/",
                    None,
                    None,
                    key,
                )
            )
    if problems:
        raise InputError(problems)
