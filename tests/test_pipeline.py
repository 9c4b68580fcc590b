"""The build's graph (flows/pipeline/graph.py): declared in order, drawn in the README as it is, run up to a
value; the rules moved out of the flow's body (who launched a build, the files' date, the settings' findings)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable

from flows import paths
from flows.edition.ingest.meta import EditionMeta
from flows.edition.publish import launcher, revisions
from flows.edition.render.dates import file_date
from flows.edition.validate.address import printed_address, settings_findings
from flows.pipeline import draw, graph, nodes, workers


def test_the_graph_is_declared_in_order_and_each_value_made_once():
    assert graph.check_order() == []
    assert [step.task for step in graph.GRAPH if step.task] == [
        "prepare",
        "render-html",
        "render-web",  # made aside (a worker) while the brochure's pages are laid out
        "data-package",
        "print-pdf",  # the brochure's pages bound for the press (aside: nothing laid out a second time)
        "bind-pdf",
        "mark-draft",
    ]
    assert [step.output for step in graph.GRAPH if step.aside] == ["web_page", "data", "print_pdf"]
    assert {step.part.run_name for step in graph.GRAPH if step.part} == {"chart-{key}", "pages-{first}"}
    broken = graph.check_order((graph.STEPS["html"], graph.STEPS["charts"], graph.STEPS["charts"]))
    assert "html lit charts avant qu'il soit fait" in broken and "charts fait deux fois" in broken
    # While a worker draws the charts, the build's own process lays out the brochure's groups before the first.
    assert graph.CHART.meanwhile == "brochure" and graph.STEPS["brochure"].early is nodes.early_brochure
    without = tuple(dataclasses.replace(s, early=None) if s.output == "brochure" else s for s in graph.GRAPH)
    assert graph.check_order(without) == ["charts : brochure n'a pas de parties à faire plus tôt"]
    late = [s for s in graph.GRAPH if s.output != "revision"]
    late.insert([s.output for s in late].index("html"), graph.STEPS["revision"])
    assert graph.check_order(late) == ["brochure (plus tôt) lit revision avant qu'il soit fait"]


def test_check_runs_the_graph_only_up_to_the_report():
    assert graph.needed("report") == {"address", "settings", "basis", "prepared", "report"}
    assert "print_pdf" not in graph.needed("brochure") and "charts" in graph.needed("brochure")
    assert graph.needed("print_pdf") >= {"brochure", "print_profile"}


def test_the_readme_shows_the_graph_as_drawn_from_it():
    readme = (paths.PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert draw.in_readme(readme) == draw.mermaid(), "README : relancer python -m flows.pipeline.draw"
    assert 'prepared["prepared<br/>task prepare · nodes.prepared"]' in draw.mermaid()


def test_who_launched_a_build_and_from_where():
    assert launcher.launched_by("m.dupont", revisions.SCHEDULED, "root") == "m.dupont"
    assert launcher.launched_by(None, revisions.SCHEDULED, "root") == revisions.SCHEDULER
    assert launcher.launched_by(None, revisions.MANUAL, "root") == "root"
    assert launcher.launched_from("4f1c", "serveur-fir", "ligne de commande") == "service fir serve (serveur-fir)"
    assert launcher.launched_from(None, "serveur-fir", "ligne de commande") == "ligne de commande"
    assert len(launcher.launched_from("4f1c", "h" * 100, "")) == 64
    assert launcher.build_detail("projet de révision 2", None) == "projet de révision 2 ; motif : —"
    assert launcher.build_detail("projet de révision 2", "erreur") == "projet de révision 2 ; motif : erreur"


def test_the_files_are_dated_by_their_edition_never_by_the_clock():
    assert file_date(2024) == dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def test_the_settings_findings_are_the_address_s_and_the_site_s():
    meta = EditionMeta("hauts-de-france", "Hauts-de-France", "ARS", "ARS", 2024, "FIR", website="http://intranet/")
    address = printed_address(None, {}, "hauts-de-france", 2024)
    findings = settings_findings(address, meta)
    assert [f.level for f in findings] == ["warning", "error"]
    assert "Aucune adresse publique" in findings[0].message and "intranet" in findings[1].message
    public = printed_address(None, {"FIR_PORTAL_URL": "https://fir.agence.fr"}, "hauts-de-france", 2024)
    assert public.url == "https://fir.agence.fr/editions/hauts-de-france/2024/web/"
    assert settings_findings(public, EditionMeta("hauts-de-france", "H", "A", "A", 2024, "FIR")) == ()


def test_a_build_s_work_goes_to_its_worker_processes_and_comes_back_here_when_they_break(monkeypatch, caplog):
    monkeypatch.setenv(workers.COUNT_VARIABLE, "1")
    with workers.for_build() as pool:
        assert pool is not None and workers.build_pool() is pool
        assert workers.run(os.getpid) != os.getpid()  # in the worker
        os.kill(pool.pids()[0], signal.SIGKILL)  # killed by the system (out of memory, say)
        with caplog.at_level(logging.WARNING, logger="fir.workers"):
            assert workers.run(os.getpid) == os.getpid()  # here, the build goes on
        assert workers.build_pool() is None and "la construction continue sans eux" in caplog.text
    with workers.sharing_cores():
        assert workers.build_count() == 0  # a batch of builds: none of their own
    monkeypatch.setenv(workers.COUNT_VARIABLE, "0")
    with workers.for_build() as none:
        assert none is None and workers.run(os.getpid) == os.getpid()


def _loaded(module: str) -> bool:
    return module in sys.modules


def _pid_after(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def _when_free(pool: workers.Workers) -> None:
    deadline = time.monotonic() + 30
    while not pool.free_worker() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_a_part_either_may_make_goes_to_a_free_worker_else_here_and_a_correction_s_workers_lay_out(monkeypatch):
    """A correction's page groups are given out all at once, some found in the cache, others not: each is made
    by whichever is free first, a worker or the build's own process (`run_shared`). A correction's workers,
    started by `fir build` with what a layout needs loaded, lay out every group; the build's own process makes
    the steps made aside while they are busy (`run_aside`)."""
    monkeypatch.setenv(workers.COUNT_VARIABLE, "1")
    with workers.for_build() as pool:  # a first build's: plotnine loaded
        assert pool is not None and not workers.laying_out()
        worker = pool.submit(os.getpid).result(timeout=120)
        busy = pool.submit(_pid_after, 1.0)
        assert workers.run_shared(os.getpid) == os.getpid()  # the worker busy: here
        assert busy.result(timeout=120) == worker
        _when_free(pool)
        assert workers.run_shared(os.getpid) == worker  # the worker free: there
        assert workers.run_aside(os.getpid) == worker
    workers.start_early(warm="pages")
    with workers.for_build() as pool:
        assert pool is not None and workers.laying_out()
        worker = pool.submit(os.getpid).result(timeout=120)
        busy = pool.submit(_pid_after, 1.0)
        assert workers.run_aside(os.getpid) == os.getpid()  # the worker lays out: the rest here
        assert workers.run_shared(os.getpid) == worker  # waits for the worker, which has what a layout needs
        _when_free(pool)
        assert workers.run_aside(os.getpid) == worker  # the worker free: there
        waiting = [pool.submit(_pid_after, 0.5) for _ in range(1 + workers.LAYOUT_QUEUE)]
        assert workers.run_shared(os.getpid) == os.getpid()  # many groups wait for it: here too
        assert {future.result(timeout=120) for future in waiting} == {worker}


def test_the_workers_started_early_are_the_build_s_and_come_with_plotnine_loaded(monkeypatch):
    """`fir build` starts them before importing Prefect: the build takes them, their first chart does not
    wait for plotnine; they do not load WeasyPrint, which only the build's own process uses (its pages)."""
    monkeypatch.setenv(workers.COUNT_VARIABLE, "1")
    workers.start_early()
    early = workers._early[0]
    assert early.warmed == "build"
    with workers.for_build() as pool:
        assert pool is early and not workers._early  # taken, once
        assert pool.submit(_loaded, "plotnine").result(timeout=120)
        assert not pool.submit(_loaded, "weasyprint").result(timeout=120)
    assert not pool.pids()  # stopped with the build
    monkeypatch.setenv(workers.COUNT_VARIABLE, "0")
    workers.start_early()
    assert not workers._early  # none asked for: none started


def test_the_workers_of_a_process_killed_with_sigkill_go_with_it():
    """A build killed with SIGKILL tells its workers nothing: they see their owner gone and leave."""
    script = (
        "import time\n"
        "from flows.pipeline.workers import Workers\n"
        'pool = Workers(1, warm="")\n'
        "print(pool.pids()[0], flush=True)\n"
        "time.sleep(60)\n"
    )
    owner = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        worker = int(owner.stdout.readline())
        os.kill(owner.pid, signal.SIGKILL)
        owner.wait()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and _alive(worker):
            time.sleep(0.2)
        assert not _alive(worker)
    finally:
        owner.kill()
        owner.wait()


def _alive(pid: int) -> bool:
    """Running (a zombie has left: whoever adopted it reaps it when it can)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            return "State:\tZ" not in status.read()
    except FileNotFoundError:
        return False


def test_the_graph_up_to_the_revision_and_its_record_as_a_build_makes_them(inputs_copy):
    """The real 2024 edition: the steps up to the revision in plain calls (no chart drawn, no page laid out),
    and the record the flow stores, with the run, the carried-over items and the web address in it."""
    from flows.edition.ingest.snapshot import read_snapshot
    from flows.edition.publish import record

    snapshot = read_snapshot(inputs_copy, "hauts-de-france", 2024)
    decision = revisions.decide(None, snapshot.edition.checksums, None, revisions.MANUAL)
    inputs = {"snapshot": snapshot, "environ": {}, "published": None, "decision": decision}
    values = graph.run(inputs, graph.call, until="revision")
    assert set(values) == set(inputs) | graph.needed("revision")
    assert values["revision"].number == 1 and values["address"].url is None
    web = nodes.web_address(values["address"])
    entry = record.revision_record(
        values["revision"],
        revisions.MANUAL,
        snapshot.edition,
        values["valid"],
        42,
        dt.datetime(2026, 12, 7, 1, 0, tzinfo=dt.UTC),
        "v1",
        run_id="4f1c",
        carried_over={"earlier_year": 2023, "items": []},
        web_address=web,
    ).as_json()
    assert entry["run_id"] == "4f1c" and entry["carried_over"]["earlier_year"] == 2023
    assert entry["web_address"] == {"url": None, "setting": ""}


def test_the_preview_s_revision_number_is_the_build_s_after_a_pending_draft_too():
    """The preview asks `revisions.decide` as the build does (forced, with its own reason): a draft pending
    after revision 1 makes it number 3, as the next build; the same inputs too (the preview always shows)."""
    from flows.preview import build

    published = {"revisions": [{"revision": 1, "inputs_digest": "a", "status": "published", "reason": "r"}]}
    every = {"revisions": [*published["revisions"], {"revision": 2, "inputs_digest": "b", "status": "draft"}]}
    built = revisions.decide(every, {"x": "y"}, "correction", revisions.MANUAL)
    shown = build.decision(every, {"x": "y"})
    assert built.revision == shown.revision == 3 and shown.build and shown.reason == build.REASON
    unchanged = {"revisions": [{**every["revisions"][1], "inputs_digest": revisions.inputs_digest({"x": "y"})}]}
    assert build.decision(unchanged, {"x": "y"}).revision == 3
    assert build.decision(None, {"x": "y"}).revision == 1


def test_the_early_groups_of_the_real_brochure_are_the_first_it_lays_out(inputs_copy):
    """2024: with its charts pending, the brochure's groups before the first chart (cover, the « en actions »
    part, the « en chiffres » opener) are the very documents the real brochure's layout asks for first. A
    stand-in layout (one page per group) keeps it fast: the documents are what is compared."""
    from flows.edition.ingest.snapshot import read_snapshot
    from flows.edition.render import paginate

    snapshot = read_snapshot(inputs_copy, "hauts-de-france", 2024)
    decision = revisions.decide(None, snapshot.edition.checksums, None, revisions.MANUAL)
    values = graph.run(
        {"snapshot": snapshot, "environ": {}, "published": None, "decision": decision}, graph.call, "html"
    )
    early: list[str] = []
    asked: list[str] = []

    def one_page(documents: list[str]) -> Callable[[str, tuple[str, ...], int], paginate.PageGroup]:
        def lay_out(document: str, stubs: tuple[str, ...], first: int) -> paginate.PageGroup:
            documents.append(document)
            return paginate.PageGroup(b"", 1, dict.fromkeys(re.findall(r' id="([^"]+)"', document), 0), [], stubs)

        return lay_out

    laid = nodes.early_brochure(**graph.arguments(nodes.early_brochure, values), each=one_page(early))
    paginate.paginate(values["html"], one_page(asked))
    assert laid == len(early) == 8 and asked[:8] == early
    assert nodes.CHART_PENDING not in "".join(early) and "data:image/svg+xml" in asked[8]
