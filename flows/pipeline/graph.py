"""The build's pure steps, declared once, in order: from the edition's snapshot to the draft's files. The
Prefect flow (flows/brochure.py, through flows/pipeline/tasks.py) runs all of them, each named step as a
task cached on its content; the preview (flows/preview/build.py) runs them in memory up to the laid-out
brochure, with its memos and worker processes; `fir check` runs them up to the report. What happens around
them — the catalogue's lock, the revision's decision, the draft's record, the notices — is the flow's.

Each step is a plain function of flows/pipeline/nodes.py: its parameter names are the values it reads, the
step's `output` the value it makes. A fan-out step computes its parts (one chart per chart key, one group of
pages per page group) through `each`, which the runner provides; `plan` gives the parts known before the step
starts (computed side by side in worker processes).

Why a small module of our own rather than Apache Hamilton (1.90, installable with our pins): Hamilton's
drivers run a graph in memory or through adapters (Ray, Dask, Spark), none of which makes each node a Prefect
task with our content cache policy, its task-run names and its completion hook; and our fan-outs are not
maps over a list known in advance: `paginate` asks for groups pass after pass until the sommaire's page
numbers stand still. Adapting Hamilton to both would take more code than this declaration and its three
runners, for a dependency (and its own dependencies) every build would import. Here the graph is data
(`GRAPH`): `python -m flows.pipeline.draw` draws it, tests check it is in order.

No step retries: each is a pure function of its inputs (a second try fails the same way), and what may fail
by accident — a worker process killed — is already taken over by the build's own process (workers.py).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flows.pipeline import nodes, work

# What the steps read that no step makes: given by whoever runs the graph.
INPUTS = {
    "snapshot": "the edition and earlier ones, read once (ingest/snapshot.py)",
    "environ": "the environment (FIR_PORTAL_URL: the web edition's address)",
    "published": "the published revisions (the erratum, the values kept)",
    "decision": "the revision's number and reason (publish/revisions.py decide)",
    "built_at": "when the revision is recorded (the data package's date)",
    "layout_hint": "the anchors' pages of an earlier layout (the preview's last), or none",
    "earlier_pages": "the anchors' pages in the edition's latest revision (a correction's plan), or none",
}


@dataclass(frozen=True)
class Part:
    """One part of a fan-out step, computed by a module-level function (a worker process imports it)."""

    task: str  # the Prefect task computing one part
    run_name: str  # its task-run name, from the part's arguments: `chart-history`, `pages-12`
    function: Callable[..., Any]
    key: Callable[..., str]  # names a part within one run (to find a part computed ahead)
    # Workers that loaded what a part needs before their first job (workers.py's `warm`) take every part
    # known ahead, the first included, while the runner's own process makes the early parts of the step
    # `meanwhile` names (the brochure's groups before its first chart, while the charts are drawn).
    loaded_by: tuple[str, ...] = ()
    meanwhile: str | None = None
    # Parts the runner's own process may make too, when it is free and every worker busy (the planned page
    # groups: the longest is not known, nor which are in the cache).
    shared: bool = False
    # Arguments that only name a part (its task run) and never change it: its cache key leaves them out.
    naming: tuple[str, ...] = ()


@dataclass(frozen=True)
class Step:
    """One step: `function` called with the values its parameters name, making `output`."""

    output: str
    function: Callable[..., Any]
    task: str | None = None  # its Prefect task (None: too cheap for one, computed in the flow itself)
    cached: bool = True  # a task cached on its inputs' content, or never cached (binding: fast, large results)
    part: Part | None = None  # a fan-out step: `function` takes `each`, computing one part
    plan: Callable[..., list[tuple[Any, ...]]] | None = None  # the parts known from the inputs alone
    # Made in a worker process while the runner goes on with the next steps (the build's: its own process lays
    # the brochure's pages out meanwhile), read when a later step needs it.
    aside: bool = False
    # A fan-out step's parts that can be made before its inputs are all there, from values made earlier:
    # a function of those values taking `each` as `function` does (made while a step `meanwhile` names it).
    early: Callable[..., Any] | None = None

    @property
    def inputs(self) -> tuple[str, ...]:
        return parameters(self.function)


def parameters(function: Callable[..., Any]) -> tuple[str, ...]:
    """The values a function reads: its parameters, but the runner's `each` (and a `job`)."""
    return tuple(name for name in inspect.signature(function).parameters if name not in ("each", "job"))


def _chart_key(key: str, data: Any, primary: str) -> str:
    return key


def _page_key(document: str, stubs: tuple[str, ...], first: int) -> str:
    return f"{' '.join(stubs)} {document}"  # the same pages wherever they start (render/footers.py)


CHART = Part("chart", "chart-{key}", work.draw_chart, _chart_key, loaded_by=("build", "charts"), meanwhile="brochure")
# A group of pages is laid out by whichever is free first, a worker or the runner's own process (`shared`).
PAGES = Part(
    "lay-out-pages",
    "pages-{first}",
    work.lay_out_group,
    _page_key,
    loaded_by=("pages", "charts"),
    shared=True,
    naming=("first",),  # a group's pages are the same wherever it starts: found in the cache when it moves
)

GRAPH: tuple[Step, ...] = (
    Step("address", nodes.address),
    Step("settings", nodes.settings),
    Step("basis", nodes.basis),
    Step("prepared", nodes.prepared, "prepare"),
    Step("report", nodes.report),
    Step("valid", nodes.valid),
    Step("revision", nodes.revision),
    Step("chart_jobs", nodes.chart_jobs),
    Step("charts", nodes.charts, part=CHART, plan=lambda chart_jobs: list(chart_jobs)),
    Step("html", nodes.html, "render-html"),
    # The web edition and the data package need no page: made aside while the brochure's pages are laid out.
    Step("web_page", nodes.web_page, "render-web", aside=True),
    Step("data", nodes.data, "data-package", cached=False, aside=True),
    Step("print_profile", nodes.print_profile),
    # Its groups are planned once the HTML is known (a correction's where its latest revision has them).
    Step("brochure", nodes.brochure, part=PAGES, plan=nodes.planned_pages, early=nodes.early_brochure),
    Step("print_pdf", nodes.print_pdf_file, "print-pdf", cached=False, aside=True),  # while the PDF is bound
    Step("pdf", nodes.pdf, "bind-pdf", cached=False),
    Step("marked", nodes.marked, "mark-draft", cached=False),
    Step("web_address", nodes.web_address),
    Step("files", nodes.files),
)
STEPS = {step.output: step for step in GRAPH}

Compute = Callable[[Step, dict[str, Any]], Any]


def needed(until: str | None) -> set[str]:
    """The values `until` needs, itself included (every step's when None)."""
    if until is None:
        return set(STEPS)
    wanted, stack = set(), [until]
    while stack:
        name = stack.pop()
        if name in STEPS and name not in wanted:
            wanted.add(name)
            stack.extend(STEPS[name].inputs)
    return wanted


def arguments(function: Callable[..., Any], values: dict[str, Any]) -> dict[str, Any]:
    """The values a function's parameters name."""
    return {name: values[name] for name in parameters(function)}


def run(values: dict[str, Any], compute: Compute, until: str | None = None) -> dict[str, Any]:
    """Make every value `until` needs (all when None) that `values` lacks, step after step in the graph's
    order; `compute(step, arguments)` is the runner's way of making one (a task, a memo, a plain call)."""
    wanted = needed(until)
    for step in GRAPH:
        if step.output in wanted and step.output not in values:
            values[step.output] = compute(step, arguments(step.function, values))
    return values


def call(step: Step, args: dict[str, Any]) -> Any:
    """The plain runner: every step and part computed here, one after the other (`fir check`)."""
    if step.part is None:
        return step.function(**args)
    return step.function(**args, each=step.part.function)


def early(step: Step, values: dict[str, Any], each: Callable[..., Any]) -> Any:
    """Make `step`'s early parts, each through the runner's `each`, from the values made so far."""
    if step.early is None:
        raise ValueError(f"{step.output} n'a pas de parties à faire plus tôt")
    return step.early(**arguments(step.early, values), each=each)


def check_order(steps: Iterable[Step] = GRAPH) -> list[str]:
    """What is wrong with the declaration (none): a value read before any step makes it, made twice."""
    problems, made = [], set(INPUTS)
    steps = tuple(steps)
    by_output = {step.output: step for step in steps}
    for step in steps:
        later = [name for name in step.inputs if name not in made]
        if step.plan is not None:
            later += [name for name in parameters(step.plan) if name not in made]
        problems += [f"{step.output} lit {name} avant qu'il soit fait" for name in later]
        if step.part is not None and step.part.meanwhile is not None:
            early = getattr(by_output.get(step.part.meanwhile), "early", None)
            if early is None:
                problems.append(f"{step.output} : {step.part.meanwhile} n'a pas de parties à faire plus tôt")
            else:
                early_later = [name for name in parameters(early) if name not in made]
                problems += [f"{step.part.meanwhile} (plus tôt) lit {n} avant qu'il soit fait" for n in early_later]
        if step.output in made:
            problems.append(f"{step.output} fait deux fois")
        made.add(step.output)
    return problems
