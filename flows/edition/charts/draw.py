"""The brochure's charts (plotnine). Each function returns the plot and its alternative text;
turning a plot into SVG is `render.chart_svg`'s job.

Charts must read in print and in greyscale: a dark and a light fill with outlines, values written on
the bars, French number formats on axes and labels. Their colours are the edition's theme
(`theme.ChartPalette`), drawn from the primary brand colour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import polars as pl
from mizani.labels import label_number
from plotnine import (
    aes,
    coord_flip,
    element_blank,
    element_line,
    element_text,
    geom_col,
    geom_text,
    ggplot,
    labs,
    position_dodge,
    scale_fill_manual,
    scale_x_discrete,
    scale_y_continuous,
    theme,
    theme_minimal,
)

from flows.edition.charts.data import displayed_amount, displayed_share
from flows.edition.compute.figures import share_text
from flows.edition.french import NNBSP, format_compact, format_number
from flows.edition.theme import ChartPalette
from flows.edition.wording import stage_label, words

FONT_FAMILY = "Inter"
# The comparison's measures: their columns and their names' keys in the wording file (`graphiques.mesure_…`).
_MEASURES = (("revenue", "recettes"), ("ae", "ae"), ("cp", "cp"))


@dataclass(frozen=True)
class Chart:
    key: str  # stable name, used for the file and the anchor
    plot: ggplot
    alt: str  # alternative text derived from the data, worded by templates/libelles.toml
    width_cm: float
    height_cm: float


def _millions() -> label_number:
    return label_number(scale=1e-6, suffix=f"{NNBSP}M€", big_mark=NNBSP, decimal_mark=",")


def _theme(palette: ChartPalette, base_size: float = 8.5) -> theme:
    return theme_minimal(base_size=base_size, base_family=FONT_FAMILY) + theme(
        panel_grid_major_x=element_blank(),
        panel_grid_minor=element_blank(),
        panel_grid_major_y=element_line(color=palette.grid, size=0.4),
        axis_text=element_text(color=palette.ink),
        axis_title=element_text(color=palette.ink),
        legend_position="top",
        legend_title=element_blank(),
        plot_background=None,
    )


def _top_lines(frame: pl.DataFrame, n: int = 3) -> str:
    """The alternative text's summary: the `n` largest lines with the amount and share shown."""
    return "; ".join(
        words(
            "graphiques.alt_thematiques_ligne",
            libelle=row["label"],
            montant=displayed_amount(row),
            part=displayed_share(row),
        )
        for row in frame.head(n).iter_rows(named=True)
    )


def missions_chart(split: pl.DataFrame, palette: ChartPalette) -> Chart:
    """AE and CP by mission, side by side."""
    names = pl.Series("mission", [words("tableaux.mission", numero=m) for m in split["mission"]], pl.String)
    long = pl.concat(
        [
            split.select(names, pl.col("ae").alias("amount"), pl.lit("AE").alias("budget")),
            split.select(names, pl.col("cp").alias("amount"), pl.lit("CP").alias("budget")),
        ]
    )
    # values in M€ with one decimal; the caption says the unit, which keeps ten labels from colliding
    long = long.with_columns(pl.Series("text", [format_number(a / 1e6, 1) for a in long["amount"]], pl.String))
    dodge = position_dodge(width=0.8)
    plot = (
        ggplot(long.to_pandas(), aes("mission", "amount", fill="budget"))
        + geom_col(position=dodge, width=0.75, color=palette.ink, size=0.25)
        + geom_text(aes(label="text"), position=dodge, va="bottom", size=5.8, family=FONT_FAMILY, color=palette.ink)
        + scale_fill_manual(
            values={"AE": palette.primary, "CP": palette.light},
            labels=[words("graphiques.legende_ae"), words("graphiques.legende_cp")],
        )
        + scale_y_continuous(labels=_millions(), expand=(0, 0, 0.08, 0))
        + labs(x="", y="", caption=words("graphiques.unite_millions"))
        + _theme(palette)
    )
    ordered = split.sort("ae", descending=True)
    lines = "; ".join(
        words(
            "graphiques.alt_missions_ligne",
            numero=r["mission"],
            ae=format_compact(r["ae"]),
            part_ae=share_text(r["ae_share"], r["ae_share_exact"]),
            cp=format_compact(r["cp"]),
            part_cp=share_text(r["cp_share"], r["cp_share_exact"]),
        )
        for r in ordered.iter_rows(named=True)
    )
    alt = words("graphiques.alt_missions", lignes=lines)
    return Chart("missions", plot, alt, 17, 9)


def thematics_chart(
    split: pl.DataFrame,
    palette: ChartPalette,
    key: str = "thematics",
) -> Chart:
    """Thematic lines as horizontal bars, largest on top, with amount and share written at the end."""
    order = split["label"].to_list()[::-1]
    texts = [f"{displayed_amount(r)} · {displayed_share(r)}" for r in split.iter_rows(named=True)]
    data = split.with_columns(
        pl.Series("text", texts, pl.String), pl.Series("wrapped", [_wrap(x) for x in split["label"]], pl.String)
    )
    wrapped_order = [_wrap(label) for label in order]
    height = max(6.0, 0.58 * split.height + 1.2)
    plot = (
        ggplot(data.to_pandas(), aes("wrapped", "amount"))
        + geom_col(fill=palette.primary, color=palette.ink, size=0.2, width=0.72)
        + geom_text(
            aes(label="text"),
            ha="left",
            nudge_y=float(cast(int, split["amount"].max())) * 0.012,
            size=6.3,
            family=FONT_FAMILY,
            color=palette.ink,
        )
        + scale_x_discrete(limits=wrapped_order)
        + scale_y_continuous(labels=_millions(), expand=(0, 0, 0.28, 0))
        + coord_flip()
        + labs(x="", y="")
        + _theme(palette, 7.5)
        + theme(panel_grid_major_y=element_blank(), panel_grid_major_x=element_line(color=palette.grid, size=0.4))
    )
    alt = words("graphiques.alt_thematiques", nombre=split.height, lignes=_top_lines(split))
    return Chart(key, plot, alt, 17, height)


def revenue_stages_chart(stages: pl.DataFrame, palette: ChartPalette) -> Chart:
    """Total revenue at each budget stage, from the previous year's final to this year's."""
    labels = [stage_label(stage, year) for stage, year in stages.select("stage", "year").iter_rows()]
    data = stages.with_columns(
        pl.Series("label", labels, pl.String),
        pl.col("amount").map_elements(lambda a: format_compact(a, 1), return_dtype=pl.String).alias("text"),
        pl.when(pl.col("stage") == "previous_year").then(pl.lit("prev")).otherwise(pl.lit("year")).alias("group"),
    )
    plot = (
        ggplot(data.to_pandas(), aes("label", "amount", fill="group"))
        + geom_col(color=palette.ink, size=0.25, width=0.62, show_legend=False)
        + geom_text(aes(label="text"), va="bottom", size=7, family=FONT_FAMILY, color=palette.ink, nudge_y=3e6)
        + scale_fill_manual(values={"prev": palette.light, "year": palette.primary})
        + scale_x_discrete(limits=labels)
        + scale_y_continuous(labels=_millions(), expand=(0, 0, 0.1, 0))
        + labs(x="", y="")
        + _theme(palette)
    )
    lines = "; ".join(
        words("graphiques.alt_etapes_ligne", etape=label, montant=format_compact(amount))
        for label, amount in zip(labels, stages["amount"], strict=True)
    )
    alt = words("graphiques.alt_etapes", lignes=lines)
    return Chart("revenue-stages", plot, alt, 15, 9.5)


def _wrap(text: str, width: int = 48) -> str:
    tokens, lines, current = text.split(), [], ""
    for word in tokens:
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    lines.append(current)
    return "\n".join(lines)


def history_chart(history: pl.DataFrame, palette: ChartPalette) -> Chart:
    """Revenue, AE and CP of each edition, grouped by year."""
    measures = tuple((key, words(f"graphiques.mesure_{name}")) for key, name in _MEASURES)
    rows = [
        {"year": str(r["year"]), "measure": label, "amount": r[key], "text": format_compact(r[key])}
        for r in history.iter_rows(named=True)
        for key, label in measures
        if r[key] is not None
    ]
    order = [label for _, label in measures]
    data = pl.DataFrame(rows).with_columns(pl.col("measure").cast(pl.Enum(order)))  # bars in reading order
    dodge = position_dodge(width=0.82)
    plot = (
        ggplot(data.to_pandas(), aes("year", "amount", fill="measure"))
        + geom_col(position=dodge, width=0.78, color=palette.ink, size=0.25)
        + geom_text(aes(label="text"), position=dodge, va="bottom", size=6, family=FONT_FAMILY, color=palette.ink)
        + scale_fill_manual(
            values=dict(zip(order, (palette.primary, palette.mid, palette.light), strict=True)),
            breaks=[label for _, label in measures],
        )
        + scale_x_discrete(limits=[str(y) for y in history["year"]])
        + scale_y_continuous(labels=_millions(), expand=(0, 0, 0.1, 0))
        + labs(x="", y="")
        + _theme(palette)
    )
    lines = "; ".join(
        words(
            "graphiques.alt_historique_ligne",
            annee=r["year"],
            recettes=format_compact(r["revenue"]),
            ae=format_compact(r["ae"]),
            cp=format_compact(r["cp"]),
        )
        for r in history.iter_rows(named=True)
    )
    alt = words("graphiques.alt_historique", lignes=lines)
    return Chart("history", plot, alt, 16, 6)


def build(key: str, data: pl.DataFrame, primary: str) -> Chart:
    """The chart named `key` drawn from `data`, in the theme's palette. Only the primary colour is taken:
    the charts use nothing else of the theme, so a new accent leaves the cached charts valid."""
    palette = ChartPalette.from_primary(primary)
    if key == "revenue-stages":
        return revenue_stages_chart(data, palette)
    if key == "missions":
        return missions_chart(data, palette)
    if key == "thematics":
        return thematics_chart(data, palette)
    if key == "history":
        return history_chart(data, palette)
    if key == "thematic-subset":
        return thematics_chart(data, palette, key)
    raise KeyError(key)
