"""Operational trouble — a full disk, a folder that cannot be written, an edition locked by another run —
said in French with the path and what to do. Not an input error: the inputs are fine, the machine is not.
The command line exits with code 3 for these (README, "Exit codes")."""

from __future__ import annotations

import errno

from filelock import Timeout

_NO_SPACE = {errno.ENOSPC, errno.EDQUOT}
_NOT_ALLOWED = {errno.EACCES, errno.EPERM, errno.EROFS}
_NOT_A_FOLDER = {errno.ENOTDIR, errno.EEXIST, errno.EISDIR}
_UNCHANGED = "Rien de ce qui était publié n'a changé."


def operational_message(exc: BaseException) -> str | None:
    """What to tell the operator about `exc`, or None when it is not operational trouble (a bug)."""
    if isinstance(exc, Timeout):
        return (
            f"l'édition est en cours de construction par une autre commande (verrou {exc.lock_file}) et ne s'est "
            "pas libérée à temps : attendre la fin de l'autre construction, ou vérifier qu'aucune n'est bloquée, "
            f"puis relancer. {_UNCHANGED}"
        )
    if not isinstance(exc, OSError):
        return None
    where = exc.filename or "(chemin inconnu)"
    if exc.errno in _NO_SPACE:
        return f"plus de place sur le disque pour écrire {where} : libérer de l'espace, puis relancer. {_UNCHANGED}"
    if exc.errno in _NOT_ALLOWED:
        return (
            f"pas le droit d'écrire ou de lire {where} ({exc.strerror}) : donner ce droit à l'utilisateur qui "
            f"lance la commande, ou choisir un autre dossier (--outputs), puis relancer. {_UNCHANGED}"
        )
    if exc.errno in _NOT_A_FOLDER:
        return (
            f"{where} devrait être un dossier ({exc.strerror}) : le renommer ou choisir un autre dossier. {_UNCHANGED}"
        )
    return f"erreur du système de fichiers sur {where} ({exc.strerror}). {_UNCHANGED}"
