"""The suite's warning filters (pyproject.toml, [tool.pytest.ini_options] filterwarnings), as pytest applies
them to this very test: a DeprecationWarning or FutureWarning raised through our code (the module its
`stacklevel` points at is `flows…` or `tests…`) is an error; one of a library's own internals is ignored."""

from __future__ import annotations

import textwrap
import warnings

import pytest

# A library function that warns about how it is called: the warning points at its caller (stacklevel=2), as
# libraries do for their users.
LIBRARY = """
import warnings

def old_api():
    warnings.warn("old_api is deprecated, use new_api", {category}, stacklevel=2)

def internal():
    warnings.warn("an internal detail changes", {category}, stacklevel=1)
"""


def _module(name: str, source: str, **names: object) -> dict[str, object]:
    """Run `source` as the module `name` (what a warning's module is read from): its globals."""
    namespace: dict[str, object] = {"__name__": name, **names}
    exec(compile(textwrap.dedent(source), f"<{name}>", "exec"), namespace)
    return namespace


@pytest.mark.parametrize("category", [DeprecationWarning, PendingDeprecationWarning, FutureWarning])
@pytest.mark.parametrize("caller", ["flows.edition.render.probe", "flows", "tests.probe"])
def test_a_library_warning_about_our_call_fails_the_suite(category, caller):
    library = _module("somelibrary.api", LIBRARY.format(category=category.__name__))
    with pytest.raises(category, match="old_api is deprecated"):
        _module(caller, "old_api()", old_api=library["old_api"])


def test_a_real_librarys_deprecation_reached_through_our_code_fails_the_suite():
    """polars points its deprecations at the first frame outside polars: ours."""
    from polars._utils.deprecation import issue_deprecation_warning

    with pytest.raises(DeprecationWarning, match="is deprecated"):
        _module("flows.probe", "issue('`x` is deprecated', version='2.0')", issue=issue_deprecation_warning)


@pytest.mark.parametrize("category", ["DeprecationWarning", "FutureWarning"])
def test_a_librarys_own_internal_warning_is_ignored(category):
    library = _module("somelibrary.api", LIBRARY.format(category=category))
    with warnings.catch_warnings(record=True) as caught:  # keeps the filters pytest set for this test
        _module("flows.probe", "internal()", internal=library["internal"])  # reached through ours, raised there
        _module("somelibrary.other", "old_api()", old_api=library["old_api"])  # a library calling a library
    assert caught == []


def test_a_module_whose_name_only_begins_like_ours_is_not_ours():
    library = _module("somelibrary.api", LIBRARY.format(category="DeprecationWarning"))
    with warnings.catch_warnings(record=True) as caught:
        _module("flowsheet.api", "old_api()", old_api=library["old_api"])
        _module("testsuite", "old_api()", old_api=library["old_api"])
    assert caught == []


def test_prefects_warning_about_an_artifact_outside_a_run_fails_the_suite():
    """Prefect raises it from its own module (no stacklevel): the filter names it, since only our call
    causes it (flows/notices/notify.py puts the publication's artifact on the run that built it)."""
    message = "Artifact creation outside of a flow or task run is deprecated and will be removed."
    with pytest.raises(FutureWarning, match="Artifact creation outside"):
        _module("prefect.artifacts", "warn(message, FutureWarning)", warn=warnings.warn, message=message)
