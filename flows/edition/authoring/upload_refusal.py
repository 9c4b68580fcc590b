"""The refusal of an uploaded file: one French sentence naming the file as typed, what is wrong and what to
do, so that the portal shows it as it is and stores nothing."""

from __future__ import annotations

import unicodedata

from flows.edition.errors import InputError, Problem


class UploadRefused(InputError):
    """An uploaded file refused before anything reads or stores it.

    `name` is the name as typed (control characters shown as `�`), `reason` what is wrong, `advice` what
    to do next; `str()` is the whole sentence the portal shows. An InputError, so that code which reports
    input problems reports this one too (its one Problem names the file).
    """

    def __init__(self, name: str, reason: str, advice: str):
        self.name = shown_name(name)
        self.reason = reason
        self.advice = advice
        super().__init__(Problem(self.name or "(sans nom)", f"{advice} (refusé : {reason})"))

    @property
    def message(self) -> str:
        shown = f"« {self.name} »" if self.name.strip() else "sans nom"
        return f"Le fichier {shown} est refusé : {self.reason}. {self.advice} Rien n'a été enregistré."

    def __str__(self) -> str:
        return self.message


def shown_name(text: str) -> str:
    """`text` with its control and invisible formatting characters shown as `�`: what a refusal may print."""
    return "".join("�" if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in text)
