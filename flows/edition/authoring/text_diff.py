"""The differences between two versions of a Markdown text: line by line, with the changed words marked.

A text of an edition holds one paragraph (or one list item) per line, as the staff type it in the portal
and as a Word import writes it: a line is what a person calls a paragraph, so the summary counts
paragraphs. Lines are aligned with difflib; a line replaced by a similar one is one changed paragraph,
whose words are aligned again, so that the portal marks the words that changed, not the whole line.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

from flows.edition.french import count_of

LineKind = Literal["same", "added", "removed", "changed"]
SegmentKind = Literal["equal", "insert", "delete", "replace"]
# Two lines of a replaced block at least this similar (difflib's ratio) are one paragraph rewritten,
# shown word by word; less similar, the old one is removed and the new one added.
SIMILAR = 0.5
_KINDS: dict[str, SegmentKind] = {"equal": "equal", "insert": "insert", "delete": "delete", "replace": "replace"}
_TOKENS = re.compile(r"^\s+|\w+\s*|[^\w\s]\s*")  # leading spaces; a word or a sign and the spaces after it
# A rewritten paragraph is looked for among the next WINDOW lines of the new version: a text rewritten
# from end to end (a Word import) costs lines × WINDOW comparisons, not lines².
WINDOW = 40
LONG = 4000  # tokens of two versions of one line beyond which difflib's frequent-item heuristic is on


class Segment(NamedTuple):
    """A run of a changed line: `equal` (old == new), `insert` (old empty), `delete` (new empty) or
    `replace`. The old line is the `old` of every segment joined; the new line, every `new`."""

    kind: SegmentKind
    old: str
    new: str


@dataclass(frozen=True)
class LineDiff:
    """One line of the compared text: kept, added, removed, or changed (`words` marks what changed)."""

    kind: LineKind
    old: str | None  # None for an added line
    new: str | None  # None for a removed line
    words: tuple[Segment, ...] = ()  # for a changed line only


@dataclass(frozen=True)
class TextChanges:
    """Every line of a text's two versions, aligned, and the counts of changed paragraphs."""

    lines: tuple[LineDiff, ...]

    def count(self, kind: LineKind) -> int:
        """How many paragraphs (non-blank lines) are `kind`."""
        return sum(1 for line in self.lines if line.kind == kind and (line.old or line.new or "").strip())

    @property
    def changed(self) -> bool:
        return any(line.kind != "same" for line in self.lines)

    def hunks(self, context: int = 1) -> list[tuple[LineDiff, ...]]:
        """The changed lines with `context` unchanged lines around them, in runs: what a page shows of a
        long text, the runs apart (« … » between them); blank lines kept, not counted as context."""
        near: set[int] = set()
        for index, line in enumerate(self.lines):
            if line.kind != "same":
                near.update(self._around(index, context))
        runs: list[list[LineDiff]] = []
        for index in sorted(near):
            if runs and index - 1 in near:
                runs[-1].append(self.lines[index])
            else:
                runs.append([self.lines[index]])
        return [tuple(run) for run in runs]

    def _around(self, index: int, context: int) -> set[int]:
        """`index` and the lines on each side up to `context` non-blank unchanged ones."""
        found = {index}
        for step in (-1, 1):
            at, kept = index + step, 0
            while 0 <= at < len(self.lines) and kept < context:
                found.add(at)
                kept += 1 if (self.lines[at].new or self.lines[at].old or "").strip() else 0
                at += step
        return found

    def summary(self) -> str:
        """`2 paragraphes modifiés, 1 ajouté` (French agreement), or `mise en forme seulement` when only
        blank lines changed, or only the line ends (a file saved again on Windows)."""
        counts = [
            (self.count("changed"), "modifié"),
            (self.count("added"), "ajouté"),
            (self.count("removed"), "supprimé"),
        ]
        parts = [(n, word) for n, word in counts if n]
        if not parts:
            return (
                "mise en forme seulement (lignes vides)" if self.changed else "mise en forme seulement (fins de ligne)"
            )
        first, word = parts[0]
        said = [f"{count_of(first, 'paragraphe')} {word}{'s' if first > 1 else ''}"]
        said += [f"{n} {w}{'s' if n > 1 else ''}" for n, w in parts[1:]]
        return ", ".join(said)


def text_lines(text: str) -> list[str]:
    """A text's lines, whatever its line endings (CRLF from Windows, CR alone)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def compare_texts(old: str, new: str) -> TextChanges:
    """The two versions of a text aligned line by line, changed words marked in each changed line.
    Either side may be empty: a text added (every line added) or removed."""
    before = text_lines(old) if old else []
    after = text_lines(new) if new else []
    matcher = _matcher(before, after)
    lines: list[LineDiff] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            lines += [LineDiff("same", line, line) for line in before[i1:i2]]
        elif tag == "delete":
            lines += [LineDiff("removed", line, None) for line in before[i1:i2]]
        elif tag == "insert":
            lines += [LineDiff("added", None, line) for line in after[j1:j2]]
        else:
            lines += _replaced(before[i1:i2], after[j1:j2])
    return TextChanges(tuple(lines))


def _replaced(old: Sequence[str], new: Sequence[str]) -> list[LineDiff]:
    """A block of lines replaced by another: each old line paired, in order, with the most similar new
    line still free after the last pair, among the next WINDOW (a rewritten paragraph); the others
    removed or added."""
    lines: list[LineDiff] = []
    words = [_words(line) for line in new]
    start = 0
    for line in old:
        best, best_ratio, mine = -1, SIMILAR, _words(line)
        for j in range(start, min(len(new), start + WINDOW)):
            matcher = _matcher(mine, words[j])
            if matcher.real_quick_ratio() < best_ratio or matcher.quick_ratio() < best_ratio:
                continue  # cannot be the best: spare the full comparison of two long paragraphs
            ratio = matcher.ratio()
            if ratio >= best_ratio and (best < 0 or ratio > best_ratio):
                best, best_ratio = j, ratio
        if best < 0:
            lines.append(LineDiff("removed", line, None))
            continue
        lines += [LineDiff("added", None, added) for added in new[start:best]]
        if line == new[best]:  # a blank line between rewritten paragraphs
            lines.append(LineDiff("same", line, line))
        else:
            lines.append(LineDiff("changed", line, new[best], compare_words(line, new[best])))
        start = best + 1
    lines += [LineDiff("added", None, added) for added in new[start:]]
    return lines


def _words(line: str) -> list[str]:
    """A line's words and punctuation, each with the spaces after it: no token is a lone space, which
    would be the most frequent by far and make difflib's work grow with the square of the line."""
    return _TOKENS.findall(line)


def _matcher(a: Sequence[str], b: Sequence[str]) -> difflib.SequenceMatcher[str]:
    """difflib's matcher, its heuristic for frequent items on only for very long sequences (a whole text
    pasted as one line), where an exact alignment would take seconds; a paragraph is aligned exactly."""
    return difflib.SequenceMatcher(None, a, b, autojunk=len(a) + len(b) > LONG)


def compare_words(old: str, new: str) -> tuple[Segment, ...]:
    """Two versions of a line as segments of words and punctuation: equal runs and changes.

    Consecutive changed words are one change, so that a rewritten phrase reads as one (« ~~finance des
    actions~~ soutient de nouveaux projets »), not as word-by-word confetti; the spaces after a changed
    word, the same in both versions, are not part of the change."""
    a, b = _words(old), _words(new)
    segments: list[Segment] = []
    for tag, i1, i2, j1, j2 in _matcher(a, b).get_opcodes():
        segments.append(Segment(_KINDS[tag], "".join(a[i1:i2]), "".join(b[j1:j2])))
    return _merged(_spaces_apart(_merged(segments)))


def _spaces_apart(segments: Sequence[Segment]) -> list[Segment]:
    """A replacement ending with the same spaces in both versions: the spaces as an equal segment."""
    found: list[Segment] = []
    for segment in segments:
        old, new = segment.old, segment.new
        if segment.kind == "replace" and old[-1:].isspace() and new[-1:].isspace():
            spaces = len(old) - len(old.rstrip())
            spaces = min(spaces, len(new) - len(new.rstrip()))
            if old[-spaces:] == new[-spaces:]:
                found += [
                    Segment("replace", old[:-spaces], new[:-spaces]),
                    Segment("equal", old[-spaces:], new[-spaces:]),
                ]
                continue
        found.append(segment)
    return found


def _merged(segments: Sequence[Segment]) -> tuple[Segment, ...]:
    """Adjacent segments of one kind as one, and a deletion next to an insertion as a replacement."""
    merged: list[Segment] = []
    for segment in segments:
        if not segment.old and not segment.new:
            continue
        last = merged[-1] if merged else None
        if last is not None and (segment.kind == "equal") == (last.kind == "equal"):
            old, new = last.old + segment.old, last.new + segment.new
            kind: SegmentKind = (
                "equal" if segment.kind == "equal" else "replace" if old and new else "delete" if old else "insert"
            )
            merged[-1] = Segment(kind, old, new)
        else:
            merged.append(segment)
    return tuple(merged)
