"""Operational trouble — a full disk, a folder that cannot be written, an unreachable database, an edition
locked by another run, a damaged store — said in French with the path or service and what to do. Not an
input error: the inputs are fine, the machine is not. The command line exits with code 3 for these
(README, "Exit codes").
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path

from flows.commands import suggest
from flows.edition.publish.errors import (
    AfterCommit,
    CatalogueDamaged,
    DatabaseUnavailable,
    LockTimeout,
    PrintProfileMissing,
    StoreDamaged,
    is_damage,
)
from flows.service import ServiceError

_NO_SPACE = {errno.ENOSPC, errno.EDQUOT}
_NOT_ALLOWED = {errno.EACCES, errno.EPERM, errno.EROFS}
_NOT_A_FOLDER = {errno.ENOTDIR, errno.EEXIST, errno.EISDIR}
# The system's reason, in French (the C library says it in English): the errno, never its English text.
_REASONS = {
    errno.EACCES: "accès refusé",
    errno.EPERM: "opération non permise",
    errno.EROFS: "disque en lecture seule",
    errno.ENOTDIR: "un fichier est à la place d'un dossier",
    errno.EEXIST: "un fichier de ce nom existe déjà",
    errno.EISDIR: "un dossier est à la place d'un fichier",
    errno.ENOENT: "fichier ou dossier absent",
    errno.EIO: "erreur de lecture ou d'écriture du disque",
    errno.EMFILE: "trop de fichiers ouverts",
    errno.ENAMETOOLONG: "nom trop long",
}


def _reason(exc: OSError) -> str:
    return _REASONS.get(exc.errno or 0, f"erreur système n° {exc.errno}" if exc.errno else "erreur système")


# Said only of trouble before any commit: every message below but the first (AfterCommit) ends with it.
_UNCHANGED = "Rien de ce qui était publié n'a changé."


def after_commit_message(exc: AfterCommit, outputs: Path | None = None) -> str:
    """« Révision 2 de … publiée ; fichiers publics pas tous à jour (manifest.json : opération non permise) :
    lancer « fir repair » »: what is now true first, then what did not complete and what to do."""
    done = f"{exc.done[:1].upper()}{exc.done[1:]}"
    todo = exc.todo or f"lancer « {suggest('repair', outputs=outputs)} »"
    return f"{done} ; {exc.step} ({cause_in_words(exc.cause)}) : {todo}."


def cause_in_words(exc: BaseException) -> str:
    """Why a step failed, in a few French words (a path and its reason), without « relancer »: what to do
    after a commit is not to start again."""
    if isinstance(exc, OSError):  # a rename names the file it would replace second: that is the one at fault
        where = exc.filename2 or exc.filename or "(chemin inconnu)"
        return f"{where} : {_reason(exc)}"
    if isinstance(exc, DatabaseUnavailable):
        return f"base du catalogue inaccessible, {exc.where}"
    if isinstance(exc, StoreDamaged):
        return f"{exc.path} : {exc.detail}"
    if isinstance(exc, LockTimeout):
        return f"édition occupée par une autre commande ({exc.where})"
    if type(exc).__module__.startswith("sqlalchemy"):
        lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        return f"base du catalogue : {lines[0] if lines else type(exc).__name__}"
    if prefect_api_failed(exc):
        if _refused(exc):  # credentials changed while the command ran (the service's secret renewed)
            return f"{prefect_server()} : identifiants de la commande refusés (PREFECT_API_AUTH_STRING)"
        return f"{prefect_server()} injoignable"
    return f"erreur interne ({type(exc).__name__})"


def _refused(exc: BaseException) -> bool:
    """`exc`, or what caused it, is an HTTP answer 401 or 403 (Prefect's and httpx's status errors)."""
    return any(getattr(getattr(seen, "response", None), "status_code", None) in (401, 403) for seen in _chain(exc))


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc`, then what caused it, and so on (each once)."""
    seen: BaseException | None = exc
    looked: set[int] = set()
    while seen is not None and id(seen) not in looked:
        looked.add(id(seen))
        yield seen
        seen = seen.__cause__ or seen.__context__


# What to do when the Prefect server a command uses fails: said by every message about it.
RESTART_PREFECT = (
    "Redémarrer le serveur Prefect (« fir serve »), ou vider PREFECT_API_URL pour que la commande démarre le sien, "
    "puis relancer"
)


def prefect_server() -> str:
    """The Prefect server this command uses, in words: its address, or the temporary one Prefect starts."""
    return f"serveur Prefect {os.environ.get('PREFECT_API_URL', '').strip() or 'temporaire'}"


# Prefect's refusals, and a call this program did not make once the API was lost (flows/prefect_api.py).
_API_ERRORS = ("PrefectHTTPStatusError", "ApiLost")


def prefect_api_failed(exc: BaseException) -> bool:
    """`exc`, or what caused it, is Prefect's API failing: its server gone (httpx's transport errors, Prefect's
    « Failed to reach API ») or refusing (Prefect's HTTP status errors). Told by the exception's type, without
    importing Prefect or httpx."""
    for seen in _chain(exc):
        kind = type(seen)
        if kind.__module__.split(".")[0] in ("httpx", "httpcore") or kind.__name__ in _API_ERRORS:
            return True
        if isinstance(seen, RuntimeError) and str(seen).startswith("Failed to reach API"):
            return True
    return False


def operational_message(exc: BaseException, outputs: Path | None = None) -> str | None:
    """What to tell the operator about `exc`, or None when it is not operational trouble (a bug).
    `outputs`: the folder the command was given, which a command to run next must name too."""
    if isinstance(exc, AfterCommit):  # something is committed: say what, never « nothing changed »
        return after_commit_message(exc, outputs)
    if isinstance(exc, LockTimeout):
        who = f"par le {exc.holder.describe()}" if exc.holder else "par une autre commande"
        return (
            f"l'édition est en cours de construction {who} ({exc.where}) et ne s'est pas libérée en "
            f"{exc.waited:.0f} s : attendre la fin de l'autre construction, ou vérifier qu'elle n'est pas bloquée, "
            f"puis relancer. {_UNCHANGED}"
        )
    if isinstance(exc, CatalogueDamaged):
        return catalogue_damaged(exc.where, exc.detail, outputs)
    if isinstance(exc, DatabaseUnavailable):
        return (
            f"la base du catalogue est inaccessible ({exc.where} : {exc.detail}) : vérifier qu'elle est démarrée "
            f"et joignable, et FIR_DATABASE_URL, puis relancer. {_UNCHANGED}"
        )
    if isinstance(exc, ServiceError):  # a Prefect server a command started (fir national) did not start
        return str(exc)
    if isinstance(exc, StoreDamaged):
        return (
            f"{exc.path} : {exc.detail}. Restaurer ce fichier depuis une sauvegarde (README, « Sauvegarde »), "
            f"puis lancer « {suggest('repair', outputs=outputs)} »."
        )
    if isinstance(exc, PrintProfileMissing):
        return (
            f"le profil ICC du fichier pour l'imprimeur est introuvable ({exc.path}) : lancer `bash scripts/setup.sh`, "
            f"qui le construit, ou nommer un profil CMJN avec FIR_PRINT_PROFILE, puis relancer. {_UNCHANGED}"
        )
    database = _database_error(exc, outputs)
    if database is not None:
        return database
    if prefect_api_failed(exc):
        return (
            f"{cause_in_words(exc)} : la commande n'est pas allée au bout. {RESTART_PREFECT} ; "
            f"« {suggest('drafts', outputs=outputs)} » liste les projets enregistrés."
        )
    if not isinstance(exc, OSError):
        return None
    where = exc.filename or "(chemin inconnu)"
    if exc.errno in _NO_SPACE:
        return (
            f"plus de place sur le disque pour écrire {where} : libérer de l'espace, puis relancer. "
            f"{_UNCHANGED}{_cleaned(exc)}"
        )
    if exc.errno in _NOT_ALLOWED:
        return (
            f"pas le droit d'écrire ou de lire {where} ({_reason(exc)}) : donner ce droit à l'utilisateur qui "
            f"lance la commande, ou choisir un autre dossier (--outputs), puis relancer. {_UNCHANGED}"
        )
    if exc.errno in _NOT_A_FOLDER:
        return (
            f"{where} devrait être un dossier ({_reason(exc)}) : le renommer ou choisir un autre dossier. {_UNCHANGED}"
        )
    return f"erreur du système de fichiers sur {where} ({_reason(exc)}). {_UNCHANGED}"


def _cleaned(exc: BaseException) -> str:
    """What a failed build took back: the files it had written that no revision references (store.record)."""
    removed = getattr(exc, "removed_objects", None) or []
    if not removed:
        return ""
    where = Path(removed[0]).parent
    if len(removed) == 1:
        return (
            f" Le fichier que cette construction avait déjà écrit dans {where}, qu'aucune révision ne référence, "
            "a été supprimé."
        )
    return (
        f" Les {len(removed)} fichiers que cette construction avait déjà écrits dans {where}, qu'aucune révision ne "
        "référence, ont été supprimés."
    )


def catalogue_damaged(where: str, detail: str, outputs: Path | None = None) -> str:
    """A damaged catalogue file: what is still true (the files and their records) and how to rebuild it."""
    rebuild = suggest("repair", "--reconstruire-catalogue", outputs=outputs)
    return (
        f"le catalogue est endommagé ({where} : {detail}). Les fichiers publiés et les enregistrements de "
        f"chaque révision, à côté d'eux, sont intacts : lancer « {rebuild} », qui met le fichier endommagé de "
        "côté (sans le supprimer) et reconstruit le catalogue depuis ces enregistrements (révisions, projets, "
        "approbations). Les comptes du personnel et le journal d'audit sont repris du fichier endommagé s'il "
        f"peut encore être lu, sinon d'une sauvegarde (README, « Sauvegarde »). {_UNCHANGED}"
    )


def _database_error(exc: BaseException, outputs: Path | None = None) -> str | None:
    """A database refusal during a run (disk full under SQLite, a server gone): the transaction rolled back."""
    if not type(exc).__module__.startswith("sqlalchemy"):
        return None
    from sqlalchemy.exc import DatabaseError, OperationalError

    if not isinstance(exc, DatabaseError):
        return None
    detail = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
    if is_damage(detail):
        return catalogue_damaged("la base du catalogue", detail, outputs)
    if not isinstance(exc, OperationalError):
        return None
    where = "la base du catalogue"
    # The two causes recognised are said in French alone; any other keeps the server's words, to be reported.
    if "full" in detail or "disk" in detail:
        return (
            f"plus de place pour écrire dans {where} : libérer de l'espace, puis relancer. {_UNCHANGED}{_cleaned(exc)}"
        )
    if "readonly" in detail or "read-only" in detail:
        return f"{where} ne peut pas être écrite : vérifier les droits du dossier. {_UNCHANGED}"
    return f"erreur de {where} ({detail}) : vérifier qu'elle est joignable, puis relancer. {_UNCHANGED}"
