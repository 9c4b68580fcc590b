"""The one place that opens a file under inputs/: each file is read once, whole, and checksummed.

Everything later in the pipeline works on these bytes, so what is validated, printed, attached to the
archival copy and recorded in the manifest is exactly the same content, even if the file changes on
disk during a build. Whatever the file system holds instead of a readable file (a folder, a broken or
looping link, a named pipe, a file the user may not read) is an InputError naming the path, never an
OSError: the user fixes it in inputs/.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from flows.edition.errors import InputError, Problem


@dataclass(frozen=True)
class InputFile:
    """One input file as it was read: where (relative to inputs/), its bytes and their SHA-256."""

    source: str
    data: bytes
    sha256: str


@dataclass(frozen=True)
class Notice:
    """What `fir check` says about how an input was read when nothing is wrong enough to stop: a file
    read in a fallback encoding (a warning), a workbook sheet left aside (information)."""

    level: Literal["warning", "info"]
    source: str  # the file (and sheet), relative to inputs/
    message: str


def read_input(path: Path, inputs: Path, limit: int | None = None) -> InputFile:
    """Read one input file whole, refusing one larger than `limit` bytes before reading it."""
    source = relative(path, inputs)
    try:
        # Non-blocking: opening a named pipe for reading would otherwise wait forever for a writer.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise InputError(Problem(source, _unreadable(path, exc))) from None
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        raise InputError(Problem(source, _not_a_file(mode)))
    with open(descriptor, "rb", closefd=True) as handle:
        if limit is not None:
            size = handle.seek(0, 2)
            if size > limit:
                raise InputError(
                    Problem(
                        source,
                        f"un fichier de moins de {limit // (1024 * 1024)} Mo (taille : {size / (1024 * 1024):.0f} Mo)",
                    )
                )
            handle.seek(0)
        try:
            data = handle.read()
        except OSError as exc:
            raise InputError(Problem(source, _unreadable(path, exc))) from None
    return InputFile(source, data, hashlib.sha256(data).hexdigest())


def present(path: Path) -> bool:
    """True when `path` names anything, a broken or looping link included: it must then be read (and
    refused with its reason), not taken as absent."""
    return path.is_symlink() or path.exists()


def _not_a_file(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "un fichier, pas un dossier"
    kind = "un tube nommé (FIFO)" if stat.S_ISFIFO(mode) else "une socket" if stat.S_ISSOCK(mode) else "un périphérique"
    return f"un fichier ordinaire, pas {kind}"


def _unreadable(path: Path, exc: OSError) -> str:
    """What to fix when the system refuses to open or read `path`."""
    if exc.errno == errno.EISDIR:
        return "un fichier, pas un dossier"
    if exc.errno == errno.ELOOP:
        return "un fichier lisible (c'est un lien symbolique qui boucle sur lui-même)"
    if exc.errno == errno.ENOENT and path.is_symlink():
        return f"un fichier lisible (c'est un lien symbolique vers « {os.readlink(path)} », qui n'existe pas)"
    if exc.errno == errno.ENOENT:
        return "un fichier présent (il a disparu pendant la lecture)"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "un fichier lisible (lecture refusée : donner le droit de lecture à l'utilisateur qui lance la commande)"
    return f"un fichier lisible (erreur du système : {exc.strerror or type(exc).__name__})"


def relative(path: Path, inputs: Path) -> str:
    """`path` as it is named in messages and in the manifest: relative to the inputs folder.

    Taken from the path as written (links not followed), so that a broken or looping link is named
    where it sits; resolved only for a path given outside `inputs`.
    """
    try:
        return Path(os.path.abspath(path)).relative_to(os.path.abspath(inputs)).as_posix()
    except ValueError:
        pass
    try:
        return path.resolve().relative_to(inputs.resolve()).as_posix()
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a link loop (Python 3.11's resolve)
        return str(path)


def line_of(data: bytes, offset: int) -> int:
    """The 1-based line of a byte offset, for messages."""
    return data.count(b"\n", 0, offset) + 1


def decode_utf8(data: bytes, source: str, expected: str) -> str:
    """UTF-8 text (a leading BOM dropped); an InputError naming the line of the first bad byte otherwise."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            Problem(source, expected, line_of(data, exc.start), value=f"octet 0x{data[exc.start]:02X}")
        ) from None
