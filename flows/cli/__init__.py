"""The `fir` command: check, build, drafts, approve, reject, list, national, schedule, serve, repair, gc,
user, reglages, workbook and preview.

Exit codes: 0 success (warnings allowed), 1 the inputs are wrong (message says where), 2 bad usage,
3 operational trouble (disk full, permission denied, edition locked by another run; message says which path).
A user's mistake never prints a traceback; a bug in this program does.
"""

from __future__ import annotations

import gc
import os
import sys

from flows import runtime
from flows.cli.common import EXIT_INPUT, EXIT_OK, EXIT_OPERATIONAL, EXIT_USAGE
from flows.cli.parser import make_parser
from flows.edition.errors import InputError
from flows.operations import operational_message

__all__ = ["EXIT_INPUT", "EXIT_OK", "EXIT_OPERATIONAL", "EXIT_USAGE", "main", "make_parser"]


def main(argv: list[str] | None = None) -> int:
    runtime.pace_garbage_collector()  # before the heavy imports, which allocate as much as the build
    parser = make_parser()
    args = parser.parse_args(argv)
    try:
        try:
            return args.handler(args)
        except InputError as exc:
            from flows.edition.validate.missing import IncompleteEdition

            if isinstance(exc, IncompleteEdition):  # an edition being filled in: its to-do list, not errors
                print(exc)
            else:
                _print_problems(exc)
            return EXIT_INPUT
    except KeyboardInterrupt:
        print("Interrompu.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader left (`fir check … | head`): nothing more to say, and no traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # as a shell reports a command ended by SIGPIPE
    except Exception as exc:
        message = operational_message(exc, getattr(args, "outputs", None))
        if message is None:
            raise  # a bug: its traceback is what a developer needs
        from flows.edition.publish.errors import AfterCommit

        # After a commit, what is now true comes first (« Révision 2 … publiée ; … »), not « impossible ».
        print(message if isinstance(exc, AfterCommit) else f"Impossible de terminer : {message}", file=sys.stderr)
        from flows.prefect_api import leave_if_lost

        leave_if_lost(exc, EXIT_OPERATIONAL)  # a lost Prefect API: no minutes spent at exit on what it cannot receive
        return EXIT_OPERATIONAL
    finally:
        # The work is done and written: spare the interpreter's final garbage collection over the
        # libraries' objects (Prefect, pydantic, WeasyPrint), 0.2–0.4 s per command. Exit handlers still run.
        gc.freeze()


def _print_problems(exc: InputError) -> None:
    problems = [str(p) for p in exc.problems] or [str(exc)]
    print(f"Données invalides ({len(problems)} problème(s)) :", file=sys.stderr)
    for problem in problems:
        print(f"  - {problem}", file=sys.stderr)
    print("Rien n'a été publié. Voir inputs/README.md pour le format attendu.", file=sys.stderr)
