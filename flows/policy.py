"""Who may do what: one function, `allowed(actor, action, resource)`, decides every staff action — for the
portal's routes, the command line and the sign-off of drafts — so that a rule is written once.

The answer is a `Decision`: allowed, or refused with the reason in French (the audit line's detail and
what the person reads) and the rule that refused (the portal's status code follows it). Pure: the callers
read the account, the draft and the catalogue's setting, and hold the edition's lock when the answer must
still be true at the commit.

Roles: a rédacteur sees the drafts, launches builds and edits the editions' inputs (figures, texts, next
year's edition: the portal's editors' pages); an approbateur sees the drafts and approves or
rejects them; an administrateur does all that, manages the accounts, reads the audit log and changes the
agency's settings. Anyone logged in may confirm the items a pending draft carries over, and log out.

The command line acts as the system user who runs it. Whoever runs `fir` on the service's machine can read
and write the catalogue anyway, so that user holds every role; the rules on drafts still apply to it. The
four-eyes rule compares names: the person who launched a draft (an account, or a system user of the same
name) never approves it, unless the administrators allowed it for the draft's region (a setting kept in the
catalogue, flows/edition/publish/settings.py — never read from the inputs under review).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from flows.edition.publish.store import DRAFT, STATUS_NAMES, SUPERSEDED

# The actions (the names of the permissions pages test, `can["approve"]`).
VIEW_DRAFTS = "view-drafts"
LAUNCH = "launch"
APPROVE = "approve"
REJECT = "reject"
CONFIRM = "confirm"
MANAGE_ACCOUNTS = "manage"
READ_AUDIT = "read-audit"
CHANGE_SETTINGS = "change-settings"
LOG_OUT = "log-out"
EDIT_INPUTS = "edit-inputs"  # an edition's figures and texts: prepare next year's, save, upload, restore
ACTIONS = (
    VIEW_DRAFTS,
    LAUNCH,
    APPROVE,
    REJECT,
    CONFIRM,
    MANAGE_ACCOUNTS,
    READ_AUDIT,
    CHANGE_SETTINGS,
    LOG_OUT,
    EDIT_INPUTS,
)
# What a refusal says one may not do: « réservé à qui peut <…> ».
ACTION_NAMES = {
    VIEW_DRAFTS: "voir les projets",
    LAUNCH: "lancer les constructions",
    APPROVE: "approuver ou rejeter les projets",
    REJECT: "approuver ou rejeter les projets",
    CONFIRM: "confirmer les éléments repris",
    MANAGE_ACCOUNTS: "gérer les comptes",
    READ_AUDIT: "consulter le journal d'audit",
    CHANGE_SETTINGS: "changer les réglages de l'agence",
    LOG_OUT: "se déconnecter",
    EDIT_INPUTS: "modifier les chiffres et les textes des éditions",
}
ROLE_NAMES = {"editor": "rédacteur", "approver": "approbateur", "admin": "administrateur"}
ROLE_ACTIONS: Mapping[str, frozenset[str]] = {
    "editor": frozenset({VIEW_DRAFTS, LAUNCH, CONFIRM, LOG_OUT, EDIT_INPUTS}),
    "approver": frozenset({VIEW_DRAFTS, APPROVE, REJECT, CONFIRM, LOG_OUT}),
    "admin": frozenset(ACTIONS),
}
SIGN_OFF = frozenset({APPROVE, REJECT})
# Which rule refused (the portal answers 401 for LOGIN, 404 for UNKNOWN, 403 for ROLE and FOUR_EYES, else 409).
LOGIN, ROLE, UNKNOWN, DECIDED, NO_REASON, FOUR_EYES, STALE = (
    "login",
    "role",
    "unknown",
    "decided",
    "no-reason",
    "four-eyes",
    "stale",
)
SETTING_WHERE = "page « Réglages » du portail, ou commande « fir reglages »"


class _AccountLike(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def disabled(self) -> bool: ...


@dataclass(frozen=True)
class Actor:
    """Who asks: an account (its role), the command line's system user (`system`), or nobody logged in."""

    name: str
    role: str | None = None
    system: bool = False
    disabled: bool = False


ANONYMOUS = Actor("anonyme")


def person(account: _AccountLike | None) -> Actor:
    """The actor of a portal request: its account, or ANONYMOUS."""
    if account is None:
        return ANONYMOUS
    return Actor(account.name, account.role, disabled=account.disabled)


def system(name: str) -> Actor:
    """The command line's actor: the system user running `fir`."""
    return Actor(name, system=True)


@dataclass(frozen=True)
class Draft:
    """A revision as sign-off sees it: where it stands, who launched it, the publication its erratum was
    computed against (`based_on`) and the current one, and the administrators' setting for its region."""

    region: str
    year: int
    number: int
    status: str | None  # None: no such revision
    launched_by: str = ""
    based_on: int | None = None
    current: int | None = None
    self_approval: bool = False

    @property
    def target(self) -> str:
        return f"{self.region} {self.year} r{self.number}"


def draft(
    region: str, year: int, number: int, entry: Mapping[str, Any] | None, current: int | None, self_approval: bool
) -> Draft:
    """The Draft of a catalogue's revision entry (None: unknown), the current publication's number and the
    region's setting."""
    if entry is None:
        return Draft(region, year, number, None, current=current, self_approval=self_approval)
    return Draft(
        region,
        year,
        number,
        str(entry.get("status", "published")),
        str(entry.get("launched_by") or ""),
        entry.get("based_on"),
        current,
        self_approval,
    )


@dataclass(frozen=True)
class Decision:
    """Allowed, or refused with the reason (French, for the audit line and the person) and the rule."""

    allowed: bool
    reason: str = ""
    rule: str = ""

    def __bool__(self) -> bool:
        return self.allowed


YES = Decision(True)


def allowed(actor: Actor, action: str, resource: Draft | None = None, *, comment: str = "") -> Decision:
    """Whether `actor` may do `action` (ACTIONS), on `resource` when the action is about a draft; `comment`:
    what a rejection says (one is required)."""
    if action not in ACTIONS:
        raise ValueError(f"action inconnue : {action}")
    if not actor.system:
        if actor.role is None:
            return Decision(False, "connexion requise", LOGIN)
        if actor.disabled:
            return Decision(False, "compte désactivé", LOGIN)
        if action not in ROLE_ACTIONS.get(actor.role, frozenset()):
            role = ROLE_NAMES.get(actor.role, actor.role)
            return Decision(False, f"réservé à qui peut {ACTION_NAMES[action]} (compte {role})", ROLE)
    if resource is None:
        return YES
    return _on_draft(actor, action, resource, comment)


def _on_draft(actor: Actor, action: str, found: Draft, comment: str) -> Decision:
    """The rules on a revision: it exists, it awaits a decision, a rejection says why, the four-eyes rule,
    and an approval only while the publication it corrects is still the current one."""
    if found.status is None:
        return Decision(False, f"{found.region} {found.year} : aucune révision {found.number}", UNKNOWN)
    if found.status == SUPERSEDED and action in SIGN_OFF:
        return Decision(
            False,
            f"{found.region} {found.year} révision {found.number} : projet remplacé, la "
            f"{_revision_name(found.current)} a été publiée depuis et il corrige la {_revision_name(found.based_on)} ; "
            "il ne peut plus être approuvé ni rejeté : relancer la construction si ses données doivent être publiées",
            DECIDED,
        )
    if found.status != DRAFT:
        if action == CONFIRM:
            return Decision(False, "ce projet n'attend plus de décision : il n'y a plus rien à confirmer", DECIDED)
        name = STATUS_NAMES.get(found.status, found.status)
        return Decision(
            False, f"{found.region} {found.year} révision {found.number} : pas un projet en attente ({name})", DECIDED
        )
    if action == REJECT and not comment.strip():
        return Decision(False, "un rejet doit dire pourquoi (commentaire obligatoire)", NO_REASON)
    if action == APPROVE and found.launched_by and actor.name == found.launched_by and not found.self_approval:
        return Decision(
            False,
            f"« {actor.name} » a lancé cette construction et ne peut pas l'approuver (règle des quatre yeux ; "
            f"une équipe d'une personne : un administrateur peut l'autoriser pour la région {found.region}, "
            f"{SETTING_WHERE})",
            FOUR_EYES,
        )
    if action == APPROVE and found.current != found.based_on:
        return Decision(
            False,
            f"la publication actuelle ({_revision_name(found.current)}) n'est plus celle que ce projet corrige "
            f"({_revision_name(found.based_on)}) : son erratum serait faux, relancer la construction",
            STALE,
        )
    return YES


def _revision_name(number: int | None) -> str:
    return f"révision {number}" if number is not None else "aucune publication"
