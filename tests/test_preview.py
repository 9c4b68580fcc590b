"""`fir preview`'s pure parts on the real 2024 edition: a saved sentence lays out again only its page group,
a broken figure gives a located report above the last good pages, fixing it brings them back without any
layout; the page's HTML in both states; a save during a rebuild makes exactly one more."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import polars as pl

from flows.edition.charts.data import DrawnChart
from flows.edition.errors import Problem
from flows.edition.render import paginate
from flows.edition.render.paginate import PageGroup
from flows.pipeline.workers import Workers
from flows.preview import build, report, view
from flows.preview.build import BUG, INPUT, OK, Outcome, Page, Previewer, changed_pages
from flows.preview.server import Hub, Rebuilder
from tests.helpers import REGION, children_of, fir, gone

ACTION = "texts/actions/p1-bassin-minier-attractivite.md"
SENTENCE = "Une phrase ajoutée pendant la relecture de l'aperçu."


def _page_with(outcome: Outcome, text: str) -> Page:
    found = [page for page in outcome.pages if text in page.text.replace("\n", " ")]
    assert found, f"« {text} » sur aucune page"
    return found[0]


def test_a_saved_sentence_lays_out_one_group_and_a_broken_figure_keeps_the_last_good_pages(inputs_copy: Path):
    edition = inputs_copy / REGION / "2024"
    previewer = Previewer(inputs_copy, REGION, 2024)
    first = previewer.rebuild()
    assert first.status == OK, first.problems
    assert [page.number for page in first.pages] == list(range(1, 43))
    assert first.title == "Hauts-de-France, 2024"
    groups = previewer.layouts.computed
    assert groups >= 12  # every page group laid out once (the sommaire again with its page numbers)
    assert previewer.charts.computed == 3

    text = edition / ACTION
    text.write_text(
        text.read_text(encoding="utf-8").replace(
            "4 centres de santé créés ;", f"4 centres de santé créés ; {SENTENCE}"
        ),
        encoding="utf-8",
    )
    second = previewer.rebuild()
    assert second.status == OK
    assert previewer.layouts.computed == groups + 1  # only the group holding that action
    assert previewer.charts.computed == 3  # no chart drawn again
    changed = _page_with(second, SENTENCE)
    assert changed.number == 7  # as its footer prints it
    assert second.changed == (7,)
    before = {page.number: page.key for page in first.pages}
    after = {page.number: page.key for page in second.pages}
    moved = {number for number in before if before[number] != after[number]}
    assert changed.number in moved
    assert all(page.group == changed.group for page in second.pages if page.number in moved)

    amounts = edition / "action_amounts.csv"
    good = amounts.read_text(encoding="utf-8")
    amounts.write_text(
        good.replace("p1-bassin-minier-attractivite;;;k€;645", "p1-bassin-minier-attractivite;;;k€;12O"),
        encoding="utf-8",
    )
    broken = previewer.rebuild()
    assert broken.status == INPUT
    assert [(item.where, item.what.split(" — ")[0]) for item in broken.problems] == [
        (f"{REGION}/2024/action_amounts.csv, ligne 3, colonne « Montant (amount) »", "valeur « 12O »")
    ]
    assert broken.pages == second.pages  # the last good pages stay, as they were
    assert broken.pages_at == second.finished_at
    html = view.content(broken)
    assert 'role="alert"' in html and "action_amounts.csv, ligne 3, colonne « Montant (amount) »" in html
    assert html.index('role="alert"') < html.index('class="pages stale"')  # the report above the pages

    amounts.write_text(good, encoding="utf-8")
    fixed = previewer.rebuild()
    assert fixed.status == OK and not fixed.problems
    assert fixed.pages == second.pages
    assert previewer.layouts.computed == groups + 1  # the same documents as before the mistake: nothing laid out
    assert previewer.pdf(changed.group) is not None
    assert 'role="alert"' not in view.content(fixed)


def test_worker_processes_lay_out_what_a_save_changed_as_the_rebuild_itself_would(inputs_copy: Path, caplog):
    """1 000 € moved between two thematics changes their table, a chart and the pages of both charts and the
    descriptions: with worker processes the chart is drawn by them and the two groups laid out side by side, the
    longer (38-41) by the rebuild itself, the other by a worker; put back, the pages are byte for byte those the
    rebuild laid out alone. A worker killed: the preview goes on without them."""
    laid_here: list[int] = []
    drawn_here: list[str] = []

    def lay_out_here(document: str, stubs: tuple[str, ...], first: int) -> PageGroup:
        laid_here.append(first)
        return build.lay_out(document, stubs, first)

    def draw_here(key: str, data: pl.DataFrame, primary: str) -> DrawnChart:
        drawn_here.append(key)
        return build.draw_chart(key, data, primary)

    thematics = inputs_copy / REGION / "2024" / "thematics.csv"
    original = thematics.read_text(encoding="utf-8")
    workers = Workers(2)
    try:
        previewer = Previewer(inputs_copy, REGION, 2024, lay_out_group=lay_out_here, draw=draw_here, workers=workers)
        first = previewer.rebuild()  # nothing laid out before: no plan for the workers yet
        # each of the 12 groups laid out once: the 8 before the first chart while the workers drew the charts (here,
        # and by a worker once it is free: the longest first), then, of the 3 groups that print no page number, the
        # longest here, while the workers laid out the 2 others (all at pages not known yet: the same wherever they
        # start), then the sommaire, and the footers
        assert first.status == OK
        early_here = len(laid_here) - 3
        assert 1 <= early_here <= 8 and laid_here == [paginate.UNKNOWN_PAGE] * (early_here + 1) + [2, paginate.FOOTERS]
        assert previewer.layouts.computed == 13, previewer.layouts.computed  # 12 groups and the footers' sheet
        assert any(name.endswith("mise en page anticipée (8 groupe(s))") for name, _ in first.steps), first.steps
        laid_here.clear()
        drawn_here.clear()
        moved = original.replace("€;115 072 012;", "€;114 972 012;").replace("€;153 285 611;", "€;153 385 611;")
        thematics.write_text(moved, encoding="utf-8")
        second = previewer.rebuild()
        assert second.status == OK, second.problems
        assert laid_here == [38] and drawn_here == []  # the longer group here, the rest by the workers
        # the pages whose text changed in the two groups laid out again (35-37: the spending, the table and the
        # chart after it; 38-41: the subset chart, the descriptions, the history): the table's first page and the
        # descriptions' first page. The chart's bars moved by 0,02 %: its labels and page text are the same.
        assert second.changed == (36, 38)
        table = next(page for page in second.pages if page.number == 36).text
        table = table.replace("\u202f", " ").replace("\xa0", " ")
        assert "153 385 611 €" in table and "114 972 012 €" in table
        untouched = [n for n in range(1, 43) if not 35 <= n <= 41]  # two groups: 35-37 and 38-41
        assert [p.key for p in second.pages if p.number in untouched] == [
            p.key for p in first.pages if p.number in untouched
        ]
        thematics.write_text(original, encoding="utf-8")
        laid_here.clear()
        third = previewer.rebuild()
        assert third.status == OK and laid_here == [38]  # laid out again (the memo keeps one rebuild), side by side
        assert third.pages == first.pages  # the same PDFs (keys are their SHA-256) and texts

        os.kill(workers.pids()[0], signal.SIGKILL)  # a worker killed (out of memory, say): the preview goes on
        action = inputs_copy / REGION / "2024" / ACTION
        action.write_text(action.read_text(encoding="utf-8").replace("centres", "centres (sic)", 1), encoding="utf-8")
        cpts = inputs_copy / REGION / "2024" / "texts/actions/p2-cpts.md"
        cpts.write_text(cpts.read_text(encoding="utf-8").replace("7 CPTS", "7 CPTS (sic)", 1), encoding="utf-8")
        laid_here.clear()
        with caplog.at_level(logging.WARNING, logger="fir.preview"):
            fourth = previewer.rebuild()
        # its group (pages 6-10) and part 2's (11-23): the pool found broken at once, both laid out here, in order
        assert fourth.status == OK and laid_here == [6, 11]
        assert previewer.workers is None and "l'aperçu continue sans eux" in caplog.text
    finally:
        workers.close()


def test_a_reconciliation_error_is_reported_where_it_is(inputs_copy: Path):
    thematics = inputs_copy / REGION / "2024" / "thematics.csv"
    thematics.write_text(
        thematics.read_text(encoding="utf-8").replace("€;115 072 012;", "€;115 072 112;"), encoding="utf-8"
    )
    outcome = Previewer(inputs_copy, REGION, 2024).rebuild()
    assert outcome.status == INPUT and outcome.pages == () and outcome.pages_at is None
    [item] = outcome.problems
    assert item.where == f"{REGION}/2024/thematics.csv, ligne 27, colonne « Montant (amount) »"
    assert "538\u202f736\u202f879" in item.what and "538\u202f736\u202f982" in item.what
    assert "Aucune page n'a encore pu être mise en page" in view.content(outcome)


def test_texts_still_marked_to_rewrite_are_laid_out_and_amounts_still_to_type_are_not(inputs_copy: Path):
    """While the texts of a new edition are rewritten one by one, each shows on its pages (the mark prints
    nothing) with what is left said; an amount still to type stops the preview as it stops a build."""
    edition = inputs_copy / REGION / "2024"
    for name in ("fir.md", "chiffres.md"):
        text = edition / "texts" / name
        mark = "<!-- À RÉÉCRIRE : texte de l'édition 2018, à mettre à jour pour 2024, puis supprimer cette ligne -->"
        text.write_text(f"{mark}\n{text.read_text(encoding='utf-8')}", encoding="utf-8")
    outcome = Previewer(inputs_copy, REGION, 2024).rebuild()
    assert outcome.status == OK, outcome.problems
    assert len(outcome.pages) == 42 and "RÉÉCRIRE" not in "".join(page.text for page in outcome.pages)
    assert any(w.startswith("2 textes encore marqués « À RÉÉCRIRE »") for w in outcome.warnings), outcome.warnings
    thematics = edition / "thematics.csv"
    thematics.write_text(thematics.read_text(encoding="utf-8").replace("€;115 072 012;", "€;?;", 1), encoding="utf-8")
    stopped = Previewer(inputs_copy, REGION, 2024).rebuild()
    assert stopped.status == INPUT and stopped.pages == ()
    assert any("à saisir" in f"{item.where} {item.what}" for item in stopped.problems), stopped.problems


def test_a_problem_reads_where_then_what():
    problem = Problem("hauts-de-france/2024/revenue.csv", "un montant", line=4, column="amount", value="12O")
    assert report.from_input_error_problems([problem]) == [
        report.Item(
            "hauts-de-france/2024/revenue.csv, ligne 4, colonne « amount »", "valeur « 12O » — attendu : un montant"
        )
    ]
    cell = Problem("figures.xlsx", "un montant", line=4, column="amount", cell="E4")
    assert report.from_input_error_problems([cell])[0].where == "figures.xlsx, cellule E4, colonne « amount »"


class _SlowPreviewer:
    """Counts rebuilds, each taking 0.3 s: what the rebuild thread schedules, not what it builds."""

    version = 0

    def __init__(self) -> None:
        self.rebuilds = 0

    def rebuild(self) -> Outcome:
        self.rebuilds += 1
        time.sleep(0.3)
        self.version += 1
        return Outcome(self.version, OK, (), (), (), 0.3, "12:00:00", "12:00:00")


def test_saves_during_a_rebuild_make_exactly_one_more():
    previewer = _SlowPreviewer()
    rebuilder = Rebuilder(previewer, Hub())  # type: ignore[arg-type]
    stop = threading.Event()
    thread = threading.Thread(target=rebuilder.run, args=(stop,))
    thread.start()
    try:
        rebuilder.request()
        time.sleep(0.1)  # the first rebuild is running
        for _ in range(5):
            rebuilder.request()
        time.sleep(1.2)
    finally:
        stop.set()
        thread.join()
    assert previewer.rebuilds == 2
    assert rebuilder.outcome is not None and rebuilder.outcome.version == 2


def test_the_pages_said_changed_are_those_whose_text_changed_or_their_whole_group():
    before = (Page(1, "a", 0, "Couverture"), Page(2, "b", 0, "Partie 1"), Page(3, "b", 1, "Action"))
    sentence = (before[0], Page(2, "c", 0, "Partie 1"), Page(3, "c", 1, "Action, une phrase de plus"))
    chart = (before[0], Page(2, "d", 0, "Partie 1"), Page(3, "d", 1, "Action"))
    longer = (*sentence, Page(4, "c", 2, "Suite"))
    assert changed_pages((), before) == ()
    assert changed_pages(before, before) == ()
    assert changed_pages(before, sentence) == (3,)
    assert changed_pages(before, chart) == (2, 3)  # same text, other pixels: the whole group
    assert changed_pages(before, longer) == (3, 4)


def test_a_bug_is_said_as_such_and_logged_with_its_traceback(inputs_copy: Path, caplog):
    def broken_chart(key: str, data: object, primary: str) -> DrawnChart:
        raise ZeroDivisionError("division by zero")

    outcome = Previewer(inputs_copy, REGION, 2024, draw=broken_chart).rebuild()
    assert outcome.status == BUG
    [item] = outcome.problems
    assert item == report.Item("erreur du programme (pas des données)", "ZeroDivisionError : division by zero")
    assert "Traceback" in caplog.text and "ZeroDivisionError" in caplog.text
    html = view.content(outcome)
    assert "Erreur du programme" in html and "pas une erreur dans les données" in html


def test_the_command_refuses_an_edition_that_is_not_there_a_port_in_use_and_a_negative_worker_count(inputs_copy: Path):
    missing = fir("preview", "--region", "nulle-part", "--year", "2024", "--inputs", inputs_copy)
    assert missing.returncode == 1
    assert "Pas d'édition nulle-part 2024" in missing.stderr and "Traceback" not in missing.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = fir("preview", "--region", REGION, "--year", "2024", "--inputs", inputs_copy, "--port", port)
    assert busy.returncode == 2
    assert f"Impossible d'écouter sur 127.0.0.1:{port}" in busy.stderr and "Traceback" not in busy.stderr
    negative = fir("preview", "--region", REGION, "--year", "2024", "--inputs", inputs_copy, "--workers", "-1")
    assert negative.returncode == 2
    assert "--workers : un nombre de processus, 0 ou plus" in negative.stderr and "Traceback" not in negative.stderr


def test_ctrl_c_sent_several_times_at_once_stops_the_preview_and_its_workers(inputs_copy: Path, tmp_path: Path):
    """Exit 0, its workers gone. (A signal arriving inside the handler of the one before once deadlocked the
    preview, its stop flag a threading.Event whose lock that handler held: found by hand, with `timeout`
    forwarding a second SIGINT; too narrow a window to hit on purpose here. The flag now takes no lock.)"""
    command = [sys.executable, "-m", "flows.cli", "preview", "--region", REGION, "--year", "2024"]
    command += ["--inputs", str(inputs_copy), "--outputs", str(tmp_path / "outputs"), "--workers", "2"]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert child.stdout is not None
    first = child.stdout.readline()
    assert "http://127.0.0.1:" in first, first + child.stdout.read()
    helpers = children_of(child.pid)
    for _ in range(5):
        child.send_signal(signal.SIGINT)
    output, _ = child.communicate(timeout=60)
    assert child.returncode == 0, output
    assert "Aperçu arrêté." in output and "Traceback" not in output
    assert len(helpers) >= 2 and gone(helpers)
