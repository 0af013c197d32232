"""Countries in affiliation addresses: the name a database writes -> the ISO 3166-1 alpha-2 code.

Web of Science ends an address with the country in its own spelling ("Peoples R China", "England",
"USA", "Turkiye"), a US address with the state and ZIP before "USA" ("Ann Arbor, MI 48104 USA"), and
some older US addresses with the state alone ("Bethesda, MD 20892"). Scopus ends an address with the
country's English name ("United States", "China", "Russian Federation"). :func:`country_code` reads
the last part of an address and returns the code, or None when it names no country it knows.

The table below is the ISO 3166-1 English short names (simplified where the official one is long),
followed by the other spellings those databases write.
"""
from __future__ import annotations

import re
import unicodedata

__all__ = ["COUNTRIES", "US_STATES", "country_code", "country_key"]

#: ISO 3166-1 alpha-2 code -> the names written for it (the first is the English short name).
COUNTRIES: dict[str, tuple[str, ...]] = {
    "AD": ("Andorra",), "AE": ("United Arab Emirates", "UAE", "U Arab Emirates"), "AF": ("Afghanistan",),
    "AG": ("Antigua and Barbuda", "Antigua & Barbu"), "AI": ("Anguilla",), "AL": ("Albania",),
    "AM": ("Armenia",), "AO": ("Angola",), "AQ": ("Antarctica",), "AR": ("Argentina",),
    "AS": ("American Samoa",), "AT": ("Austria",), "AU": ("Australia",), "AW": ("Aruba",),
    "AX": ("Aland Islands",), "AZ": ("Azerbaijan",),
    "BA": ("Bosnia and Herzegovina", "Bosnia & Herceg", "Bosnia & Herzegovina", "Bosnia"),
    "BB": ("Barbados",), "BD": ("Bangladesh",), "BE": ("Belgium",), "BF": ("Burkina Faso",),
    "BG": ("Bulgaria",), "BH": ("Bahrain",), "BI": ("Burundi",), "BJ": ("Benin",),
    "BL": ("Saint Barthelemy",), "BM": ("Bermuda",), "BN": ("Brunei", "Brunei Darussalam"),
    "BO": ("Bolivia", "Plurinational State of Bolivia"), "BQ": ("Bonaire, Sint Eustatius and Saba", "Bonaire"),
    "BR": ("Brazil",), "BS": ("Bahamas",), "BT": ("Bhutan",), "BV": ("Bouvet Island",), "BW": ("Botswana",),
    "BY": ("Belarus",), "BZ": ("Belize",), "CA": ("Canada",), "CC": ("Cocos (Keeling) Islands",),
    "CD": ("Democratic Republic of the Congo", "Dem Rep Congo", "Congo (Kinshasa)", "DR Congo", "Zaire"),
    "CF": ("Central African Republic", "Cent Afr Republ"),
    "CG": ("Congo", "Republic of the Congo", "Rep Congo", "Congo (Brazzaville)"),
    "CH": ("Switzerland",), "CI": ("Cote d'Ivoire", "Cote Ivoire", "Ivory Coast"), "CK": ("Cook Islands", "Cook Is"),
    "CL": ("Chile",), "CM": ("Cameroon",), "CN": ("China", "Peoples R China", "People's Republic of China", "PR China",
                                                  "P R China"),
    "CO": ("Colombia",), "CR": ("Costa Rica",), "CU": ("Cuba",), "CV": ("Cabo Verde", "Cape Verde"),
    "CW": ("Curacao",), "CX": ("Christmas Island",), "CY": ("Cyprus",),
    "CZ": ("Czechia", "Czech Republic"), "DE": ("Germany", "Fed Rep Ger", "Ger Dem Rep", "West Germany"),
    "DJ": ("Djibouti",), "DK": ("Denmark",), "DM": ("Dominica",), "DO": ("Dominican Republic", "Dominican Rep"),
    "DZ": ("Algeria",), "EC": ("Ecuador",), "EE": ("Estonia",), "EG": ("Egypt",), "EH": ("Western Sahara",),
    "ER": ("Eritrea",), "ES": ("Spain",), "ET": ("Ethiopia",), "FI": ("Finland",), "FJ": ("Fiji",),
    "FK": ("Falkland Islands", "Falkland Island"), "FM": ("Micronesia", "Federated States of Micronesia"),
    "FO": ("Faroe Islands", "Faroe Island"), "FR": ("France",), "GA": ("Gabon",),
    "GB": ("United Kingdom", "UK", "U.K.", "England", "Scotland", "Wales", "North Ireland", "Northern Ireland",
           "Great Britain"),
    "GD": ("Grenada",), "GE": ("Georgia", "Rep Georgia"), "GF": ("French Guiana",), "GG": ("Guernsey",),
    "GH": ("Ghana",), "GI": ("Gibraltar",), "GL": ("Greenland",), "GM": ("Gambia",), "GN": ("Guinea",),
    "GP": ("Guadeloupe",), "GQ": ("Equatorial Guinea", "Equat Guinea"), "GR": ("Greece",),
    "GS": ("South Georgia and the South Sandwich Islands",), "GT": ("Guatemala",), "GU": ("Guam",),
    "GW": ("Guinea-Bissau", "Guinea Bissau"), "GY": ("Guyana",), "HK": ("Hong Kong",),
    "HM": ("Heard Island and McDonald Islands",), "HN": ("Honduras",), "HR": ("Croatia",), "HT": ("Haiti",),
    "HU": ("Hungary",), "ID": ("Indonesia",), "IE": ("Ireland", "Irish Republic"), "IL": ("Israel",),
    "IM": ("Isle of Man",), "IN": ("India",), "IO": ("British Indian Ocean Territory",), "IQ": ("Iraq",),
    "IR": ("Iran", "Islamic Republic of Iran"), "IS": ("Iceland",), "IT": ("Italy",), "JE": ("Jersey",),
    "JM": ("Jamaica",), "JO": ("Jordan",), "JP": ("Japan",), "KE": ("Kenya",), "KG": ("Kyrgyzstan",),
    "KH": ("Cambodia",), "KI": ("Kiribati",), "KM": ("Comoros",), "KN": ("Saint Kitts and Nevis", "St Kitts & Nevi"),
    "KP": ("North Korea", "Democratic People's Republic of Korea", "Dem People's Republic of Korea"),
    "KR": ("South Korea", "Republic of Korea", "Korea", "Korea, Republic of"), "KW": ("Kuwait",),
    "KY": ("Cayman Islands",), "KZ": ("Kazakhstan",), "LA": ("Laos", "Lao People's Democratic Republic"),
    "LB": ("Lebanon",), "LC": ("Saint Lucia", "St Lucia"), "LI": ("Liechtenstein",), "LK": ("Sri Lanka",),
    "LR": ("Liberia",), "LS": ("Lesotho",), "LT": ("Lithuania",), "LU": ("Luxembourg",), "LV": ("Latvia",),
    "LY": ("Libya",), "MA": ("Morocco",), "MC": ("Monaco",), "MD": ("Moldova", "Republic of Moldova"),
    "ME": ("Montenegro",), "MF": ("Saint Martin",), "MG": ("Madagascar",), "MH": ("Marshall Islands",),
    "MK": ("North Macedonia", "Macedonia", "Republic of North Macedonia"), "ML": ("Mali",),
    "MM": ("Myanmar", "Burma"), "MN": ("Mongolia",), "MO": ("Macao", "Macau"), "MP": ("Northern Mariana Islands",),
    "MQ": ("Martinique",), "MR": ("Mauritania",), "MS": ("Montserrat",), "MT": ("Malta",), "MU": ("Mauritius",),
    "MV": ("Maldives",), "MW": ("Malawi",), "MX": ("Mexico",), "MY": ("Malaysia",), "MZ": ("Mozambique",),
    "NA": ("Namibia",), "NC": ("New Caledonia",), "NE": ("Niger",), "NF": ("Norfolk Island",), "NG": ("Nigeria",),
    "NI": ("Nicaragua",), "NL": ("Netherlands", "The Netherlands", "Holland"), "NO": ("Norway",), "NP": ("Nepal",),
    "NR": ("Nauru",), "NU": ("Niue",), "NZ": ("New Zealand",), "OM": ("Oman",), "PA": ("Panama",), "PE": ("Peru",),
    "PF": ("French Polynesia", "Fr Polynesia"), "PG": ("Papua New Guinea", "Papua N Guinea"), "PH": ("Philippines",),
    "PK": ("Pakistan",), "PL": ("Poland",), "PM": ("Saint Pierre and Miquelon",), "PN": ("Pitcairn",),
    "PR": ("Puerto Rico",), "PS": ("Palestine", "State of Palestine", "Palestinian Territory"), "PT": ("Portugal",),
    "PW": ("Palau",), "PY": ("Paraguay",), "QA": ("Qatar",), "RE": ("Reunion",), "RO": ("Romania",),
    "RS": ("Serbia", "Serbia Monteneg", "Serbia and Montenegro", "Yugoslavia"),
    "RU": ("Russia", "Russian Federation", "USSR"), "RW": ("Rwanda",), "SA": ("Saudi Arabia",),
    "SB": ("Solomon Islands",), "SC": ("Seychelles",), "SD": ("Sudan",), "SE": ("Sweden",), "SG": ("Singapore",),
    "SH": ("Saint Helena",), "SI": ("Slovenia",), "SJ": ("Svalbard and Jan Mayen",), "SK": ("Slovakia",),
    "SL": ("Sierra Leone",), "SM": ("San Marino",), "SN": ("Senegal",), "SO": ("Somalia",), "SR": ("Suriname",),
    "SS": ("South Sudan",), "ST": ("Sao Tome and Principe", "Sao Tome & Prin"), "SV": ("El Salvador",),
    "SX": ("Sint Maarten",), "SY": ("Syria", "Syrian Arab Republic"), "SZ": ("Eswatini", "Swaziland"),
    "TC": ("Turks and Caicos Islands", "Turks & Caicos"), "TD": ("Chad",), "TF": ("French Southern Territories",),
    "TG": ("Togo",), "TH": ("Thailand",), "TJ": ("Tajikistan",), "TK": ("Tokelau",),
    "TL": ("Timor-Leste", "East Timor", "Timor Leste"), "TM": ("Turkmenistan",), "TN": ("Tunisia",),
    "TO": ("Tonga",), "TR": ("Turkey", "Turkiye"), "TT": ("Trinidad and Tobago", "Trinid & Tobago"),
    "TV": ("Tuvalu",), "TW": ("Taiwan",), "TZ": ("Tanzania", "United Republic of Tanzania"), "UA": ("Ukraine",),
    "UG": ("Uganda",), "UM": ("United States Minor Outlying Islands",),
    "US": ("United States", "USA", "U.S.A.", "United States of America"), "UY": ("Uruguay",),
    "UZ": ("Uzbekistan",), "VA": ("Vatican City", "Vatican", "Holy See"),
    "VC": ("Saint Vincent and the Grenadines", "St Vincent"), "VE": ("Venezuela",),
    "VG": ("British Virgin Islands", "Br Virgin Isl"), "VI": ("US Virgin Islands", "Virgin Islands (U.S.)"),
    "VN": ("Vietnam", "Viet Nam"), "VU": ("Vanuatu",), "WF": ("Wallis and Futuna",), "WS": ("Samoa", "Western Samoa"),
    "XK": ("Kosovo",), "YE": ("Yemen",), "YT": ("Mayotte",), "ZA": ("South Africa",), "ZM": ("Zambia",),
    "ZW": ("Zimbabwe",),
}

#: The two-letter codes of the US states (and DC) as Web of Science writes them before the ZIP code.
US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND "
    "OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY".split())


def country_key(name: str) -> str:
    """A name compared without case, accents, punctuation or "the": "Türkiye" -> "turkiye"."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold().replace("&", " and ")
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    return re.sub(r"^the ", "", text)


_BY_KEY = {country_key(name): code for code, names in COUNTRIES.items() for name in names}
# Georgia is also a US state: "Atlanta, GA 30322 USA" names the state by its code, never its name
_US_ADDRESS = re.compile(r"\b([A-Z]{2})\s+\d{5}(?:-\d{4})?\b")
_TAIL_USA = re.compile(r"\bUSA\.?$")


def country_code(address: str | None) -> str | None:
    """The ISO 3166-1 alpha-2 code of the country an affiliation address ends with; None when unknown.

    >>> country_code("Univ Michigan, Dept Sociol, Ann Arbor, MI 48104 USA.")
    'US'
    >>> country_code("Zhejiang Chinese Med Univ, Hangzhou 310053, Zhejiang, Peoples R China.")
    'CN'
    """
    if not isinstance(address, str) or not address.strip():
        return None
    text = address.strip().rstrip(".").strip()
    if _TAIL_USA.search(text):
        return "US"
    last = text.rsplit(",", 1)[-1].strip()
    code = _BY_KEY.get(country_key(last))
    if code:
        return code
    # "Bethesda, MD 20892": a US state and ZIP code with no country after them
    state = _US_ADDRESS.fullmatch(last)
    if state and state.group(1) in US_STATES:
        return "US"
    # a postcode and the country in one part ("Jazan 45142 Saudi Arabia"): the words after the postcode
    if not re.search(r"\d", last):
        return None
    words = last.split()
    for n in (3, 2, 1):
        if len(words) > n:
            code = _BY_KEY.get(country_key(" ".join(words[-n:])))
            if code:
                return code
    return None
