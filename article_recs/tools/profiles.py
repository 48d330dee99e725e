"""Static vocabularies: browsers and bots (user agents, the fields enrichment derives from them), referrers,
topics and the words headlines are made of."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Device:
    """A browser as the legacy user-agent-utils and the YAUAA enrichments describe it."""

    useragent: str
    br_name: str
    br_family: str
    br_version: str
    br_type: str
    br_renderengine: str
    os_name: str
    os_family: str
    os_manufacturer: str
    dvce_type: str  # Computer | Mobile | Tablet | Unknown
    dvce_ismobile: str  # "1" | "0"
    screen: tuple[int, int]
    device_class: str  # YAUAA deviceClass: Desktop | Phone | Tablet | Robot
    device_name: str
    os_class: str
    agent_name: str
    agent_version: str
    layout_engine: str
    weight: float = 1.0
    is_bot: bool = False

    def yauaa_context(self) -> str:
        """``derived_contexts``: the YAUAA enrichment's context, as enrich writes it."""
        data = {
            "deviceClass": self.device_class,
            "deviceName": self.device_name,
            "operatingSystemClass": self.os_class,
            "operatingSystemName": self.os_family,
            "layoutEngineName": self.layout_engine,
            "agentClass": "Robot" if self.is_bot else "Browser",
            "agentName": self.agent_name,
            "agentVersion": self.agent_version,
            "agentVersionMajor": self.agent_version.split(".")[0],
        }
        return json.dumps(
            {
                "schema": "iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-1",
                "data": [{"schema": "iglu:nl.basjes/yauaa_context/jsonschema/1-0-4", "data": data}],
            },
            separators=(",", ":"),
        )


_WIN = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
_MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)"

HUMAN_DEVICES: tuple[Device, ...] = (
    Device(
        f"{_WIN} Chrome/124.0.0.0 Safari/537.36",
        "Chrome 124",
        "Chrome",
        "124.0.0.0",
        "Browser",
        "WEBKIT",
        "Windows 10",
        "Windows",
        "Microsoft Corporation",
        "Computer",
        "0",
        (1920, 1080),
        "Desktop",
        "Desktop",
        "Desktop",
        "Chrome",
        "124.0.0.0",
        "Blink",
        weight=0.22,
    ),
    Device(
        f"{_MAC} AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
        "Chrome 124",
        "Chrome",
        "124.0.0.0",
        "Browser",
        "WEBKIT",
        "Mac OS X",
        "Mac OS X",
        "Apple Inc.",
        "Computer",
        "0",
        (1440, 900),
        "Desktop",
        "Apple Macintosh",
        "Desktop",
        "Chrome",
        "124.0.0.0",
        "Blink",
        weight=0.08,
    ),
    Device(
        f"{_MAC} AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
        "Safari 17",
        "Safari",
        "17.4.1",
        "Browser",
        "WEBKIT",
        "Mac OS X",
        "Mac OS X",
        "Apple Inc.",
        "Computer",
        "0",
        (1512, 982),
        "Desktop",
        "Apple Macintosh",
        "Desktop",
        "Safari",
        "17.4.1",
        "AppleWebKit",
        weight=0.07,
    ),
    Device(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
        "Firefox 125",
        "Firefox",
        "125.0",
        "Browser",
        "GECKO",
        "Windows 10",
        "Windows",
        "Microsoft Corporation",
        "Computer",
        "0",
        (1920, 1080),
        "Desktop",
        "Desktop",
        "Desktop",
        "Firefox",
        "125.0",
        "Gecko",
        weight=0.05,
    ),
    Device(
        f"{_WIN} Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80",
        "Microsoft Edge 124",
        "Microsoft Edge",
        "124.0.2478.80",
        "Browser",
        "WEBKIT",
        "Windows 10",
        "Windows",
        "Microsoft Corporation",
        "Computer",
        "0",
        (1536, 864),
        "Desktop",
        "Desktop",
        "Desktop",
        "Edge",
        "124.0.2478.80",
        "Blink",
        weight=0.06,
    ),
    Device(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.4.1 Mobile/15E148 Safari/604.1",
        "Mobile Safari",
        "Safari",
        "17.4.1",
        "Browser (mobile)",
        "WEBKIT",
        "iOS 17 (iPhone)",
        "iOS",
        "Apple Inc.",
        "Mobile",
        "1",
        (390, 844),
        "Phone",
        "Apple iPhone",
        "Mobile",
        "Safari",
        "17.4.1",
        "AppleWebKit",
        weight=0.24,
    ),
    Device(
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 "
        "Mobile Safari/537.36",
        "Chrome Mobile",
        "Chrome",
        "124.0.0.0",
        "Browser (mobile)",
        "WEBKIT",
        "Android 1.x",
        "Android",
        "Google Inc.",
        "Mobile",
        "1",
        (412, 915),
        "Phone",
        "Android Mobile",
        "Mobile",
        "Chrome",
        "124.0.0.0",
        "Blink",
        weight=0.16,
    ),
    Device(
        "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
        "Samsung Internet",
        "Samsung Internet",
        "24.0",
        "Browser (mobile)",
        "WEBKIT",
        "Android 1.x",
        "Android",
        "Google Inc.",
        "Mobile",
        "1",
        (360, 780),
        "Phone",
        "Samsung SM-S921B",
        "Mobile",
        "Samsung Internet",
        "24.0",
        "Blink",
        weight=0.05,
    ),
    Device(
        "Mozilla/5.0 (iPad; CPU OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.4.1 Mobile/15E148 Safari/604.1",
        "Mobile Safari",
        "Safari",
        "17.4.1",
        "Browser (mobile)",
        "WEBKIT",
        "iOS 17 (iPad)",
        "iOS",
        "Apple Inc.",
        "Tablet",
        "1",
        (820, 1180),
        "Tablet",
        "Apple iPad",
        "Mobile",
        "Safari",
        "17.4.1",
        "AppleWebKit",
        weight=0.05,
    ),
    Device(
        "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Safari/537.36",
        "Chrome",
        "Chrome",
        "124.0.0.0",
        "Browser",
        "WEBKIT",
        "Android 1.x",
        "Android",
        "Google Inc.",
        "Tablet",
        "1",
        (800, 1280),
        "Tablet",
        "Samsung SM-X710",
        "Mobile",
        "Chrome",
        "124.0.0.0",
        "Blink",
        weight=0.02,
    ),
)


def _bot(useragent: str, agent: str, version: str, weight: float) -> Device:
    return Device(
        useragent,
        "Robot/Spider",
        "Robot/Spider",
        "",
        "Robot",
        "",
        "Unknown",
        "Unknown",
        "Other",
        "Unknown",
        "0",
        (1024, 1024),
        "Robot",
        agent,
        "Cloud",
        agent,
        version,
        "Blink",
        weight=weight,
        is_bot=True,
    )


#: Crawlers that execute JavaScript (so the tracker fires). Every user agent contains "bot".
BOT_DEVICES: tuple[Device, ...] = (
    _bot(
        "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.6367.201 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Googlebot",
        "2.1",
        0.35,
    ),
    _bot("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Googlebot", "2.1", 0.1),
    _bot(
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; "
        "+http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36",
        "Bingbot",
        "2.0",
        0.2,
    ),
    _bot("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", "AhrefsBot", "7.0", 0.12),
    _bot("Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)", "YandexBot", "3.0", 0.06),
    _bot(
        "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)", "SemrushBot", "7", 0.08
    ),
    _bot(
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
        "Applebot",
        "0.1",
        0.05,
    ),
    _bot(
        "Mozilla/5.0 (Linux; Android 7.0;) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 "
        "(compatible; PetalBot;+https://webmaster.petalsearch.com/site/petalbot)",
        "PetalBot",
        "1",
        0.04,
    ),
)

#: /16 networks crawlers come from, by agent name (first two octets).
BOT_NETWORKS: dict[str, tuple[str, ...]] = {
    "Googlebot": ("66.249",),
    "Bingbot": ("157.55", "40.77", "207.46"),
    "AhrefsBot": ("54.36", "5.39"),
    "YandexBot": ("213.180", "5.255"),
    "SemrushBot": ("85.208",),
    "Applebot": ("17.241",),
    "PetalBot": ("114.119",),
}

#: Viewport (br_viewwidth, br_viewheight) is the screen minus browser chrome.
VIEWPORT_MARGIN = {"Computer": (18, 150), "Mobile": (0, 120), "Tablet": (0, 90), "Unknown": (0, 0)}


# ---------------------------------------------------------------------------------------------- referrers
@dataclass(frozen=True)
class Referrer:
    medium: str  # search | social | unknown ("" is direct, internal is built from the previous page)
    source: str  # refr_source ("" when referer-parser does not know it)
    url: str
    weight: float


EXTERNAL_REFERRERS: tuple[Referrer, ...] = (
    Referrer("search", "Google", "https://www.google.com/", 0.24),
    Referrer("search", "Bing", "https://www.bing.com/", 0.04),
    Referrer("search", "DuckDuckGo", "https://duckduckgo.com/", 0.02),
    Referrer("social", "Facebook", "https://www.facebook.com/", 0.09),
    Referrer("social", "Twitter", "https://t.co/", 0.05),
    Referrer("social", "Reddit", "https://www.reddit.com/r/news/", 0.03),
    Referrer("social", "LinkedIn", "https://www.linkedin.com/", 0.01),
    Referrer("unknown", "", "https://news.aggregator.example/", 0.05),
    Referrer("unknown", "", "https://forum.example.org/thread/2231", 0.02),
    Referrer("unknown", "", "https://blog.example.net/links", 0.02),
    Referrer("", "", "", 0.43),  # direct: typed, bookmarked, apps
)

#: UTM tags on some social and newsletter landings: (utm_source, utm_medium, utm_campaign).
CAMPAIGNS = {
    "Facebook": ("facebook", "social", "daily-share"),
    "Twitter": ("twitter", "social", "breaking"),
    "": ("newsletter", "email", "morning-briefing"),
}


# ---------------------------------------------------------------------------------------------- content
TOPICS: tuple[str, ...] = (
    "politics",
    "business",
    "world",
    "sport",
    "culture",
    "science",
    "technology",
    "lifestyle",
)

TOPIC_SUBJECTS: dict[str, tuple[str, ...]] = {
    "politics": (
        "budget vote",
        "coalition talks",
        "council election",
        "housing bill",
        "tax reform",
        "leadership contest",
        "transport levy",
        "party conference",
        "minister resigns",
        "border agreement",
        "pension plan",
        "school funding row",
    ),
    "business": (
        "bank merger",
        "rail strike",
        "energy prices",
        "port expansion",
        "retail slump",
        "factory closure",
        "interest rates",
        "tech layoffs",
        "airline takeover",
        "wage deal",
        "startup funding",
        "market rally",
    ),
    "world": (
        "ceasefire talks",
        "earthquake relief",
        "summit meeting",
        "election dispute",
        "trade pact",
        "refugee crisis",
        "floods",
        "embassy standoff",
        "peace deal",
        "drought",
        "protests",
        "cyclone warning",
    ),
    "sport": (
        "cup final",
        "transfer saga",
        "title race",
        "marathon record",
        "doping case",
        "coach sacked",
        "derby clash",
        "grand prix",
        "test series",
        "olympic trials",
        "injury crisis",
        "stadium plan",
    ),
    "culture": (
        "film festival",
        "museum reopening",
        "book prize",
        "concert tour",
        "theatre premiere",
        "art heist",
        "streaming deal",
        "music awards",
        "gallery row",
        "opera season",
        "festival lineup",
        "novel adaptation",
    ),
    "science": (
        "mars mission",
        "vaccine trial",
        "climate study",
        "fossil discovery",
        "telescope images",
        "gene therapy",
        "ocean survey",
        "asteroid flyby",
        "brain research",
        "battery breakthrough",
        "bird migration",
        "ice sheet data",
    ),
    "technology": (
        "ai regulation",
        "data breach",
        "chip shortage",
        "phone launch",
        "app outage",
        "robotaxi pilot",
        "broadband rollout",
        "privacy fine",
        "quantum computer",
        "social media ban",
        "satellite internet",
        "ransomware attack",
    ),
    "lifestyle": (
        "food prices",
        "travel chaos",
        "housing market",
        "fitness trend",
        "wedding season",
        "garden show",
        "restaurant openings",
        "sleep study",
        "holiday deals",
        "pet boom",
        "fashion week",
        "coffee shortage",
    ),
}

PLACES: tuple[str, ...] = (
    "Riverside",
    "Northgate",
    "Harbour City",
    "Eastbrook",
    "Millford",
    "Westvale",
    "Kingsport",
    "Lakeview",
    "Ashford",
    "Brampton",
    "Southwark",
    "Greenhill",
    "Oakridge",
    "Fairhaven",
    "Stonebridge",
    "Elmstead",
)

#: Headline patterns; an article in a story uses one of them with the story's place and subject.
HEADLINES: tuple[str, ...] = (
    "{Place} {subject}: what we know so far",
    "Live: {subject} in {place} latest",
    "{Subject} in {place} enters second day",
    "Why the {place} {subject} matters",
    "Analysis: what the {subject} means for {place}",
    "{Place} reacts to {subject}",
    "{Subject}: {place} officials speak out",
    "Explainer: the {place} {subject} in five charts",
    "{Subject} in {place}: the full timeline",
    "Opinion: {place} got the {subject} wrong",
    "{Place} {subject} sparks fresh questions",
    "Inside the {place} {subject}",
)

FIRST_NAMES: tuple[str, ...] = (
    "Alex",
    "Sam",
    "Jordan",
    "Priya",
    "Tom",
    "Grace",
    "Omar",
    "Lena",
    "Marco",
    "Aisha",
    "Daniel",
    "Chloe",
    "Ravi",
    "Emma",
    "Kofi",
    "Hannah",
    "Luis",
    "Mei",
    "Noah",
    "Isla",
    "Jonas",
    "Fatima",
    "Ben",
    "Zoe",
)
LAST_NAMES: tuple[str, ...] = (
    "Morgan",
    "Patel",
    "Okafor",
    "Schmidt",
    "Rossi",
    "Nguyen",
    "Walsh",
    "Haddad",
    "Kowalski",
    "Lopez",
    "Fraser",
    "Ito",
    "Mensah",
    "Berg",
    "Dubois",
    "Quinn",
    "Khan",
    "Silva",
    "Murphy",
    "Novak",
)
