"""The plain dictionary the templates render from: every figure already formatted in French, the few words
worded outside the templates (a table's note, a budget stage) taken from templates/libelles.toml."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import polars as pl

from flows.edition.charts.data import DrawnChart, displayed_amount, displayed_share
from flows.edition.compute import catalogue as references
from flows.edition.compute import figures as compute
from flows.edition.errors import InputError
from flows.edition.french import (
    format_amount,
    format_eur,
    format_number,
    format_pct,
    in_sentence,
)
from flows.edition.ingest.snapshot import Edition
from flows.edition.prepare import Prepared
from flows.edition.publish.record import Revision
from flows.edition.render import locations, sections
from flows.edition.render.narrative import to_html
from flows.edition.theme import Theme
from flows.edition.validate.reconcile import Report
from flows.edition.wording import stage_label, words


def _text(edition: Edition, key: str, names: Mapping[str, str]) -> str:
    """A narrative text as HTML, its `[[figures]]` replaced by the numbers of the tables."""
    text = edition.texts.get(key)
    if not text:
        return ""
    body, problems = references.resolve(text.body, names, text.source, text.body_line)
    if problems:  # validation stops a build before this; kept for callers that skip it
        raise InputError(problems)
    return to_html(body)


def _amount(row: dict[str, Any], column: str) -> str:
    if row[column] is None:
        return ""
    return format_amount(row[column], row["unit"], row.get(f"{column}_dp") or 0)


def build_context(
    edition: Edition,
    prepared: Prepared,
    charts: Mapping[str, DrawnChart],
    revision: Revision | None = None,
    web_url: str | None = None,
) -> sections.Context:
    """Gather the brochure's content in reading order: data only (ids, anchors, years, names, numbers
    formatted in French); the words around them, titles and sommaire included, are the templates'.
    `web_url`: the web edition's address, printed on the back cover (none: not printed)."""
    meta = edition.meta
    figures, report, names = prepared.figures, prepared.report, prepared.catalogue

    def text(key: str) -> str:
        return _text(edition, key, names)

    return {
        "meta": {
            "title": meta.title,
            "year": meta.year,
            "region_name": meta.region_name,
            "agency": meta.agency,
            "agency_short": meta.agency_short,
            "part_label": meta.part_label,
            "website": meta.website,
            "logo": meta.logo.data_uri if meta.logo else None,
            "web_url": web_url,
        },
        "theme": dataclasses.asdict(Theme.from_brand(meta.primary, meta.accent)),
        "fir_html": text("fir"),
        "actions_intro_html": text("actions"),
        "parts": _parts(edition, text),
        "chiffres": _chiffres(edition, figures, report, charts, text),
        "revision": revision or Revision(1, ""),
        "erratum": [
            sections.ErratumRow(
                label=c.label,
                old=c.old,
                new=c.new,
                anchors=locations.figure_anchors(c.figure, edition.texts.values()),
            )
            for c in (revision.erratum if revision else ())
        ],
    }


def _badges(edition: Edition, action_id: str) -> list[sections.Badge]:
    amounts = edition.table("action_amounts")
    if amounts is None:
        return []
    rows = amounts.filter(pl.col("action_id") == action_id).iter_rows(named=True)
    return [
        sections.Badge(amount=_amount(r, "amount"), label=r["label"] or "", qualifier=r["qualifier"] or "")
        for r in rows
    ]


def _key_figures(edition: Edition, action_id: str) -> list[sections.KeyFigure]:
    figures = edition.table("key_figures")
    if figures is None:
        return []
    result: list[sections.KeyFigure] = []
    for row in figures.filter(pl.col("action_id") == action_id).iter_rows(named=True):
        unit = row["unit"] or ""
        value = format_number(row["value"], row["value_dp"] or 0)
        shown = f"{value}\u00a0{unit}" if unit else value
        result.append(sections.KeyFigure(value=shown, label=row["label"], detail=row["detail"] or ""))
    return result


def _parts(edition: Edition, text: Callable[[str], str]) -> list[sections.Part]:
    actions = edition.tables["actions"]
    parts: list[sections.Part] = []
    for part in edition.tables["parts"].sort("number").iter_rows(named=True):
        opened: list[sections.Section] = []
        for section in actions.filter((pl.col("part_id") == part["part_id"]) & pl.col("parent_id").is_null()).iter_rows(
            named=True
        ):
            children = actions.filter(pl.col("parent_id") == section["action_id"])
            opened.append(
                sections.Section(
                    **_action(edition, section, text),
                    actions=[_action(edition, c, text) for c in children.iter_rows(named=True)],
                )
            )
        parts.append(
            sections.Part(
                anchor=f"partie-{part['part_id']}",
                number=part["number"],
                title=part["title"],
                intro_html=text(f"parts/{part['part_id']}"),
                sections=opened,
            )
        )
    return parts


def _action(edition: Edition, row: dict[str, Any], text: Callable[[str], str]) -> sections.Action:
    return sections.Action(
        anchor=row["action_id"],
        title=row["title"],
        badges=_badges(edition, row["action_id"]),
        key_figures=_key_figures(edition, row["action_id"]),
        html=text(f"actions/{row['action_id']}"),
    )


def _notes(report: Report, table: str) -> list[str]:
    """Reader-facing notes for the published inconsistencies kept in a table, worded by the wording file."""
    return [
        words(
            "tableaux.note_ecart_arrondi",
            somme=format_eur(f.note.lines_sum),
            publie=format_amount(f.note.published, f.note.unit, f.note.decimals),
        )
        for f in report.findings
        if f.table == table and f.level == "warning" and f.note
    ]


def _chiffres(
    edition: Edition,
    figures: compute.Figures,
    report: Report,
    charts: Mapping[str, DrawnChart],
    text: Callable[[str], str],
) -> sections.Chiffres:
    """The "en chiffres" part: revenue, spending, thematics and the comparison across editions, in order."""
    revenue = _revenue(edition, figures, report, charts)
    spending = _spending(edition, figures, report, charts)
    thematics = _thematics(edition, figures, report, charts, text) if figures.thematics is not None else None
    history = _history(figures.history, charts) if figures.history is not None else None
    in_order: list[sections.ChiffresSection] = [revenue, spending]
    in_order += [s for s in (thematics, history) if s is not None]
    return {
        "intro_html": text("chiffres"),
        "sections": in_order,
        "revenue": revenue,
        "spending": spending,
        "thematics": thematics,
        "history": history,
    }


def _revenue(
    edition: Edition, figures: compute.Figures, report: Report, charts: Mapping[str, DrawnChart]
) -> sections.RevenueSection:
    """The revenue: its table at each budget stage, the year's change, the stages' variances."""
    revenue = edition.tables["revenue"]
    stage_columns = [c for c in compute.STAGES if c in revenue.columns and revenue[c].is_not_null().any()]
    total = compute.total_row(revenue)
    growth_abs, growth_pct = figures.revenue_growth
    variances = [
        sections.Variance(
            label=stage_label(r["stage"], r["year"]),
            amount=format_amount(r["amount"], total["unit"], r["dp"] or 0),
            delta=references.stage_variance(r, total["unit"])[0],
            delta_pct=references.stage_variance(r, total["unit"])[1],
        )
        for r in figures.revenue_stages.iter_rows(named=True)
    ]
    priorities = edition.table("revenue_priorities")
    return {
        "anchor": "recettes",
        "headers": [stage_label(c, edition.meta.year) for c in stage_columns],
        "rows": [
            {
                "id": r["line_id"],
                "label": r["label"],
                "reference": r["reference"] or "",
                "is_total": r["kind"] == "total",
                "cells": [_amount(r, c) for c in stage_columns],
            }
            for r in revenue.iter_rows(named=True)
        ],
        "total": _amount(total, "final"),
        "lines": [
            {"label": r["label"], "amount": _amount(r, "final")}
            for r in compute.lines(revenue).filter(pl.col("final").is_not_null()).iter_rows(named=True)
        ],
        "growth_pct": format_pct(growth_pct, 2, signed=True) if growth_pct is not None else None,
        "growth_abs": references.revenue_growth_amount(total, growth_abs) if growth_abs is not None else None,
        "previous_total": _amount(total, "previous_year") if "previous_year" in stage_columns else None,
        "variances": variances if len(variances) > 1 else [],
        "chart": charts.get("revenue-stages"),
        "notes": _notes(report, "revenue"),
        "priorities": [
            sections.Priority(label=r["label"], qualifier=r["qualifier"] or "", amount=_amount(r, "amount"))
            for r in (priorities.iter_rows(named=True) if priorities is not None else ())
        ],
    }


def _spending(
    edition: Edition, figures: compute.Figures, report: Report, charts: Mapping[str, DrawnChart]
) -> sections.SpendingSection:
    """The spending: execution of AE and CP, CP by nature, AE and CP by mission."""
    execution = [
        sections.Execution(
            budget=r["budget"],
            label=r["label"],
            executed=_amount(r, "executed"),
            opened=_amount(r, "opened"),
            rate=format_pct(r["rate"], r["rate_dp"]),
            rate_source=r["rate_source"],
        )
        for r in figures.rates.iter_rows(named=True)
    ]
    natures = edition.table("cp_by_nature")
    return {
        "anchor": "depenses",
        "execution": execution,
        "natures": [
            sections.LabelledAmount(label=r["label"], amount=_amount(r, "amount"))
            for r in (natures.iter_rows(named=True) if natures is not None else ())
        ],
        "cp_total": next((e["executed"] for e in execution if e["budget"] == "CP"), ""),
        "missions": _missions(figures, charts) if figures.missions is not None else None,
        "notes": _notes(report, "missions") + _notes(report, "cp_by_nature"),
    }


def _missions(figures: compute.Figures, charts: Mapping[str, DrawnChart]) -> sections.Missions:
    """AE and CP by mission, their shares, and whether the rounded shares add up to the 100,0 % printed."""
    assert figures.missions is not None
    executed = {r["budget"]: r for r in figures.rates.iter_rows(named=True)}
    missions_rows = list(figures.missions.iter_rows(named=True))
    return {
        "rows": [
            sections.MissionRow(
                mission=r["mission"],
                label=r["short_label"] or "",
                ae=_amount(r, "ae"),
                ae_share=compute.share_text(r["ae_share"], r["ae_share_exact"]),
                cp=_amount(r, "cp"),
                cp_share=compute.share_text(r["cp_share"], r["cp_share_exact"]),
            )
            for r in missions_rows
        ],
        "shares_note": not all(
            compute.shares_add_up([compute.shown_share(r[f"{b}_share"], r[f"{b}_share_exact"]) for r in missions_rows])
            for b in ("ae", "cp")
            if missions_rows and missions_rows[0][f"{b}_share"] is not None
        ),
        "total_ae": _amount(executed["AE"], "executed") if "AE" in executed else "",
        "total_cp": _amount(executed["CP"], "executed") if "CP" in executed else "",
        "chart": charts.get("missions"),
    }


def _thematics(
    edition: Edition,
    figures: compute.Figures,
    report: Report,
    charts: Mapping[str, DrawnChart],
    text: Callable[[str], str],
) -> sections.ThematicsSection:
    """Spending by thematic, largest first, each with its description; the two largest named in a sentence."""
    assert figures.thematics is not None
    thematics = figures.thematics
    total_row = compute.total_row(edition.tables["thematics"])
    rows = [
        sections.ThematicRow(
            id=r["thematic_id"],
            label=r["label"],
            amount=_amount(r, "amount"),
            share=displayed_share(r),
            headline=displayed_amount(r),
            html=text(f"thematics/{r['thematic_id']}"),
        )
        for r in thematics.iter_rows(named=True)
    ]
    top2 = thematics.head(2)
    return {
        "anchor": "thematiques",
        "rows": rows,
        "total": _amount(total_row, "amount"),
        "total_share": format_pct(100.0, 1),
        "top2_share": format_pct(float(top2["share_display"].sum()) if top2.height else 0.0, 1),
        "top2": [r.get("label_in_sentence") or in_sentence(r["label"]) for r in top2.iter_rows(named=True)],
        "chart": charts.get("thematics"),
        "subset_chart": charts.get("thematic-subset"),
        "subset_title": edition.meta.subset_title,
        "notes": _notes(report, "thematics"),
        "shares_note": not compute.shares_add_up(
            [(r["share_display"], r["share_display_dp"]) for r in thematics.iter_rows(named=True)]
        ),
    }


def _history(history: pl.DataFrame, charts: Mapping[str, DrawnChart]) -> sections.HistorySection:
    """The comparison across editions: one row per edition, then the change since the one before."""
    measures = references.HISTORY_MEASURES
    rows = list(history.iter_rows(named=True))
    precision = references.history_precision(rows)

    def shown(row: dict[str, Any], key: str) -> str:
        return references.history_amount(row, key, precision)

    changes: list[sections.HistoryChange] = []
    for row, before in zip(rows[1:], rows[:-1], strict=True):
        for key in measures:
            if row[f"{key}_delta"] is None:
                continue
            delta, pct = references.history_change(row, before, key, precision)
            changes.append(
                {
                    "measure": key,
                    "from_year": before["year"],
                    "to_year": row["year"],
                    "from": shown(before, key),
                    "to": shown(row, key),
                    "delta": delta,
                    "pct": pct,
                }
            )
    return {
        "anchor": "evolution",
        "first_year": rows[0]["year"],
        "last_year": rows[-1]["year"],
        "rows": [
            sections.HistoryRow(year=r["year"], revenue=shown(r, "revenue"), ae=shown(r, "ae"), cp=shown(r, "cp"))
            for r in rows
        ],
        "changes": changes,
        "chart": charts.get("history"),
    }
