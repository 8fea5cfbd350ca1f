"""English extraction: claims (figures) and events (things done to named people).

spaCy is used without a downloaded model: `spacy.blank("en")` gives the
tokenizer and a rule-based sentencizer, and a PhraseMatcher finds the names of
the gazetteer (people already in the register). Everything else is patterns
over each sentence's text, so every offset is an offset into the input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from chronicle.extraction.dates import TimePhrase, find_time_phrases
from chronicle.extraction.numbers import Number, find_numbers
from chronicle.figures import STOCK_METRICS

# --------------------------------------------------------------------------- spaCy


@lru_cache(maxsize=1)
def _nlp():
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


@lru_cache(maxsize=8)
def _gazetteer_matcher(names: tuple[str, ...]):
    from spacy.matcher import PhraseMatcher

    nlp = _nlp()
    matcher = PhraseMatcher(nlp.vocab)
    if names:
        matcher.add("PERSON", list(nlp.tokenizer.pipe(names)))
    return matcher


def sentences(text: str) -> tuple[object, list[tuple[int, int]]]:
    doc = _nlp()(text)
    spans = []
    for sent in doc.sents:
        start, end = sent.start_char, sent.end_char
        # also split on blank lines (headlines, paragraphs)
        piece_start = start
        for m in re.finditer(r"\n\s*\n", text[start:end]):
            spans.append((piece_start, start + m.start()))
            piece_start = start + m.end()
        spans.append((piece_start, end))
    spans = [(s, e) for s, e in spans if text[s:e].strip()]
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and re.search(r"\b(?:No|Nos|Mr|Mrs|Ms|Dr|St|Art|art|no)\.\s*$", text[merged[-1][0]:merged[-1][1]]) \
                and "\n\n" not in text[merged[-1][1]:s]:
            merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return doc, merged


# --------------------------------------------------------------------------- lexicon

NAME_WORD = r"[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)*"
FULL_NAME_RE = re.compile(rf"(?<![\w'-])({NAME_WORD}(?:\s{NAME_WORD}){{1,2}})(?![\w-])")

NOT_NAME_WORDS = set(
    """The A An In On At Of For From To By With And But Or As It Its This That These Those He She They His Her
    Their We Our Mr Mrs Ms Dr Belarus Belarusian Belarusians Lithuania Lithuanian Poland Polish Latvia Ukraine Russia
    Russian Minsk Homiel Gomel Hrodna Grodno Brest Viciebsk Vitebsk Mahiliou Mogilev Vilnius Warsaw Horki Navapolatsk
    Zhodzina Babrujsk Shklou Ivatsevichy Orsha Mazyr Pinsk Baranavichy Lida Maladziechna Salihorsk Barysau Slutsk
    January February March April May June July August September October November December Monday Tuesday Wednesday
    Thursday Friday Saturday Sunday Viasna Human Rights Centre Center Association Journalists Union Court Supreme
    Regional District Committee KGB State Security Ministry Interior Internal Affairs President European Parliament
    United Nations States Department Office Service Council Commission Prosecutor General Investigative Colony Prison
    Penal Correctional No Article Code Criminal Radio Free Europe Liberty Reuters Associated Press Nasha Niva Zerkalo
    Telegram Facebook Instagram Twitter Western Washington Brussels Kremlin National Assembly Republic Party Christian
    Democratic Movement Front Initiative Coordination Cabinet Transitional Team Tsikhanouskaya's Lukashenka
    Lukashenko Alexander Aliaksandr Police Militia Special Envoy White House Moscow Kyiv Riga Berlin Germany France
    US EU UN OSCE BAJ Dissidentby Politzek Belsat Euroradio Investigative Statement Meanwhile However Earlier Later
    According Since During After Before Also Another Some Many Several Most All Both Each Judge Prosecutor""".split()
)

# people who act rather than suffer: their mentions never become events on their own
ROLE_NOUNS = [
    "opposition figure", "opposition politician", "opposition leader", "opposition activist",
    "former presidential candidate", "presidential hopeful", "presidential candidate",
    "rights advocate", "human rights advocate", "human rights defender", "rights defender",
    "trade union leader", "trade unionist", "union leader", "political prisoner", "political analyst",
    "singer", "journalist", "activist", "blogger", "lawyer", "student", "artist", "musician", "poet",
    "writer", "teacher", "doctor", "pensioner", "photographer", "photojournalist", "editor",
    "editor-in-chief", "priest", "businessman", "entrepreneur", "philosopher", "cameraman", "camerawoman",
    "correspondent", "anarchist", "volunteer", "programmer", "scientist", "economist", "historian",
    "researcher", "nurse", "worker", "engineer", "politician", "rapper", "guitarist", "drummer",
    "translator", "publisher", "academic", "lecturer", "professor", "filmmaker", "director",
    "spokesperson", "spokeswoman", "spokesman", "envoy", "judge", "prosecutor", "minister", "official",
    "ambassador", "leader", "founder", "chairman", "chairwoman", "head", "coordinator", "co-founder",
]
ROLE_RE = "|".join(sorted((re.escape(r) for r in ROLE_NOUNS), key=len, reverse=True))

CATEGORIES = {
    "journalists": "journalist", "journalist": "journalist", "media workers": "journalist",
    "lawyers": "lawyer", "lawyer": "lawyer", "students": "student", "student": "student",
    "women": "woman", "woman": "woman", "minors": "minor", "teenagers": "minor",
    "musicians": "musician", "foreigners": "foreigner", "foreign nationals": "foreigner",
    "foreign citizens": "foreigner", "teachers": "teacher", "doctors": "doctor",
    "pensioners": "pensioner", "trade unionists": "trade_unionist", "artists": "artist",
    "bloggers": "blogger", "activists": "activist", "priests": "priest", "anarchists": "anarchist",
}
CATEGORY_RE = "|".join(sorted((re.escape(c) for c in CATEGORIES), key=len, reverse=True))

PEOPLE_NOUNS = (
    r"people|persons?|individuals|prisoners|political\s+prisoners|detainees|citizens|Belarusians|men|"
    r"protesters|members|others|inmates|convicts|defendants|" + CATEGORY_RE
)
METRIC_NOUNS = r"arrests|detentions|convictions|pardons|releases|deaths|deportations|recognitions|verdicts"
COUNT_START = re.compile(
    r"^\s*(?:(?:more|other|new|additional|further|former|political|politically|motivated|Belarusian|foreign|"
    r"young|elderly|jailed|imprisoned|convicted|detained|of\s+the|in\s+all|in\s+total)\s+){0,3}"
    rf"(?:{PEOPLE_NOUNS}|{METRIC_NOUNS}|of\s+them|among\s+them|of\s+whom|were|have\s+been|had\s+been|has\s+been|"
    r"was|are|remain|remained|died)\b",
    re.IGNORECASE,
)

QUALIFIER_RE = re.compile(
    r"(?P<q>at\s+least|no\s+fewer\s+than|not\s+less\s+than|no\s+less\s+than|a\s+minimum\s+of|more\s+than|"
    r"over|exceeds|exceeded|surpassed|tops|topped|upwards\s+of|in\s+excess\s+of|about|some|nearly|almost|around|approximately|roughly|"
    r"an\s+estimated|up\s+to|no\s+more\s+than|as\s+many\s+as|at\s+most)\s+$",
    re.IGNORECASE,
)
QUALIFIERS = {
    "at least": "at_least", "no fewer than": "at_least", "not less than": "at_least",
    "no less than": "at_least", "a minimum of": "at_least",
    "more than": "more_than", "over": "more_than", "exceeds": "more_than", "exceeded": "more_than",
    "surpassed": "more_than", "tops": "more_than", "topped": "more_than", "upwards of": "more_than", "in excess of": "more_than",
    "about": "about", "some": "about", "nearly": "about", "almost": "about", "around": "about",
    "approximately": "about", "roughly": "about", "an estimated": "about",
    "up to": "at_most", "no more than": "at_most", "as many as": "at_most", "at most": "at_most",
}

# keyword -> metric family, in the right window after a number
_FLOW_KEYWORDS = [
    ("pardons", r"pardoned|pardons"),
    ("deportations", r"deported|expelled|deportations|forcibly\s+removed"),
    ("releases", r"released|freed|releases|set\s+free|walked\s+free"),
    ("died", r"died|deaths|perished"),
    ("arrests", r"arrested|detained|arrests|detentions|taken\s+into\s+custody|rounded\s+up"),
    ("convictions", r"convicted|sentenced|convictions|verdicts|found\s+guilty|jailed"),
    ("recognized", r"recogni[sz]ed|declared|recognitions"),
]
_FLOW_KEYWORD_RE = re.compile(
    "|".join(f"(?P<{name}>\\b(?:{pattern})\\b)" for name, pattern in _FLOW_KEYWORDS), re.IGNORECASE
)
_STOCK_KEYWORD_RE = re.compile(
    r"(?P<political_prisoners>\bpolitical\s+prisoners\b|\bprisoners\s+of\s+conscience\b|\bbehind\s+bars\b|"
    r"\bpolitically\s+motivated\s+prisoners\b)|(?P<in_exile>\bin\s+exile\b)",
    re.IGNORECASE,
)
_LEFT_VERB_RE = re.compile(
    r"\b(?P<verb>pardoned|released|freed|detained|arrested|deported|expelled|convicted|sentenced|"
    r"recogni[sz]ed|recorded|counted|documented|registered)\s+(?:(?:a|an|the|another|some|a\s+total\s+of)\s+)?$",
    re.IGNORECASE,
)
# "released opposition figure X and 13 others": the verb, a role of a few words, then the named group.
_LEFT_VERB_GROUP_RE = re.compile(
    r"\b(?P<verb>pardoned|released|freed|detained|arrested|deported|expelled|convicted|sentenced)\s+(?:[a-z-]+\s+){0,3}$",
    re.IGNORECASE,
)
_LEFT_VERB_METRIC = {
    "pardoned": "pardons", "released": "releases", "freed": "releases", "detained": "arrests",
    "arrested": "arrests", "deported": "deportations", "expelled": "deportations",
    "convicted": "convictions", "sentenced": "convictions", "recognised": "recognized", "recognized": "recognized",
}
_LEFT_NOUN_RE = re.compile(
    r"\bnumber\s+of\s+(?P<what>people\s+recogni[sz]ed\s+as\s+political\s+prisoners|political\s+prisoners|people\s+behind\s+bars|prisoners|arrests|detentions|"
    r"convictions|pardons|releases|deaths|deportations|people\s+in\s+exile)\b[^.;]*$",
    re.IGNORECASE,
)
_NOT_A_COUNT_AFTER = re.compile(
    r"^(?:\s*(?:-|\s)?(?:years?|months?|weeks?|days?|hours?|minutes?|%|percent|per\s+cent|-year|-month|year-old|"
    r"rubles|roubles|euros|dollars|\$|kilometres|km|times|o'clock|a\.m\.|p\.m\.)\b)",
    re.IGNORECASE,
)
_NOT_A_COUNT_BEFORE = re.compile(r"(?:No\.?|Article|aged|age|number|Nos?\.|article|part|Part|§|\$)\s*$")

ATTRIBUTION_VERBS = (
    r"said|says|reported|reports|told|wrote|announced|stated|noted|counted|recorded|documented|estimated|"
    r"estimates|added|confirmed|tallied|registered|published|cited"
)
ORG_WORD = r"(?:[A-Z][\w.'-]*|of|for|the|and)"
ORG_NAME = rf"[A-Z][\w.'-]*(?:\s{ORG_WORD}){{0,6}}"
_ATTR_AFTER_VERB = re.compile(
    rf"\b(?:{ATTRIBUTION_VERBS})\s+(?:by\s+)?(?:the\s+)?(?:[a-z-]+\s+){{0,4}}?(?P<name>{ORG_NAME})"
)
_ACCORDING = re.compile(rf"\b(?:[Aa]ccording\s+to|data\s+from|figures\s+from|cited\s+by)\s+(?:the\s+)?(?:[a-z-]+\s+){{0,4}}?(?P<name>{ORG_NAME})")
_ATTR_BEFORE_VERB = re.compile(
    rf"(?P<name>{ORG_NAME})(?:,[^,]{{0,80}},)?\s+(?:has\s+|have\s+|had\s+|also\s+)?(?:{ATTRIBUTION_VERBS})\b"
)
_GENERIC_ATTR = re.compile(
    rf"\b(?:the|rights)\s+(?:rights\s+)?(?:group|centre|center|organisation|organization|monitor)\s+"
    rf"(?:{ATTRIBUTION_VERBS})\b|\b(?:{ATTRIBUTION_VERBS})\s+the\s+(?:rights\s+)?(?:group|centre|center|"
    rf"organisation|organization|monitor)\b|^\s*It\s+(?:also\s+)?(?:{ATTRIBUTION_VERBS})\b"
)
ORG_HINT = re.compile(
    r"Viasna|Association|Centre|Center|Committee|Union|Initiative|Dissidentby|Politzek|BAJ|Office|Ministry|"
    r"Amnesty|Watch|Nations|OSCE|Rights|Foundation|Network|Team|Cabinet|Service|Council"
)

# --------------------------------------------------------------------------- event triggers

_TRIGGERS = [
    ("house_arrest", r"(?:placed|put)\s+under\s+house\s+arrest|house\s+arrest"),
    ("recognized", r"recogni[sz]ed\s+(?:him\s+|her\s+|them\s+)?as\s+(?:a\s+)?political\s+prisoners?|"
                   r"declared\s+(?:a\s+)?political\s+prisoners?"),
    ("convicted", r"sentenced|convicted|found\s+guilty|jailed\s+for|handed\s+(?:a|an)\s+[\w-]+\s+(?:sentence|term)"),
    ("charged", r"charged\s+with"),
    ("transferred", r"transferred|moved\s+to|transported\s+to"),
    ("pardoned", r"pardoned"),
    ("deported", r"deported|expelled|deportation|forcibly\s+removed"),
    ("died", r"died|death|passed\s+away"),
    ("released", r"released|freed|set\s+free|walked\s+free|release"),
    ("detained", r"(?<!house\s)(?:detained|arrested|detention|arrest|taken\s+into\s+custody|re-arrested)"),
]
_TRIGGER_RE = re.compile(
    "|".join(f"(?P<{name}>\\b(?:{pattern})\\b)" for name, pattern in _TRIGGERS), re.IGNORECASE
)
_NOT_HAPPENED = re.compile(
    r"\b(?:call(?:ed|s|ing)?\s+for|demand(?:ed|s|ing)?|urg(?:ed|es|ing)|push(?:ed|ing)?\s+for|seek(?:s|ing)?|"
    r"sought|campaign(?:ed|s|ing)?\s+for|appeal(?:ed|s)?\s+for|will|would|could|may|might|expected\s+to|"
    r"not|never|hope[sd]?|pending|risk(?:s|ing)?|face[sd]?|facing|threat(?:ened)?|fear(?:ed|s)?|avoid(?:ed)?|"
    r"escape[sd]?|advocat(?:ed|ing)\s+for|fight(?:ing)?\s+for|petition(?:ed)?\s+for|to\s+be)\b[^.,;]{0,25}$",
    re.IGNORECASE,
)
_CUSTODY_WORDS = re.compile(r"custody|prison|colony|jail|behind\s+bars|detention|pre-trial|SIZO|cell", re.IGNORECASE)
_DESTINATION_RE = re.compile(
    r"^[^.;]{0,120}?\b(?:to|into|in)\s+(?:neighbouring\s+|neighboring\s+)?(?P<dest>Lithuania|Poland|Latvia|Ukraine|"
    r"Vilnius|Warsaw|Riga|Kyiv|Germany|Russia|the\s+United\s+States|the\s+US)\b"
)
_PLACE_RE = re.compile(
    r"^\s*(?:him\s+|her\s+)?to\s+(?P<place>(?:the\s+)?(?:[\w.-]+\s+){0,4}?(?:colony|prison|jail|detention\s+centre|"
    r"remand\s+centre|SIZO|hospital|Colony|Prison)(?:\s+No\.\s*\d+)?(?:\s+(?:in|near)\s+[A-Z][\w-]+)?)"
)
_ACTING_AFTER = re.compile(
    rf"^\s*(?:,[^,]{{0,60}},\s*)?(?:has\s+|had\s+|also\s+)?(?:{ATTRIBUTION_VERBS}|called|urged|welcomed|thanked|"
    r"condemned|announced|demanded|met|visited)\b"
)
_BEFORE_LINK = re.compile(
    r"^(?:(?:'s|’s)\s+(?:[a-z-]+\s+){0,2}|"
    r"(?:\s*(?:,|and)\s+NAME)*\s*(?:,?\s+and\s+(?:\d+|[a-z-]+)\s+(?:other\s+)?(?:others|people|prisoners|"
    r"political\s+prisoners)\s+)?(?:,[^,;]{0,90},\s*)?\s*,?\s*(?:who\s+)?"
    r"(?:(?:was|were|is|are|has|have|had|been|being|got|later|also|reportedly|then|previously|already|eventually|"
    r"finally|subsequently|formally|officially|just|recently|initially|first|again|both|all|himself|herself)\s+)*)$"
)
_PASSIVE = re.compile(r"\b(?:was|were|is|are|been|being|got)\b|'s|’s")
_AFTER_LINK = re.compile(
    r"^\s*(?:of\s+|against\s+)?(?:(?:[\w-]+\s+){0,2}(?:,\s*)?(?:including|among\s+them|among\s+whom|such\s+as|"
    r"as\s+well\s+as)\s+)?(?:(?:NAME\s*,\s*|NAME\s+and\s+)*)(?:the\s+|a\s+|an\s+)?"
    r"(?:(?:[a-z-]+|Belarusian|Polish|Lithuanian|Ukrainian|Russian|American|German)\s+){0,4}$"
)
_INTRANSITIVE = {"died", "house_arrest"}
_AFTER_STOP = re.compile(
    r"\b(?:said|says|told|who|which|that|while|but|after|before|when|because|announced|urged|called|wrote|added|"
    r"in|on|at|by|with|from|for|to|he|she|they|it|his|her|their|its|met|visited|said)\b", re.IGNORECASE)


def _after_link(between: str) -> bool:
    if not re.fullmatch(r"[\w\s,'’-]*", between):
        return False
    cleaned = re.sub(r"^\s*(?:of|against)\b", "", between)
    cleaned = re.sub(r"\b(?:to|in)\s+(?:neighbouring\s+)?(?:Lithuania|Poland|Latvia|Ukraine)\b", "", cleaned)
    return not _AFTER_STOP.search(cleaned)


@dataclass
class Mention:
    start: int
    end: int
    name: str  # as written
    full: str = ""  # the full form
    role: str | None = None
    gazetteer: bool = False


@dataclass
class Context:
    text: str
    published: date
    phrases: list[TimePhrase]
    sentences: list[tuple[int, int]]
    mentions: list[Mention] = field(default_factory=list)
    orgs: list[tuple[int, str]] = field(default_factory=list)


# --------------------------------------------------------------------------- people


def _role_before(text: str, start: int) -> str | None:
    m = re.search(rf"\b({ROLE_RE})\s+$", text[max(0, start - 60):start], re.IGNORECASE)
    return m.group(1).lower() if m else None


def _role_after(text: str, end: int) -> str | None:
    m = re.match(rf"^,\s+(?:a|an|the)\s+(?:[\w-]+\s+){{0,4}}?({ROLE_RE})\b", text[end:end + 90], re.IGNORECASE)
    return m.group(1).lower() if m else None


def find_mentions(text: str, gazetteer: tuple[str, ...], doc) -> list[Mention]:
    candidates: list[Mention] = []
    if gazetteer:
        matcher = _gazetteer_matcher(gazetteer)
        for _, s, e in matcher(doc):
            span = doc[s:e]
            candidates.append(Mention(span.start_char, span.end_char, span.text, gazetteer=True))
    for m in FULL_NAME_RE.finditer(text):
        words = m.group(1).split()
        # drop leading non-name words ("On Monday Aleh" never happens, but "Singer Aleh Hamenka" does)
        while words and (words[0] in NOT_NAME_WORDS or words[0].lower() in _ROLE_WORDS):
            words = words[1:]
        while words and words[-1] in NOT_NAME_WORDS:
            words = words[:-1]
        if len(words) < 2 or any(w in NOT_NAME_WORDS for w in words):
            continue
        name = " ".join(words)
        start = m.start() + m.group(1).index(name)
        candidates.append(Mention(start, start + len(name), name))
    # longest first, no overlaps
    candidates.sort(key=lambda c: (c.start, -(c.end - c.start)))
    mentions: list[Mention] = []
    for c in candidates:
        if mentions and c.start < mentions[-1].end:
            continue
        mentions.append(c)
    # an organisation-looking sequence is not a person
    mentions = [m for m in mentions if not ORG_HINT.search(m.name)]
    surnames = {}
    for m in mentions:
        m.full = m.name
        m.role = _role_before(text, m.start) or _role_after(text, m.end)
        surnames.setdefault(m.name.split()[-1], m)
    # surname-only mentions of people named in full elsewhere
    taken = [(m.start, m.end) for m in mentions]
    for surname, first in surnames.items():
        for m in re.finditer(rf"(?<![\w-]){re.escape(surname)}(?:'s|’s)?(?![\w-])", text):
            s, e = m.start(), m.start() + len(surname)
            if any(a <= s < b for a, b in taken):
                continue
            mentions.append(Mention(s, e, surname, first.full, first.role))
    # the full name and role from the longest mention of the same person
    for m in mentions:
        for other in mentions:
            if other is not m and other.full.split()[-1] == m.full.split()[-1] and len(other.full) > len(m.full):
                m.full = other.full
        if m.role is None:
            m.role = surnames.get(m.full.split()[-1], m).role
    mentions.sort(key=lambda m: m.start)
    return mentions


_ROLE_WORDS = {w for r in ROLE_NOUNS for w in r.split()}


# --------------------------------------------------------------------------- time


def _nearest_phrase(ctx: Context, start: int, end: int, s_start: int, s_end: int, *, skip_since: bool = False):
    best = None
    for p in ctx.phrases:
        if p.start < s_start or p.end > s_end:
            continue
        if skip_since and p.since:
            continue
        distance = p.start - end if p.start >= end else start - p.end
        distance = max(distance, 0)
        if p.start >= end:
            distance *= 0.5  # "detained on Monday": a phrase after the trigger binds first
        if best is None or distance < best[0]:
            best = (distance, p)
    return best[1] if best else None


def _previous_phrase(ctx: Context, position: int):
    before = [p for p in ctx.phrases if p.end <= position and p.ref.precision != "day"]
    return before[-1] if before else None


# --------------------------------------------------------------------------- claims


def _claim_when(ctx: Context, metric: str, phrase, sentence_start: int) -> tuple[dict | None, str | None]:
    """(period, as_of) of a claim: a stock figure holds on a date, a flow figure over a period.

    A stock figure holds on the publication date unless its time phrase ends
    earlier; a flow figure without a phrase of its own takes the nearest one
    before its sentence, else the publication day.
    """
    if metric in STOCK_METRICS:
        as_of = ctx.published
        if phrase is not None and not phrase.since:
            as_of = min(phrase.ref.end, ctx.published)
        return None, as_of.isoformat()
    if phrase is None:
        phrase = _previous_phrase(ctx, sentence_start)
    if phrase is None:
        return {"from": ctx.published.isoformat(), "to": ctx.published.isoformat()}, None
    return phrase.ref.as_period(), None


def _clip_clause(window: str) -> str:
    """The right window of a number up to the end of its clause."""
    cut = re.search(r";|—| – |\bwho\b|\bwhich\b|\bwhom\b|\bwhile\b|\bwhereas\b|\baccording\b|\bsaid\b|\bsays\b|"
                    r"\bsince\b(?!\s+(?:19|20)\d\d)|\bbut\b|\bafter\b", window)
    if cut:
        window = window[:cut.start()]
    parts = window.split(",")
    kept = parts[0]
    i = 1
    while i < len(parts):
        part = parts[i]
        if re.match(r"\s*(?:including|among\s+them|among\s+whom|such\s+as|as\s+well\s+as)\b", part):
            kept += "," + " " * len(part)  # skip the list, keep offsets
            i += 1
            continue
        if re.match(r"\s*(?:were|was|have|had|has|are|remain|remained|died)\b", part):
            kept += "," + part
            i += 1
            continue
        break
    return kept


def _attribution(ctx: Context, s_start: int, s_end: int) -> str | None:
    sentence = ctx.text[s_start:s_end]
    for regex in (_ACCORDING, _ATTR_AFTER_VERB, _ATTR_BEFORE_VERB):
        for m in regex.finditer(sentence):
            name = re.sub(r"(?:\s+(?:of|for|the|and))+$", "", m.group("name")).strip()
            name = re.sub(r"^The\s+", "", name).rstrip(".")
            if name.endswith("'s") or name.endswith("’s"):
                name = name[:-2]
            if not name:
                continue
            if name.split()[0] in ("It", "He", "She", "They", "The", "In", "On", "At", "As") and len(name.split()) == 1:
                continue
            if name in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"):
                continue
            return name
    if _GENERIC_ATTR.search(sentence):
        before = [name for pos, name in ctx.orgs if pos < s_end]
        if before:
            return before[-1]
    return None


def _subset(text: str, window_start: int, window_end: int, s_start: int, s_end: int) -> dict:
    sentence = text[s_start:s_end]
    window = text[window_start:window_end]
    category = None
    m = re.search(rf"\b({CATEGORY_RE})\b", window, re.IGNORECASE)
    if m:
        category = CATEGORIES[m.group(1).lower()]
    case = None
    m = re.search(rf"\b(?:in|under)\s+the\s+case\s+(?:against|of)\s+(?:the\s+)?(?P<c>{NAME_WORD}(?:\s+{NAME_WORD}){{0,3}}|[a-z][\w\s-]{{2,40}}?)(?=[,.;]|\s+(?:in|on|last|this|since|earlier|yesterday|today|were|was|have|had)\b)", sentence)
    if not m:
        m = re.search(rf"\bin\s+the\s+(?P<c>(?:\"|“)?{NAME_WORD}(?:\s+{NAME_WORD}){{0,2}}(?:\"|”)?)\s+case\b", sentence)
    if m:
        case = m.group("c").strip("\"“” ")
    region = None
    m = re.search(rf"\b(?:in|from)\s+(?:the\s+)?(?P<r>{NAME_WORD})\s+(?:region|oblast)\b", sentence)
    if m:
        region = m.group("r")
    organisation = None
    m = re.search(rf"\bmembers\s+of\s+(?:the\s+)?(?P<o>{ORG_NAME})", sentence)
    if m:
        organisation = re.sub(r"(?:\s+(?:of|for|the|and))+$", "", m.group("o"))
    return {"category": category, "case": case, "organisation": organisation, "region": region}


def extract_claims(ctx: Context) -> list[dict]:
    text = ctx.text
    claims: list[dict] = []
    for s_start, s_end in ctx.sentences:
        sentence_claims: list[dict] = []
        numbers = [n for n in find_numbers(text[s_start:s_end])]
        numbers = [Number(n.start + s_start, n.end + s_start, n.value, n.text, n.digits) for n in numbers]
        for index, number in enumerate(numbers):
            if any(p.start <= number.start < p.end for p in ctx.phrases):
                continue
            if number.digits and 1900 <= number.value <= 2100 and "," not in number.text and " " not in number.text:
                continue
            after = text[number.end:s_end]
            before = text[s_start:number.start]
            if _NOT_A_COUNT_AFTER.match(after) or _NOT_A_COUNT_BEFORE.search(before):
                continue
            if not COUNT_START.match(after) and not (
                re.match(r"\s*[.,;]", after) and _LEFT_NOUN_RE.search(before)):
                continue
            if number.value == 1 and not re.match(r"\s*(?:person|political\s+prisoner|man|woman|journalist|of\s+them)\b", after):
                continue
            next_start = numbers[index + 1].start if index + 1 < len(numbers) else s_end
            window_end = number.end + len(_clip_clause(text[number.end:next_start]))
            window = text[number.end:window_end]
            q = QUALIFIER_RE.search(before[-40:])
            qualifier = QUALIFIERS[re.sub(r"\s+", " ", q.group("q").lower())] if q else "exact"
            claim_start = number.start - (len(q.group(0)) if q else 0)
            left = text[s_start:claim_start]
            value = number.value
            # "Tsikhanouski and 13 others": the named people count too
            others = re.match(r"\s*(?:other\s+)?(?:others|people|prisoners|political\s+prisoners)\b", after)
            named = re.search(r"((?:NAME\s*,\s*)*NAME)\s+and\s+$", _mask_names(ctx, s_start, claim_start))
            group_object = bool(others and named and qualifier == "exact")
            if group_object:
                value += named.group(1).count("NAME")
                claim_start = s_start + named.start(1)
                left = text[s_start:claim_start]
            # the metric
            family = None
            keyword_end = None
            inherited = re.match(r"\s*(?:of\s+them|among\s+them|of\s+whom)\b", window)
            lv = _LEFT_VERB_RE.search(left) or (_LEFT_VERB_GROUP_RE.search(left) if group_object else None)
            flow = _FLOW_KEYWORD_RE.search(window)
            stock = _STOCK_KEYWORD_RE.search(window)
            listed = sentence_claims and re.search(r"(?:including|among\s+them|of\s+whom|and)\s+$", left) and \
                re.match(rf"\s*(?:[a-z-]+\s+)?(?:{CATEGORY_RE})\b", after, re.IGNORECASE) and \
                not re.search(r"[.;]", text[sentence_claims[-1]["span"][1]:claim_start])
            if listed:
                inherited = True
            if inherited and sentence_claims:
                family = sentence_claims[-1]["_family"]
                keyword_end = number.end + (inherited.end() if hasattr(inherited, "end") else len(re.match(r"\s*\S+(?:\s+\S+)?", after).group(0).rstrip(",.;")))
            elif lv and lv.group("verb").lower() in _LEFT_VERB_METRIC:
                family = _LEFT_VERB_METRIC[lv.group("verb").lower()]
                claim_start = s_start + lv.start()
            elif flow and not (flow.lastgroup == "died" and stock and stock.start() < flow.start() and False):
                family = flow.lastgroup
                keyword_end = number.end + flow.end()
            elif stock:
                family = stock.lastgroup
                keyword_end = number.end + stock.end()
            else:
                ln = _LEFT_NOUN_RE.search(left)
                if ln:
                    what = ln.group("what").lower()
                    family = {"arrests": "arrests", "detentions": "arrests", "convictions": "convictions",
                              "pardons": "pardons", "releases": "releases", "deaths": "died",
                              "deportations": "deportations", "people in exile": "in_exile"}.get(what, "political_prisoners")
                    if "recogn" in what:
                        family = "recognized"
                    claim_start = s_start + ln.start()
            if family is None:
                continue
            claim_end = keyword_end or number.end
            phrase = _nearest_phrase(ctx, claim_start, claim_end, s_start, s_end)
            metric = family
            if family == "died":
                if not _CUSTODY_WORDS.search(text[max(0, s_start - 300):s_end]):
                    continue
                metric = "deaths_in_custody" if phrase else "died_in_custody"
            elif family == "recognized":
                metric = "new_recognitions"
                if phrase is None or re.search(r"\btotal\b", left):
                    metric = "recognized_total"
            period, as_of = _claim_when(ctx, metric, phrase, s_start)
            subset = _subset(text, claim_start, window_end, s_start, s_end)
            claim = {
                "metric": metric,
                "value": value,
                "qualifier": qualifier,
                "period": period,
                "as_of": as_of,
                "subset": subset,
                "attributed_to": _attribution(ctx, s_start, s_end),
                "span": [claim_start, claim_end],
                "text": text[claim_start:claim_end],
                "_family": family,
            }
            if inherited and sentence_claims:
                parent = sentence_claims[-1]
                claim["period"], claim["as_of"] = parent["period"], parent["as_of"]
                claim["metric"] = parent["metric"]
            sentence_claims.append(claim)
        claims.extend(sentence_claims)
    for claim in claims:
        claim.pop("_family", None)
    return claims


def _mask_names(ctx: Context, start: int, end: int) -> str:
    """The text between start and end with every person mention replaced by NAME."""
    out = []
    position = start
    for m in ctx.mentions:
        if m.start >= start and m.end <= end:
            out.append(ctx.text[position:m.start])
            out.append("NAME")
            position = m.end
    out.append(ctx.text[position:end])
    return "".join(out)


# --------------------------------------------------------------------------- events


def extract_events(ctx: Context) -> list[dict]:
    text = ctx.text
    events: list[dict] = []
    seen: set[tuple] = set()
    for s_start, s_end in ctx.sentences:
        sentence = text[s_start:s_end]
        people = [m for m in ctx.mentions if s_start <= m.start and m.end <= s_end]
        pronoun = re.match(r"\s*(?:She|He)\b", sentence)
        if pronoun and not people:
            before = [m for m in ctx.mentions if m.end <= s_start]
            if before:
                last = before[-1]
                people = [Mention(s_start + pronoun.start() + len(pronoun.group(0)) - len(pronoun.group(0).strip()),
                                  s_start + pronoun.end(), pronoun.group(0).strip(), last.full, last.role)]
        if not people:
            continue
        triggers = list(_TRIGGER_RE.finditer(sentence))
        for trig in triggers:
            kind = trig.lastgroup
            t_start, t_end = s_start + trig.start(), s_start + trig.end()
            if _NOT_HAPPENED.search(text[max(s_start, t_start - 60):t_start]):
                continue
            if kind == "died" and not _CUSTODY_WORDS.search(sentence):
                continue
            if kind == "convicted" and re.match(r"\s+(?:people|persons|political|of\s+them)", text[t_end:s_end]):
                continue
            linked = []
            for m in people:
                if m.end <= t_start:
                    between = _mask_names(ctx, m.end, t_start)
                    participle = re.fullmatch(r"\s*,\s*", between) and kind not in ("died",) and re.match(
                        r"(?:detained|arrested|sentenced|convicted|released|freed|pardoned|deported|expelled|transferred|"
                        r"recogni[sz]ed|jailed)", trig.group(0), re.IGNORECASE)
                    if participle:
                        linked.append(m)
                        continue
                    if re.fullmatch(r"\s*(?:,[^,;]{0,90},\s*)?(?:was|were|has\s+been|have\s+been|had\s+been)\s+"
                                    r"[a-z]+ed(?:\s+[a-z]+)?\s+and\s+", between):
                        linked.append(m)
                        continue
                    if not _BEFORE_LINK.match(between):
                        continue
                    if kind not in _INTRANSITIVE and kind != "released" and not _PASSIVE.search(between + " "):
                        # "Hamenka died" is fine; "X released" (active) means X acts
                        if not (kind == "detained" and re.match(r"(?:'s|’s)", between)):
                            continue
                    if kind == "released" and not _PASSIVE.search(between + " ") and not re.match(r"(?:'s|’s)", between):
                        # "X walked free", "X was released"; not "X released a statement"
                        if not re.match(r"walked|set", trig.group(0), re.IGNORECASE):
                            continue
                    linked.append(m)
                elif m.start >= t_end:
                    between = _mask_names(ctx, t_end, m.start)
                    if len(between) > 90 or not _after_link(between):
                        continue
                    if kind in ("detained", "released", "died", "deported") and trig.group(0).lower() in (
                        "detention", "arrest", "release", "death", "deportation"
                    ) and not re.match(r"\s*of\b", between):
                        continue
                    if _ACTING_AFTER.match(text[m.end:s_end]) and not re.match(r"\s*(?:of|,\s*including)", between):
                        continue
                    linked.append(m)
            # a name already linked as the object of an earlier trigger in a long list is enough
            for m in linked:
                if _is_official(text, m):
                    continue
                phrase = _nearest_phrase(ctx, t_start, t_end, s_start, s_end, skip_since=True)
                if phrase is not None:
                    event_date, precision = phrase.ref.event_date()
                else:
                    previous = [p for p in ctx.phrases if p.end <= s_start and not p.since and s_start - p.end < 700 and p.ref.precision == "day"]
                    if previous:
                        event_date, precision = previous[-1].ref.event_date()
                    else:
                        event_date, precision = ctx.published.isoformat(), "day"
                place = None
                destination = None
                after = text[t_end:s_end]
                if kind == "transferred":
                    pm = _PLACE_RE.match(after)
                    if pm:
                        place = re.sub(r"^the\s+", "", pm.group("place"))
                if kind in ("deported", "released", "pardoned"):
                    dm = _DESTINATION_RE.match(after)
                    if dm and (kind == "deported" or re.search(r"brought|taken|driven|sent|crossed|flown|transported|handed|moved", dm.group(0))):
                        destination = re.sub(r"^the\s+", "", dm.group("dest"))
                    if kind == "pardoned" and destination:
                        destination = None
                key = (kind, m.full, event_date)
                if key in seen or (phrase is None and any(k[:2] == (kind, m.full) for k in seen)):
                    continue
                seen.add(key)
                span = [min(m.start, t_start), max(m.end, t_end)]
                events.append({
                    "type": kind,
                    "person": m.full,
                    "date": event_date,
                    "date_precision": precision,
                    "place": place,
                    "destination": destination,
                    "case": _subset(text, s_start, s_end, s_start, s_end)["case"],
                    "organisation": None,
                    "role": m.role,
                    "span": span,
                    "text": text[span[0]:span[1]],
                })
    return events


_OFFICIAL_ROLES = {"spokesperson", "spokeswoman", "spokesman", "envoy", "judge", "prosecutor", "minister",
                   "official", "ambassador"}


def _is_official(text: str, m: Mention) -> bool:
    return (m.role or "") in _OFFICIAL_ROLES


# --------------------------------------------------------------------------- entry


def extract_english(text: str, published: date, gazetteer: Iterable[str] = ()) -> tuple[list[dict], list[dict]]:
    doc, sents = sentences(text)
    ctx = Context(text=text, published=published, phrases=find_time_phrases(text, published), sentences=sents)
    names = tuple(sorted({n.strip() for n in gazetteer if n and n.strip()}))
    ctx.mentions = find_mentions(text, names, doc)
    ctx.orgs = [(m.start(), re.sub(r"^The\s+", "", m.group(0))) for m in re.finditer(
        r"(?:Human\s+Rights\s+Centre\s+)?Viasna|Belarusian\s+Association\s+of\s+Journalists|BAJ|Dissidentby|"
        r"Politzek\.me|Amnesty\s+International|Human\s+Rights\s+Watch", text)]
    return extract_claims(ctx), extract_events(ctx)
