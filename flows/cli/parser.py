"""The `fir` command's parser, assembled from each command family's arguments (in the order `fir --help` lists them)."""

from __future__ import annotations

import argparse

from flows.cli import admin, authoring, build, inputs, serve, signoff, upkeep
from flows.cli_french import FrenchParser


def make_parser() -> argparse.ArgumentParser:
    """Every command and its arguments; each family's module adds its own (and names its handler)."""
    parser = FrenchParser(prog="fir", description="Brochure annuelle du Fonds d'intervention régional (FIR).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMANDE")
    for add in (
        build.add_build,
        signoff.add_drafts,
        signoff.add_sign_off,
        build.add_check,
        build.add_confirm,
        serve.add_serve,
        serve.add_schedule,
        serve.add_national,
        upkeep.add_repair,
        upkeep.add_gc,
        inputs.add_rebuild,
        inputs.add_export,
        inputs.add_versions,
        admin.add_user,
        admin.add_settings,
        authoring.add_workbook,
        authoring.add_new,
        authoring.add_preview,
        authoring.add_list,
    ):
        add(sub)
    return parser
