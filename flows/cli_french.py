"""argparse in French: the `fir` command's help, usage and errors say nothing in English.

argparse builds its own words (« usage: », « show this help message and exit », « invalid choice »…)
through `gettext` at the moment it needs them, from the module-level names `_` and `ngettext`. Our parser
swaps those two names for a French catalogue only while one of its own methods runs (construction, parsing,
help, errors), so other libraries' parsers in the same process keep their words. The values typed wrong
(a bad choice, a word where a number is expected) are said in French by two small overrides.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

# argparse 3.11's own messages that a user can meet (help, usage, mistakes on the command line), in French.
MESSAGES = {
    "usage: ": "utilisation : ",
    "positional arguments": "arguments",
    "options": "options",
    "show this help message and exit": "afficher cette aide et s'arrêter",
    "argument %(argument_name)s: %(message)s": "%(argument_name)s : %(message)s",
    "%(prog)s: error: %(message)s\n": "%(prog)s : %(message)s\n",
    "unrecognized arguments: %s": "arguments inconnus : %s",
    "not allowed with argument %s": "incompatible avec %s",
    "ignored explicit argument %r": "valeur en trop : %r",
    "the following arguments are required: %s": "il manque : %s",
    "one of the arguments %s is required": "il manque l'un de ces arguments : %s",
    "expected one argument": "une valeur est attendue après l'option",
    "expected at most one argument": "une valeur au plus est attendue",
    "expected at least one argument": "une valeur au moins est attendue",
    "ambiguous option: %(option)s could match %(matches)s": "option ambiguë : %(option)s peut désigner %(matches)s",
    "unexpected option string: %s": "option inattendue : %s",
    "invalid %(type)s value: %(value)r": "valeur invalide (%(type)s) : %(value)r",
    "invalid choice: %(value)r (choose from %(choices)s)": "choix inconnu : %(value)r (au choix : %(choices)s)",
    "unknown parser %(parser_name)r (choices: %(choices)s)": (
        "commande inconnue : %(parser_name)r (au choix : %(choices)s)"
    ),
    "subcommands": "commandes",
}
PLURALS = {("expected %s argument", "expected %s arguments"): ("%s valeur attendue", "%s valeurs attendues")}
# How a value of each type is asked for, when the one typed is not one.
TYPE_NAMES: dict[Any, str] = {int: "un nombre entier", float: "un nombre (ex. 60 ou 2.5)", Path: "un chemin"}


def gettext(message: str) -> str:
    return MESSAGES.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    french = PLURALS.get((singular, plural), (singular, plural))
    return french[0] if n == 1 else french[1]


@contextlib.contextmanager
def in_french() -> Iterator[None]:
    """argparse's words in French for the duration (re-entrant: a subcommand's parser runs inside its parent's)."""
    module: Any = argparse
    saved = module._, module.ngettext
    module._, module.ngettext = gettext, ngettext
    try:
        yield
    finally:
        module._, module.ngettext = saved


Result = TypeVar("Result")


def _french(method: Callable[..., Result]) -> Callable[..., Result]:
    def wrapped(*args: Any, **kwargs: Any) -> Result:
        with in_french():
            return method(*args, **kwargs)

    wrapped.__name__, wrapped.__doc__ = method.__name__, method.__doc__
    return wrapped


# The placeholder of each value in the usage and the help (argparse would print the option's English name).
METAVARS = {
    "region": "RÉGION",
    "year": "ANNÉE",
    "source": "ANNÉE",
    "revision": "RÉVISION",
    "inputs": "DOSSIER",
    "outputs": "DOSSIER",
    "output": "FICHIER",
    "timings": "FICHIER",
    "reason": "MOTIF",
    "comment": "COMMENTAIRE",
    "lock_timeout": "SECONDES",
    "host": "ADRESSE",
    "address": "ADRESSE",
    "port": "PORT",
    "prefect_port": "PORT",
    "editions": "RÉGION/ANNÉE",
    "workers": "NOMBRE",
    "max_age_days": "JOURS",
    "max_results_mb": "MO",
    "name": "IDENTIFIANT",
    "display_name": "NOM",
    "email": "COURRIEL",
    "role": "RÔLE",
}


class FrenchParser(argparse.ArgumentParser):
    """An ArgumentParser whose help, usage and errors are in French, and whose errors say where the help is."""

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        """As argparse's, with a French placeholder for the value (`--year ANNÉE`, `région`)."""
        action = super().add_argument(*args, **kwargs)
        if action.metavar is None and action.nargs != 0 and action.dest in METAVARS:
            french = METAVARS[action.dest]
            action.metavar = french if action.option_strings else french.lower()
        return action

    __init__ = _french(argparse.ArgumentParser.__init__)
    parse_args = _french(argparse.ArgumentParser.parse_args)  # type: ignore[assignment]
    parse_known_args = _french(argparse.ArgumentParser.parse_known_args)  # type: ignore[assignment]
    format_usage = _french(argparse.ArgumentParser.format_usage)
    format_help = _french(argparse.ArgumentParser.format_help)

    def error(self, message: str) -> NoReturn:
        """Usage, the mistake, and the command that shows the help (exit code 2, as argparse)."""
        with in_french():
            self.print_usage(sys.stderr)
            self.exit(2, f"{self.prog} : {message}\nL'aide : {self.prog} --help\n")

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        if action.choices is not None and value not in action.choices:
            choices = ", ".join(map(str, action.choices))
            what = "commande inconnue" if isinstance(action, argparse._SubParsersAction) else "choix inconnu"
            raise argparse.ArgumentError(action, f"{what} « {value} » (au choix : {choices})")

    def _get_value(self, action: argparse.Action, arg_string: str) -> Any:
        type_func = self._registry_get("type", action.type, action.type)
        if not callable(type_func):
            return super()._get_value(action, arg_string)
        try:
            return type_func(arg_string)
        except argparse.ArgumentTypeError as exc:  # the type's own message, written for people
            raise argparse.ArgumentError(action, str(exc)) from None
        except (TypeError, ValueError):
            expected = TYPE_NAMES.get(action.type, "une autre valeur")
            raise argparse.ArgumentError(action, f"« {arg_string} » : {expected} est attendu") from None


def choice_of(names: dict[str, str], what: str) -> Callable[[str], str]:
    """An argument type accepting each of `names`' keys (French words, English aliases) and giving its value;
    anything else is refused with the French words to choose from."""

    def convert(text: str) -> str:
        found = names.get(text.strip().lower())
        if found is None:
            shown = ", ".join(dict.fromkeys(_shown(names)))
            raise argparse.ArgumentTypeError(f"{what} inconnu « {text} » (au choix : {shown})")
        return found

    convert.__name__ = what
    return convert


def _shown(names: dict[str, str]) -> Sequence[str]:
    """The first name given for each value: the French word a person is told about."""
    first: dict[str, str] = {}
    for name, value in names.items():
        first.setdefault(value, name)
    return list(first.values())
