"""The web edition's address the brochure prints (back cover, its link, the web edition's footer): only an
address every reader can open. It comes from edition.toml's `[publication] web_url`, else from the public
address of the portal the service is given (`FIR_PORTAL_URL`); nothing set, the line is left out and the
report says so; an address of this machine or of a private network stops the build (readers of a printed
brochure could never open it, and a brochure cannot be recalled).

The classification is pure (no name is looked up: a name that resolves today says nothing of the readers'
network), with `ipaddress` for addresses and `urllib.parse` for the rest.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from flows.edition.ingest.meta import EditionMeta
from flows.edition.validate.findings import Finding

PORTAL_VARIABLE = "FIR_PORTAL_URL"  # the portal's public address, an environment variable of the service
TOML_SETTING = "[publication] web_url"
TABLE = "publication"  # the report's group (validate/reconcile.py, TABLE_TITLES)
EXAMPLE = "https://www.votre-agence.fr/fir/"

Kind = Literal["public", "loopback", "private", "invalid"]
# Names that only a machine or a private network resolves, and names reserved for examples and tests
# (RFC 6761, RFC 6762, RFC 8375).
_LOOPBACK_NAMES = ("localhost",)
_PRIVATE_SUFFIXES = (".local", ".lan", ".internal", ".intranet", ".localdomain", ".home.arpa", ".corp", ".home")
_RESERVED_SUFFIXES = (".test", ".example", ".invalid")
_KINDS = {
    "loopback": "une adresse de cette machine",
    "private": "une adresse de réseau privé",
    "invalid": "une adresse invalide",
}


@dataclass(frozen=True)
class Verdict:
    kind: Kind
    why: str  # in French, for the report: what kind of address it is ("" for a public one)


def classify(url: str) -> Verdict:
    """Whether readers anywhere can open `url`: `public`, or `loopback` (this machine), `private` (a private
    network, a machine's bare name, a name reserved for tests) or `invalid` (not a web address)."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").rstrip(".").lower()
        parts.port  # noqa: B018 — a port out of range or not a number raises here
    except ValueError:
        return Verdict("invalid", "ce n'est pas une adresse web valide")
    if parts.scheme not in ("http", "https") or not host:
        return Verdict("invalid", "ce n'est pas une adresse web complète (« https://… »)")
    address = _ip_address(host)
    if address is not None:
        return _classify_ip(address)
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return Verdict("loopback", f"« {host} » désigne la machine elle-même")
    if "." not in host:
        return Verdict("private", f"« {host} » est un nom de machine sans domaine, connu du seul réseau interne")
    if host.endswith(_PRIVATE_SUFFIXES):
        return Verdict("private", f"« {host} » est un nom du réseau local, inconnu hors de l'agence")
    if host.endswith(_RESERVED_SUFFIXES):
        return Verdict("private", f"« {host} » est un nom réservé aux exemples et aux essais, qui ne mène nulle part")
    return Verdict("public", "")


def _ip_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The host as an IP address, also in the forms browsers accept for IPv4 (`127.1`, `2130706433`,
    `0x7f.0.0.1`); None for a name."""
    try:
        return ipaddress.ip_address(host.partition("%")[0])  # an IPv6 zone (`fe80::1%eth0`) names no network
    except ValueError:
        pass
    if all(c in "0123456789abcdefx." for c in host) and any(c.isdigit() for c in host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _classify_ip(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> Verdict:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _classify_ip(address.ipv4_mapped)
    if address.is_loopback or address.is_unspecified:
        return Verdict("loopback", f"{address} désigne la machine elle-même")
    if address.is_link_local:
        return Verdict("private", f"{address} est une adresse locale au lien, joignable du seul réseau local")
    if address.is_private or not address.is_global:
        return Verdict("private", f"{address} est une adresse de réseau privé, joignable de l'intérieur seulement")
    return Verdict("public", "")


@dataclass(frozen=True)
class PrintedAddress:
    """The address the brochure prints for its web edition (None: the line is left out), the setting it
    comes from, and what the report says of it."""

    url: str | None
    setting: str  # "edition.toml, [publication] web_url", "FIR_PORTAL_URL", or "" when nothing is set
    findings: tuple[Finding, ...] = ()


def printed_address(web_url: str | None, environ: Mapping[str, str], region: str, year: int) -> PrintedAddress:
    """The web edition's address to print, from edition.toml's `web_url`, else from `FIR_PORTAL_URL` in
    `environ` (the portal's stable address of the edition's web page)."""
    toml = f"{region}/{year}/edition.toml"
    portal = (environ.get(PORTAL_VARIABLE) or "").strip()
    if web_url:
        url, setting, value = web_url, f"edition.toml, {TOML_SETTING}", web_url
        fix = f'écrire l\'adresse publique de la version web dans {toml} : {TOML_SETTING} = "{EXAMPLE}"'
        where = f"{toml}, réglage {TOML_SETTING}"
    elif portal:
        url = f"{portal.rstrip('/')}/editions/{region}/{year}/web/"
        setting, value = PORTAL_VARIABLE, portal
        fix = (
            f"donner à la variable d'environnement {PORTAL_VARIABLE} du service l'adresse publique du portail "
            f"(ex. {PORTAL_VARIABLE}=https://fir.votre-agence.fr), ou écrire l'adresse publique de la version "
            f'web dans {toml} : {TOML_SETTING} = "{EXAMPLE}"'
        )
        where = f"variable d'environnement {PORTAL_VARIABLE}"
    else:
        return PrintedAddress(None, "", (unset_finding(toml),))
    verdict = classify(url)
    if verdict.kind == "public":
        return PrintedAddress(url, setting)
    message = (
        f"L'adresse de la version web à imprimer est {_KINDS[verdict.kind]} : « {value} » ({setting}) — {verdict.why}. "
        f"Imprimée dans la brochure, elle ne mènerait les lecteurs nulle part. À faire : {fix}, puis relancer."
    )
    return PrintedAddress(None, setting, (Finding("error", TABLE, message, where),))


def unset_finding(toml: str) -> Finding:
    """The report's warning when no setting gives the web edition's public address."""
    message = (
        "Aucune adresse publique n'est réglée pour la version web : la ligne « Version web accessible : … » "
        "est retirée de la quatrième de couverture et de la version web. Pour l'imprimer, écrire l'adresse "
        f'publique dans {toml} : {TOML_SETTING} = "{EXAMPLE}", ou donner à la variable d\'environnement '
        f"{PORTAL_VARIABLE} du service l'adresse publique du portail."
    )
    return Finding("warning", TABLE, message, f"{toml}, réglage {TOML_SETTING}")


def website_findings(website: str | None, region: str, year: int) -> tuple[Finding, ...]:
    """The agency's site (edition.toml `website`), printed on the back cover too: an error when readers
    could not open it, as for the web edition's address."""
    if not website:
        return ()
    verdict = classify(website)
    if verdict.kind == "public":
        return ()
    toml = f"{region}/{year}/edition.toml"
    message = (
        f"Le site de l'agence à imprimer est {_KINDS[verdict.kind]} : « {website} » (edition.toml, website) — "
        f"{verdict.why}. Imprimé au dos de la brochure, il ne mènerait les lecteurs nulle part. À faire : écrire "
        f'l\'adresse publique du site dans {toml} (website = "https://www.votre-agence.fr") ou retirer la ligne, '
        "puis relancer."
    )
    return (Finding("error", TABLE, message, f"{toml}, réglage website"),)


def settings_findings(address: PrintedAddress, meta: EditionMeta) -> tuple[Finding, ...]:
    """What the check of a build's settings says in the report: the web edition's address it prints
    (`address`, from `printed_address`) and the agency's site (edition.toml `website`)."""
    return (*address.findings, *website_findings(meta.website, meta.region, meta.year))
