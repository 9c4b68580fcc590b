"""Which reverse proxies the portal believes: `X-Forwarded-For` and `X-Forwarded-Proto` name the client's
address and scheme only when the request comes from an address the operator lists in FIR_TRUSTED_PROXIES
(addresses or networks, separated by commas or spaces; none by default, not even the loopback). From
anyone else these headers are ignored: a forged address neither escapes the per-address login throttle nor
enters the audit log.

uvicorn applies it (its proxy headers middleware, given exactly this list); `fir serve` starts it with
`server_options()`. uvicorn's own default would believe the loopback, which every local user can reach.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from typing import Any

VARIABLE = "FIR_TRUSTED_PROXIES"


class BadProxySetting(ValueError):
    """FIR_TRUSTED_PROXIES names something that is not an address or a network: said in French."""


def trusted_proxies(environ: Mapping[str, str] = os.environ) -> list[str]:
    """The addresses and networks listed in FIR_TRUSTED_PROXIES, checked (BadProxySetting otherwise)."""
    found = []
    for item in re.split(r"[\s,]+", environ.get(VARIABLE, "").strip()):
        if not item:
            continue
        try:
            network = ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise BadProxySetting(
                f"{VARIABLE} : « {item} » n'est ni une adresse IP ni un réseau (exemples : 10.0.0.5, 10.0.0.0/24) ; "
                "corrigez la variable ou videz-la si aucun proxy ne se place devant le portail"
            ) from None
        found.append(str(network.network_address) if network.num_addresses == 1 else str(network))
    return found


def server_options(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """uvicorn.Config's proxy options: headers read only from the listed proxies, or not at all."""
    trusted = trusted_proxies(environ)
    return {"proxy_headers": bool(trusted), "forwarded_allow_ips": trusted}
