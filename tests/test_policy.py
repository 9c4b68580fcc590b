"""The policy alone (flows/policy.py): every role against every action, and the rules on drafts — pending,
decided, stale, launched by the one who asks, with and without the administrators' setting, a rejection
without a reason — each refusal with its reason in French."""

from __future__ import annotations

import pytest

from flows import policy
from flows.policy import Actor, Draft

EDITOR = Actor("e.editor", "editor")
APPROVER = Actor("p.approver", "approver")
ADMIN = Actor("a.admin", "admin")
SYSTEM = policy.system("root")
DISABLED = Actor("x.admin", "admin", disabled=True)
ANONYMOUS = policy.ANONYMOUS

# What each actor may do, whatever it acts on (Y: allowed; otherwise the rule that refuses).
Y = ""
MATRIX = {
    #                  view   launch approve reject confirm manage audit settings logout
    EDITOR: ("", "", "role", "role", "", "role", "role", "role", ""),
    APPROVER: ("", "role", "", "", "", "role", "role", "role", ""),
    ADMIN: ("", "", "", "", "", "", "", "", ""),
    SYSTEM: ("", "", "", "", "", "", "", "", ""),
    DISABLED: ("login",) * 9,
    ANONYMOUS: ("login",) * 9,
}
ORDER = (
    policy.VIEW_DRAFTS,
    policy.LAUNCH,
    policy.APPROVE,
    policy.REJECT,
    policy.CONFIRM,
    policy.MANAGE_ACCOUNTS,
    policy.READ_AUDIT,
    policy.CHANGE_SETTINGS,
    policy.LOG_OUT,
)


@pytest.mark.parametrize("actor", list(MATRIX), ids=lambda a: a.role or ("système" if a.system else "anonyme"))
@pytest.mark.parametrize("index", range(len(ORDER)), ids=lambda i: ORDER[i])
def test_every_role_against_every_action(actor: Actor, index: int):
    action, expected = ORDER[index], MATRIX[actor][index]
    decision = policy.allowed(actor, action)
    assert (bool(decision), decision.rule) == (expected == Y, expected)
    if expected:
        assert decision.reason  # every refusal says why


def test_a_refusal_by_role_says_what_the_action_needs_and_the_account_s_role():
    assert policy.allowed(EDITOR, policy.APPROVE).reason == (
        "réservé à qui peut approuver ou rejeter les projets (compte rédacteur)"
    )
    assert policy.allowed(APPROVER, policy.CHANGE_SETTINGS).reason == (
        "réservé à qui peut changer les réglages de l'agence (compte approbateur)"
    )
    assert policy.allowed(ANONYMOUS, policy.VIEW_DRAFTS).reason == "connexion requise"
    assert policy.allowed(DISABLED, policy.VIEW_DRAFTS).reason == "compte désactivé"
    with pytest.raises(ValueError):
        policy.allowed(ADMIN, "publish-everything")


def _draft(status: str | None = "draft", launched_by: str = "someone", based_on=1, current=1, setting=False) -> Draft:
    return Draft("hauts-de-france", 2024, 2, status, launched_by, based_on, current, setting)


STATES = {
    "pending": (_draft(), "", ""),  # approve, reject (with a reason)
    "decided-published": (_draft("published"), "decided", "decided"),
    "decided-rejected": (_draft("rejected"), "decided", "decided"),
    "decided-later-status": (_draft("superseded"), "decided", "decided"),  # a status a later version adds
    "unknown": (_draft(None), "unknown", "unknown"),
    "stale": (_draft(based_on=1, current=3), "stale", ""),  # rejecting a stale draft is fine
    "first-edition": (_draft(based_on=None, current=None), "", ""),
    "first-edition-stale": (_draft(based_on=None, current=1), "stale", ""),
}


@pytest.mark.parametrize("actor", [APPROVER, ADMIN, SYSTEM], ids=["approbateur", "administrateur", "système"])
@pytest.mark.parametrize("state", list(STATES))
def test_the_rules_on_drafts_for_whoever_may_sign_off(actor: Actor, state: str):
    found, on_approve, on_reject = STATES[state]
    approving = policy.allowed(actor, policy.APPROVE, found)
    rejecting = policy.allowed(actor, policy.REJECT, found, comment="montant à revoir")
    assert (bool(approving), approving.rule) == (on_approve == "", on_approve)
    assert (bool(rejecting), rejecting.rule) == (on_reject == "", on_reject)


def test_roles_come_before_the_draft_s_state():
    for found, *_ in STATES.values():
        assert policy.allowed(EDITOR, policy.APPROVE, found).rule == policy.ROLE
        assert policy.allowed(ANONYMOUS, policy.REJECT, found, comment="x").rule == policy.LOGIN


def test_the_refusals_on_drafts_say_what_is_true_and_what_to_do():
    def reason(found: Draft, action: str = policy.APPROVE, comment: str = "") -> str:
        return policy.allowed(APPROVER, action, found, comment=comment).reason

    assert reason(_draft(None)) == "hauts-de-france 2024 : aucune révision 2"
    assert reason(_draft("published")) == "hauts-de-france 2024 révision 2 : pas un projet en attente (publiée)"
    assert reason(_draft("rejected"), policy.REJECT, "x") == (
        "hauts-de-france 2024 révision 2 : pas un projet en attente (rejetée)"
    )
    assert reason(_draft(), policy.REJECT, " \n ") == "un rejet doit dire pourquoi (commentaire obligatoire)"
    assert reason(_draft(based_on=1, current=3)) == (
        "la publication actuelle (révision 3) n'est plus celle que ce projet corrige (révision 1) : son erratum "
        "serait faux, relancer la construction"
    )
    assert "(aucune publication)" in reason(_draft(based_on=None, current=1))


@pytest.mark.parametrize("actor", [APPROVER, ADMIN, SYSTEM], ids=["approbateur", "administrateur", "système"])
def test_the_four_eyes_rule_and_the_administrators_exception(actor: Actor):
    own = _draft(launched_by=actor.name)
    refused = policy.allowed(actor, policy.APPROVE, own)
    assert (bool(refused), refused.rule) == (False, policy.FOUR_EYES)
    assert refused.reason.startswith(f"« {actor.name} » a lancé cette construction et ne peut pas l'approuver")
    assert "règle des quatre yeux" in refused.reason and "fir reglages" in refused.reason
    assert policy.allowed(actor, policy.REJECT, own, comment="à revoir")  # rejecting one's own draft is fine
    assert policy.allowed(actor, policy.APPROVE, _draft(launched_by=actor.name, setting=True))
    # the exception lifts only the four-eyes rule: a stale or decided draft stays refused
    stale = _draft(launched_by=actor.name, setting=True, based_on=1, current=2)
    assert policy.allowed(actor, policy.APPROVE, stale).rule == policy.STALE
    assert policy.allowed(actor, policy.APPROVE, _draft("published", actor.name, setting=True)).rule == policy.DECIDED


def test_a_system_user_named_as_an_account_is_that_person_for_the_four_eyes_rule():
    """The command line's user and the portal's account of the same name launched and would approve: refused."""
    launched_on_the_command_line = _draft(launched_by="p.approver")
    assert policy.allowed(APPROVER, policy.APPROVE, launched_on_the_command_line).rule == policy.FOUR_EYES
    assert policy.allowed(policy.system("p.approver"), policy.APPROVE, launched_on_the_command_line).rule == (
        policy.FOUR_EYES
    )
    assert policy.allowed(APPROVER, policy.APPROVE, _draft(launched_by="")).allowed  # nobody recorded


@pytest.mark.parametrize("actor", [EDITOR, APPROVER, ADMIN, SYSTEM], ids=lambda a: a.role or "système")
def test_confirming_carried_over_items_is_for_a_pending_draft(actor: Actor):
    assert policy.allowed(actor, policy.CONFIRM, _draft())
    decided = policy.allowed(actor, policy.CONFIRM, _draft("published"))
    assert (decided.rule, decided.reason) == (
        policy.DECIDED,
        "ce projet n'attend plus de décision : il n'y a plus rien à confirmer",
    )
    assert policy.allowed(actor, policy.CONFIRM, _draft(None)).rule == policy.UNKNOWN


def test_a_draft_read_from_a_catalogue_entry():
    entry = {"status": "draft", "launched_by": "alice", "based_on": 1, "self_approval": True}
    found = policy.draft("bretagne", 2024, 3, entry, 1, False)
    assert found == Draft("bretagne", 2024, 3, "draft", "alice", 1, 1, False)  # the entry's own word is not read
    assert found.target == "bretagne 2024 r3"
    assert policy.draft("bretagne", 2024, 9, None, 1, True).status is None


@pytest.mark.parametrize("value", ["true", "false", '"oui"'])
def test_edition_toml_s_self_approval_is_read_only_to_be_reported_as_ignored(inputs_copy, value: str):
    """Whatever it says (even a value an earlier version refused), the data under review decides nothing:
    the edition reads, and the report warns where the setting now lives (issue 24, point 12)."""
    from flows.edition.ingest.snapshot import read_edition
    from flows.edition.prepare import ignored_settings

    toml = inputs_copy / "hauts-de-france" / "2018" / "edition.toml"
    assert not read_edition(inputs_copy, "hauts-de-france", 2018).meta.ignored_self_approval
    toml.write_text(toml.read_text(encoding="utf-8") + f"\n[approval]\nself_approval = {value}\n", encoding="utf-8")
    meta = read_edition(inputs_copy, "hauts-de-france", 2018).meta
    assert meta.ignored_self_approval and not hasattr(meta, "self_approval")
    [warning] = ignored_settings(meta.region, meta.year, meta.ignored_self_approval)
    assert warning.level == "warning"
    assert warning.where == "hauts-de-france/2018/edition.toml, réglage [approval] self_approval"
    assert warning.message.startswith("Le réglage [approval] self_approval d'edition.toml est ignoré")
    assert "fir reglages --region hauts-de-france --auto-approbation oui" in warning.message
    assert ignored_settings("hauts-de-france", 2018, False) == ()


def test_a_replaced_draft_is_neither_approved_nor_rejected_and_the_refusal_says_why():
    replaced = _draft("superseded", based_on=1, current=3)
    for action, comment in ((policy.APPROVE, ""), (policy.REJECT, "trop tard")):
        refused = policy.allowed(APPROVER, action, replaced, comment=comment)
        assert (refused.allowed, refused.rule) == (False, policy.DECIDED)
        assert refused.reason == (
            "hauts-de-france 2024 révision 2 : projet remplacé, la révision 3 a été publiée depuis et il corrige la "
            "révision 1 ; il ne peut plus être approuvé ni rejeté : relancer la construction si ses données doivent "
            "être publiées"
        )
