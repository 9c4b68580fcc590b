"""Which web address a brochure may print (flows/edition/validate/address.py): only one every reader can
open; none set is a warning of the report, one of this machine or of a private network an error naming the
setting. Pure: no name is looked up (tests/test_web_address.py builds brochures with each case)."""

from __future__ import annotations

import os

import pytest

from flows.edition.ingest.snapshot import Snapshot
from flows.edition.prepare import prepare
from flows.edition.validate.address import classify, printed_address, website_findings
from flows.edition.validate.reconcile import report_lines

PUBLIC = "https://www.example.org/fir/"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/editions/hauts-de-france/2025/web/",
        "http://127.8.9.10/",
        "http://localhost/",
        "https://LOCALHOST.:8443/fir/",
        "http://portail.localhost/",
        "http://[::1]:8000/web/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0:8000/",
        "http://[::]/",
        "http://127.1/",  # browsers read these as 127.0.0.1
        "http://2130706433/",
        "http://0x7f.0.0.1/",
    ],
)
def test_an_address_of_this_machine_is_loopback(url):
    assert classify(url).kind == "loopback"


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://192.168.1.20:8000/", "192.168.1.20 est une adresse de réseau privé"),
        ("https://10.0.0.5/fir/", "10.0.0.5 est une adresse de réseau privé"),
        ("http://172.16.3.4/", "172.16.3.4 est une adresse de réseau privé"),
        ("http://100.64.1.1/", "100.64.1.1 est une adresse de réseau privé"),  # shared by operators (RFC 6598)
        ("http://169.254.10.1/", "169.254.10.1 est une adresse locale au lien"),
        ("http://[fe80::1%25eth0]/", "fe80::1 est une adresse locale au lien"),
        ("http://[fd12:3456:789a::1]/", "fd12:3456:789a::1 est une adresse de réseau privé"),
        ("http://[::ffff:192.168.0.1]/", "192.168.0.1 est une adresse de réseau privé"),
        ("http://intranet/fir/", "« intranet » est un nom de machine sans domaine"),
        ("http://fir-server:8000/", "« fir-server » est un nom de machine sans domaine"),
        ("https://fir.local/", "« fir.local » est un nom du réseau local"),
        ("https://portail.ars.lan/", "« portail.ars.lan » est un nom du réseau local"),
        ("https://fir.home.arpa/", "« fir.home.arpa » est un nom du réseau local"),
        ("https://portail.ars.test/", "« portail.ars.test » est un nom réservé aux exemples et aux essais"),
    ],
)
def test_an_address_of_a_private_network_is_private(url, why):
    verdict = classify(url)
    assert verdict.kind == "private"
    assert verdict.why.startswith(why)


@pytest.mark.parametrize("url", ["ftp://www.example.org/", "https://", "www.example.org", "https://example.org:99999/"])
def test_what_is_no_web_address_is_invalid(url):
    assert classify(url).kind == "invalid"


@pytest.mark.parametrize(
    "url",
    [
        PUBLIC,
        "https://fir.hauts-de-france.ars.sante.fr/editions/hauts-de-france/2025/web/",
        "http://www.example.org./fir/",
        "http://93.184.215.14/fir/",
        "http://[2606:4700:4700::1111]/fir/",
        "https://localhost.example.org/",  # a public name that only begins like a local one
    ],
)
def test_an_address_every_reader_can_open_is_public(url):
    assert classify(url).kind == "public"
    assert classify(url).why == ""


def test_nothing_set_prints_nothing_and_warns_naming_both_settings():
    address = printed_address(None, {}, "hauts-de-france", 2025)
    assert address.url is None and address.setting == ""
    (finding,) = address.findings
    assert finding.level == "warning"
    assert finding.message == (
        "Aucune adresse publique n'est réglée pour la version web : la ligne « Version web accessible : … » est "
        "retirée de la quatrième de couverture et de la version web. Pour l'imprimer, écrire l'adresse publique "
        'dans hauts-de-france/2025/edition.toml : [publication] web_url = "https://www.votre-agence.fr/fir/", '
        "ou donner à la variable d'environnement FIR_PORTAL_URL du service l'adresse publique du portail."
    )
    assert finding.where == "hauts-de-france/2025/edition.toml, réglage [publication] web_url"
    assert printed_address(None, {"FIR_PORTAL_URL": "  "}, "hauts-de-france", 2025).url is None  # blank: unset


def test_a_public_address_is_printed_from_edition_toml_first_then_from_the_portals():
    toml = printed_address(PUBLIC, {"FIR_PORTAL_URL": "https://fir.example.org"}, "hauts-de-france", 2025)
    assert (toml.url, toml.setting, toml.findings) == (PUBLIC, "edition.toml, [publication] web_url", ())
    portal = printed_address(None, {"FIR_PORTAL_URL": "https://fir.example.org/"}, "hauts-de-france", 2025)
    assert portal.url == "https://fir.example.org/editions/hauts-de-france/2025/web/"
    assert (portal.setting, portal.findings) == ("FIR_PORTAL_URL", ())


def test_a_loopback_address_in_edition_toml_is_an_error_naming_the_file_the_setting_and_the_value():
    address = printed_address("http://localhost:8000/fir/", {}, "hauts-de-france", 2025)
    assert address.url is None
    (finding,) = address.findings
    assert finding.level == "error"
    assert finding.message == (
        "L'adresse de la version web à imprimer est une adresse de cette machine : « http://localhost:8000/fir/ » "
        "(edition.toml, [publication] web_url) — « localhost » désigne la machine elle-même. Imprimée dans la "
        "brochure, elle ne mènerait les lecteurs nulle part. À faire : écrire l'adresse publique de la version "
        'web dans hauts-de-france/2025/edition.toml : [publication] web_url = "https://www.votre-agence.fr/fir/", '
        "puis relancer."
    )
    assert finding.where == "hauts-de-france/2025/edition.toml, réglage [publication] web_url"


def test_a_private_portal_address_is_an_error_naming_the_variable_and_the_value():
    address = printed_address(None, {"FIR_PORTAL_URL": "http://192.168.1.20:8000"}, "hauts-de-france", 2025)
    assert address.url is None
    (finding,) = address.findings
    assert finding.level == "error"
    assert finding.message.startswith(
        "L'adresse de la version web à imprimer est une adresse de réseau privé : « http://192.168.1.20:8000 » "
        "(FIR_PORTAL_URL) — 192.168.1.20 est une adresse de réseau privé, joignable de l'intérieur seulement. "
    )
    assert "À faire : donner à la variable d'environnement FIR_PORTAL_URL du service l'adresse publique" in (
        finding.message
    )
    assert finding.where == "variable d'environnement FIR_PORTAL_URL"


def test_the_address_findings_are_a_group_of_the_report_and_an_error_stops_the_build(edition_2024):
    error = printed_address(None, {"FIR_PORTAL_URL": "http://127.0.0.1:8000"}, "hauts-de-france", 2024)
    prepared = prepare(Snapshot(edition_2024), settings=error.findings)
    assert prepared.report.errors == list(error.findings)
    lines = report_lines(edition_2024, prepared.report)
    at = lines.index("Adresses web imprimées (edition.toml ou FIR_PORTAL_URL)")
    assert lines[at + 1].startswith("  [ERREUR] L'adresse de la version web à imprimer est une adresse de cette")
    assert lines[at + 2] == "      où : variable d'environnement FIR_PORTAL_URL"
    assert lines[-1].startswith("Bilan : 1 erreur(s)") and lines[-1].endswith("des erreurs empêchent la construction.")


def test_staff_links_follow_the_service_but_brochures_print_only_fir_portal_url(monkeypatch):
    """`fir serve` passes the address it listens on to its runs (FIR_SERVICE_URL) for the staff's links;
    a brochure never prints it."""
    from flows.notices import notify

    monkeypatch.delenv("FIR_PORTAL_URL", raising=False)
    monkeypatch.setenv("FIR_SERVICE_URL", "http://127.0.0.1:8123/")
    assert notify.portal_url() == "http://127.0.0.1:8123"
    assert printed_address(None, os.environ, "hauts-de-france", 2025).url is None
    monkeypatch.setenv("FIR_PORTAL_URL", "https://fir.example.org/")
    assert notify.portal_url() == "https://fir.example.org"
    assert printed_address(None, os.environ, "hauts-de-france", 2025).url == (
        "https://fir.example.org/editions/hauts-de-france/2025/web/"
    )


def test_the_agencys_site_printed_beside_it_must_be_public_too():
    assert website_findings("https://www.hauts-de-france.ars.sante.fr", "hauts-de-france", 2025) == ()
    assert website_findings(None, "hauts-de-france", 2025) == ()
    (finding,) = website_findings("http://intranet.local/", "hauts-de-france", 2025)
    assert finding.level == "error"
    assert finding.message == (
        "Le site de l'agence à imprimer est une adresse de réseau privé : « http://intranet.local/ » (edition.toml, "
        "website) — « intranet.local » est un nom du réseau local, inconnu hors de l'agence. Imprimé au dos de la "
        "brochure, il ne mènerait les lecteurs nulle part. À faire : écrire l'adresse publique du site dans "
        'hauts-de-france/2025/edition.toml (website = "https://www.votre-agence.fr") ou retirer la ligne, '
        "puis relancer."
    )
    assert finding.where == "hauts-de-france/2025/edition.toml, réglage website"
