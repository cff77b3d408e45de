"""Countries: the ISO 3166-1 alpha-2 codes an address, a buyer or a tax rule may name.

The list is the officially assigned codes (249), as the IANA time zone database's
iso3166.tab has them; the standard library has none. A code is upper case.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.errors import DomainError, ErrorCode

COUNTRY_CODES: frozenset[str] = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM
    BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX
    CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG
    GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR
    IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV
    LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE
    NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO
    RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF
    TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF
    WS YE YT ZA ZM ZW
    """.split()
)


def check_country_code(code: str, field: list[str]) -> str:
    """The code, upper-cased and stripped, or INVALID on `field` when no country has it."""
    normalized = code.strip().upper()
    if normalized not in COUNTRY_CODES:
        raise DomainError(
            ErrorCode.INVALID,
            f"{code[:8]!r} is not an ISO 3166-1 alpha-2 country code (e.g. DE, US, NL).",
            field,
        )
    return normalized


def check_address_country(address: Mapping[str, Any], field: list[str]) -> None:
    """INVALID on `field` + countryCode when the address names a country no code has.

    An address without countryCode is left to the use-case (a pickup needs none); one
    that names it must name a real country, as a string."""
    code = address.get("countryCode")
    if code is None:
        return
    if not isinstance(code, str):
        raise DomainError(
            ErrorCode.INVALID, "countryCode must be a string (e.g. DE).", [*field, "country_code"]
        )
    check_country_code(code, [*field, "country_code"])
