"""The validation report: declared totals against their lines, published derived figures against
their recomputation, and references between tables.

Published inconsistencies are kept as printed and reported as warnings; a gap larger than the
rounding of the printed figures can explain, or a broken reference, is an error that stops the build.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import polars as pl

from flows.edition.compute import figures as compute
from flows.edition.compute import published
from flows.edition.compute.catalogue import TypedAmount
from flows.edition.french import UNIT_FACTORS, format_amount, format_eur, format_pct, round_half_up
from flows.edition.ingest.snapshot import Edition
from flows.edition.labels import TABLE_NAMES, column_label
from flows.edition.validate import ledger
from flows.edition.validate.findings import Finding, RoundingNote, where
from flows.edition.validate.references import check_references, typed_amounts
from flows.edition.wording import stage_label

TABLE_TITLES = {
    **TABLE_NAMES,
    "narrative": "Textes",
    "ledger": "Grand livre (lignes d'engagement et de paiement)",
    "inputs": "Lecture des fichiers",
    "publication": "Adresses web imprimées",
}
# Where the findings of a group that is no table come from (validate/address.py: a setting).
SETTING_SOURCES = {"publication": "edition.toml ou FIR_PORTAL_URL"}
LABELS = {"error": "ERREUR", "warning": "avertissement", "info": "information"}


@dataclass
class Report:
    """Every finding of an edition's validation, filled in once by `validate` (then only read)."""

    findings: list[Finding] = field(default_factory=list)
    checks: int = 0  # how many comparisons were made
    typed_amounts: list[TypedAmount] = field(default_factory=list)  # in texts, not tied to data

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


def report_lines(edition: Edition, report: Report) -> list[str]:
    """The report as `fir check` and `fir build` print it: findings by table, hand-typed amounts, verdict."""
    lines = [
        f"Édition {edition.meta.region} {edition.meta.year} : {len(edition.tables)} tables, "
        f"{len(edition.texts)} textes, {report.checks} rapprochements."
    ]
    for table, findings in report.by_table().items():
        source = SETTING_SOURCES.get(table) or edition.sources.get(table, table)
        if table == "ledger" and edition.ledger:
            source = edition.ledger.source
        lines += ["", f"{TABLE_TITLES.get(table, table)} ({source})"]
        for finding in findings:
            lines.append(f"  [{LABELS[finding.level]}] {finding.message}")
            if finding.where:
                lines.append(f"      où : {finding.where}")
    if report.typed_amounts:
        files = len({t.source for t in report.typed_amounts})
        lines += [
            "",
            f"Montants saisis à la main dans les textes, non reliés aux tables ({len(report.typed_amounts)} "
            f"dans {files} fichier(s)) — à relire à chaque correction, ou à remplacer par [[nom]] :",
        ]
        lines += [f"  {typed.source}, ligne {typed.line} : {typed.text}" for typed in report.typed_amounts]
    verdict = "des erreurs empêchent la construction" if report.errors else "données utilisables"
    lines += ["", f"Bilan : {len(report.errors)} erreur(s), {len(report.warnings)} avertissement(s) — {verdict}."]
    return lines


def validate(edition: Edition, basis: published.Basis | None = None) -> Report:
    """Check every reference and every reconciliation of an edition; never modifies a value. `basis`:
    the published values the latest revision printed and the amounts they were printed with.

    Raises InputError when a reference is broken (the brochure cannot be laid out without it); the
    texts' `[[figure]]` names are checked later, against the catalogue of printed figures.
    """
    check_references(edition)
    report = Report(typed_amounts=typed_amounts(edition))
    # How the files were read: a CSV in Windows-1252 (warning), a workbook sheet left aside (information).
    report.findings += [Finding(n.level, "inputs", n.message, where=n.source) for n in edition.notices]
    _revenue(edition, report)
    _execution(edition, report, basis)
    _missions(edition, report)
    _cp_by_nature(edition, report)
    _thematics(edition, report, basis)
    _priorities(edition, report)
    report.findings += ledger.findings(edition)
    return report


def _where(edition: Edition, table: str, line: int | None, column: str | None) -> str:
    """Where a finding points, its column by its French title (« Montant (amount) », as the workbook
    heads it; the name in parentheses is the CSV header's)."""
    return where(edition.sources.get(table, f"{table}.csv"), line, column_label(table, column) if column else None)


def _reconcile(
    report: Report,
    edition: Edition,
    table: str,
    subject: str,
    declared_row: dict[str, Any],
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
    status = result.status
    if status == "ok":
        return
    shown = format_amount(declared, declared_unit, dp or 0)
    message = (
        f"{subject} : {declared_name} {shown} ≠ {computed_name} {format_eur(computed)} "
        f"(écart {'+' if result.gap > 0 else '−'}{format_eur(abs(result.gap))}"
    )
    if status == "warning":
        message += "). Écart publié, valeurs conservées telles que publiées."
    else:
        message += f", au-delà de la tolérance d'arrondi de {format_eur(int(result.tolerance))})."
    note = RoundingNote(computed, declared, declared_unit, dp or 0)
    report.findings.append(
        Finding(
            status,
            table,
            message,
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
    for column in compute.STAGES:
        if column not in revenue.columns or total[column] is None:
            continue
        values = detail.filter(pl.col(column).is_not_null())
        stage = stage_label(column, edition.meta.year)
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


def _execution(edition: Edition, report: Report, basis: published.Basis | None) -> None:
    rates = compute.execution_rates(edition.tables["execution"])
    for row in rates.iter_rows(named=True):
        where = _where(edition, "execution", row["_line"], "rate_pct")
        verdict = compute.rate_verdict(row, basis)
        if verdict is not None and verdict.stale_since is not None:
            moved = ", ".join(f"{format_eur(then)} → {format_eur(now)}" for _, then, now in verdict.changed)
            # No computed rate can replace it without the credits opened: it is kept, and said loudly.
            report.findings.append(
                Finding(
                    "warning",
                    "execution",
                    f"{row['budget']} : taux publié {format_pct(row['rate_pct'], row['rate_pct_dp'] or 0)} "
                    f"conservé faute de crédits ouverts, alors que le montant exécuté a changé depuis la révision "
                    f"{verdict.stale_since} ({moved}) : vérifier ce taux, ou donner les crédits ouverts (colonne "
                    "opened) pour qu'il soit recalculé",
                    where=where,
                )
            )
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
                        f"{format_pct(row['rate_computed'], dp)} (exécuté / ouvert). Taux calculé retenu.",
                        where=where,
                    )
                )


def _executed(edition: Edition, budget: str) -> dict[str, Any] | None:
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


def _thematics(edition: Edition, report: Report, basis: published.Basis | None) -> None:
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
    split = compute.with_displayed_values(
        compute.thematic_split(thematics, edition.meta.share_rounding), total=total["amount"], basis=basis
    )
    _published_shares(edition, report, split, total["amount"], basis)
    _published_headlines(edition, report, split, total["amount"], basis)


def _changed_since(verdict: published.Verdict, split: pl.DataFrame) -> str:
    """`depuis la révision 1 (« Permanence des soins » : 115 072 012 € → 114 972 012 €)`."""
    labels = {f"thematics.{r['thematic_id']}": r["label"] for r in split.iter_rows(named=True)}
    labels["thematics.total"] = "total des thématiques"
    moves = ", ".join(
        f"{labels.get(name, name)} : {format_eur(then)} → {format_eur(now)}" for name, then, now in verdict.changed
    )
    return f"montant modifié depuis la révision {verdict.stale_since} ({moves})"


def _published_shares(
    edition: Edition, report: Report, split: pl.DataFrame, total: int, basis: published.Basis | None
) -> None:
    """Published shares are kept while their amounts are those they were printed with; else replaced."""
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
        verdict, _ = compute.published_verdicts(row, total, basis)
        assert verdict is not None
        if verdict.stale_since is not None:
            message = (
                f"« {row['label']} » : part publiée {format_pct(printed, dp)} remplacée par la part calculée "
                f"{format_pct(row['share_display'], row['share_display_dp'])} : {_changed_since(verdict, split)}."
            )
            report.findings.append(Finding("warning", "thematics", message, where=where))
        elif not verdict.kept:
            message = (
                f"« {row['label']} » : part publiée {format_pct(printed, dp)} périmée (part exacte {exact}) : "
                f"remplacée par la part calculée {format_pct(row['share_display'], row['share_display_dp'])}."
            )
            report.findings.append(Finding("warning", "thematics", message, where=where))
        elif dp <= 1 and round_half_up(printed, 1) != round_half_up(row["share"], 1):
            message = (
                f"« {row['label']} » : part publiée {format_pct(printed, dp)}, part arrondie de façon "
                f"cohérente avec le total {format_pct(row['share'], 1)} (exacte : {exact}). "
                "Part publiée conservée."
            )
            report.findings.append(Finding("warning", "thematics", message, where=where))
    report.checks += 1
    if round(printed_sum, 2) != 100.0:
        report.findings.append(
            Finding(
                "warning",
                "thematics",
                f"La somme des parts publiées fait {format_pct(printed_sum, 2)} et non 100,0 % "
                "(arrondis publiés ligne à ligne). Parts publiées conservées.",
                where=edition.sources.get("thematics"),
            )  # the table says so under it (render/context.py, `shares_note`)
        )


def _published_headlines(
    edition: Edition, report: Report, split: pl.DataFrame, total: int, basis: published.Basis | None
) -> None:
    """Published rounded amounts are kept while their amount is the one they were printed with; before a
    first revision, while they are less than one printed step from it."""
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
        _, verdict = compute.published_verdicts(row, total, basis)
        assert verdict is not None
        if verdict.stale_since is not None:
            message = (
                f"« {row['label']} » : titre publié {shown} remplacé par "
                f"{format_amount(row['headline'], row['headline_unit'], row['headline_dp'])} : "
                f"{_changed_since(verdict, split)}."
            )
            report.findings.append(Finding("warning", "thematics", message, where=where))
        elif not verdict.kept:
            message = (
                f"« {row['label']} » : titre publié {shown} périmé (montant {format_eur(row['amount'])}) : "
                f"remplacé par {format_amount(row['headline'], row['headline_unit'], row['headline_dp'])}."
            )
            report.findings.append(Finding("warning", "thematics", message, where=where))
        elif shown != rounded:
            message = (
                f"« {row['label']} » : titre publié {shown}, le montant {format_eur(row['amount'])} "
                f"s'arrondit à {rounded}. Titre publié conservé."
            )
            report.findings.append(Finding("warning", "thematics", message, where=where))


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
