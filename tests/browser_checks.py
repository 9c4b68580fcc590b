"""What every page a reader or the staff sees must pass in a real browser: axe-core with all its rules, every
one `axe.getRules()` lists enabled (best practices, experimental, deprecated and WCAG AAA ones included, not
only the WCAG A and AA tags), and no sideways scrolling of the page.
"""

from __future__ import annotations

from axe_playwright_python.base import AXE_SCRIPT
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

_RULES = "axe.getRules().map(r => r.ruleId)"


def axe_rules(page: Page) -> list[str]:
    """Every rule the page is checked with: all the bundled axe-core's."""
    page.evaluate(AXE_SCRIPT)
    return list(page.evaluate(_RULES))


def axe_violations(page: Page, skip: tuple[str, ...] = ()) -> str | None:
    """axe-core with all its rules but `skip` on the page as shown; its report when it finds a violation."""
    rules = {rule: {"enabled": rule not in skip} for rule in axe_rules(page)}
    results = Axe().run(page, options={"resultTypes": ["violations"], "rules": rules})
    return results.generate_report() if results.violations_count else None


def page_width(page: Page) -> int:
    """How wide the page is laid out: more than the window means the reader scrolls it sideways."""
    return int(page.evaluate("document.documentElement.scrollWidth"))


def outside_window(page: Page, selector: str) -> list[str]:
    """The elements matching `selector` shown (not `display: none`) that do not lie wholly inside the window's
    width, with nothing to see (no width) counted as outside."""
    return list(
        page.evaluate(
            """selector => [...document.querySelectorAll(selector)].filter(e => e.getClientRects().length).filter(e => {
                   const box = e.getBoundingClientRect();
                   return box.width === 0 || box.left < 0 || box.right > window.innerWidth;
               }).map(e => `${e.closest('[id]')?.id}: ${Math.round(e.getBoundingClientRect().left)}–`
                          + `${Math.round(e.getBoundingClientRect().right)} px`)""",
            selector,
        )
    )
