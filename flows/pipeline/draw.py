"""The build's graph drawn from its declaration (graph.py), as Mermaid: `python -m flows.pipeline.draw`.
The README's Layout section shows this drawing between its markers; a test fails when they differ."""

from __future__ import annotations

from flows.pipeline import graph

BEGIN, END = "<!-- graph:begin (python -m flows.pipeline.draw) -->", "<!-- graph:end -->"


def _where(function: object) -> str:
    module = getattr(function, "__module__", "").removeprefix("flows.pipeline.")
    return f"{module}.{getattr(function, '__name__', '?')}"


def _node(step: graph.Step) -> str:
    if step.part is not None:
        label = (
            f"{step.output}<br/>{step.part.run_name.replace('{', '‹').replace('}', '›')} · {_where(step.part.function)}"
        )
        return f'    {step.output}[["{label}"]]'
    task = f"task {step.task}" if step.task else "plain call"
    cache = "" if step.cached or not step.task else ", not cached"
    return f'    {step.output}["{step.output}<br/>{task}{cache} · {_where(step.function)}"]'


def mermaid() -> str:
    """The graph as a Mermaid flowchart: the inputs, each step (its task, where its function lives), each
    value it reads, and (dotted) what it reads only to plan its parts, and the early parts of a step made
    while another's parts are."""
    lines = ["```mermaid", "flowchart TD"]
    lines += [f'    {name}[/"{name}"/]' for name in graph.INPUTS]
    lines += [_node(step) for step in graph.GRAPH]
    for step in graph.GRAPH:
        lines += [f"    {name} --> {step.output}" for name in step.inputs]
        if step.plan is not None:  # read only to plan the parts made beforehand
            planned = [name for name in graph.parameters(step.plan) if name not in step.inputs]
            lines += [f'    {name} -.->|"plan: {_where(step.plan)}"| {step.output}' for name in planned]
        if step.part is not None and step.part.meanwhile is not None:  # made by the runner while the parts are
            early = graph.STEPS[step.part.meanwhile].early
            lines.append(f'    {step.output} -.->|"meanwhile: {_where(early)}"| {step.part.meanwhile}')
    lines.append("```")
    return "\n".join(lines)


def in_readme(readme: str) -> str:
    """The drawing between the README's markers ('' without them)."""
    start, end = readme.find(BEGIN), readme.find(END)
    return readme[start + len(BEGIN) : end].strip() if 0 <= start < end else ""


if __name__ == "__main__":
    print(mermaid())
