"""Belarusian extraction (issue 4): numbers, qualifiers, time phrases, claims, and events for register names.

No Belarusian NER is bundled (natasha reads Russian only), so:
- sentences are split by a regular expression (after . ! ? before a capital, and at blank lines);
- events are made ONLY for names from the gazetteer (people already in the register). A name is found
  in any case form by a stem match of each word ("Ігар Лосік" matches "Ігара Лосіка"); the surname alone
  also matches. `person` is the gazetteer's form.
- an uninflected (nominative) name right before an active verb acts ("... памілаваў"), it is not an event.
Claims follow the Russian reader's rules in a smaller form: a number (digits or words) followed by a
counted noun, a qualifier before it, a metric keyword after it (or a verb before it), the sentence's time
phrase for the period (flows) or the as_of date (stocks), the category subset and the attribution.
"дзясяткі", "сотні", "тысячы" alone are not values; "1.174"/"1,5" are not counts.
Dates reuse `dates._resolve` with Belarusian month and weekday tables.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from chronicle.extraction.dates import TimePhrase, TimeRef, _resolve
from chronicle.extraction.english import Context, _claim_when, _nearest_phrase, _previous_phrase
from chronicle.extraction.numbers import Number

# --------------------------------------------------------------------------- numbers

_UNITS = {
    "нуль": 0, "адзін": 1, "адна": 1, "адно": 1, "аднаго": 1, "адной": 1, "два": 2, "дзве": 2, "двух": 2,
    "тры": 3, "трох": 3, "чатыры": 4, "чатырох": 4, "пяць": 5, "пяці": 5, "шэсць": 6, "шасці": 6, "сем": 7,
    "сямі": 7, "восем": 8, "васьмі": 8, "дзевяць": 9, "дзевяці": 9, "дзесяць": 10, "дзесяці": 10,
}
for _value, _stem in enumerate(["адзінаццаць", "дванаццаць", "трынаццаць", "чатырнаццаць", "пятнаццаць",
                                "шаснаццаць", "сямнаццаць", "васемнаццаць", "дзевятнаццаць"], start=11):
    _UNITS[_stem] = _value
    _UNITS[_stem[:-1] + "і"] = _value  # "адзінаццаці"
_TENS = {"дваццаць": 20, "дваццаці": 20, "трыццаць": 30, "трыццаці": 30, "сорак": 40, "сарака": 40,
         "пяцьдзясят": 50, "пяцідзесяці": 50, "шэсцьдзясят": 60, "шасцідзесяці": 60, "семдзесят": 70,
         "сямідзесяці": 70, "восемдзесят": 80, "васьмідзесяці": 80, "дзевяноста": 90}
_HUNDREDS = {"сто": 100, "ста": 100, "дзвесце": 200, "двухсот": 200, "трыста": 300, "трохсот": 300,
             "чатырыста": 400, "чатырохсот": 400, "пяцьсот": 500, "пяцісот": 500, "шэсцьсот": 600,
             "шасцісот": 600, "семсот": 700, "сямісот": 700, "восемсот": 800, "васьмісот": 800,
             "дзевяцьсот": 900, "дзевяцісот": 900}
_THOUSAND = {"тысяча", "тысячы", "тысяч", "тысячу"}
_WORD_VALUES = {**_UNITS, **_TENS, **_HUNDREDS}
_NUM_WORD = "|".join(sorted(list(_WORD_VALUES) + list(_THOUSAND), key=len, reverse=True))
_DIGITS = r"\d{1,3}(?:[ \u00a0\u202f\u2009]\d{3})+|\d+"
NUMBER_RE = re.compile(
    rf"(?<![\w.,])(?:(?:{_DIGITS})(?![\w]|[.,]\d)|(?:{_NUM_WORD})(?:\s+(?:{_NUM_WORD}))*(?!\w))", re.IGNORECASE
)


def words_to_int(text: str) -> int | None:
    total, group = 0, 0
    for word in text.lower().split():
        if word in _THOUSAND:
            if not group and word in ("тысячы", "тысяч"):
                return None  # "тысячы" alone is "thousands", not a value
            total += (group or 1) * 1000
            group = 0
        elif word in _WORD_VALUES:
            group += _WORD_VALUES[word]
        else:
            return None
    return total + group


def parse_number(text: str) -> int | None:
    text = text.strip()
    if re.fullmatch(_DIGITS, text):
        return int(re.sub(r"\D", "", text))
    if re.fullmatch(r"[\d.,\s]+", text):
        return None
    return words_to_int(text)


def find_numbers(text: str) -> list[Number]:
    found = []
    for m in NUMBER_RE.finditer(text):
        value = parse_number(m.group(0))
        if value is not None:
            found.append(Number(m.start(), m.end(), value, m.group(0), m.group(0)[0].isdigit()))
    return found


# --------------------------------------------------------------------------- time phrases

_MONTH_STEMS = [("студз", 1), ("лют", 2), ("сакав", 3), ("красав", 4), ("трав", 5), ("траў", 5), ("чэрв", 6),
                ("ліп", 7), ("жні", 8), ("вера", 9), ("кастр", 10), ("ліст", 11), ("снеж", 12)]
_MONTH = (r"(?:студзен[ьяі]|лют(?:ы|ым|ага)|сакавік[уа]?|красавік[уа]?|тра(?:вень|[ўв]н[яі])|чэрвен[ьяі]|"
          r"ліпен[ьяі]|жн(?:івень|і[ўв]н[яі])|верас(?:ень|н[яі])|кастрычнік[уа]?|лістапад(?:зе|а)?|"
          r"снеж(?:ань|н[яі]))")
_WEEKDAYS = {"панядзелак": 0, "аўторак": 1, "аутарак": 1, "сераду": 2, "чацвер": 3, "пятніцу": 4, "суботу": 5,
             "нядзелю": 6}
_YEAR = r"(?:19|20)\d{2}"
_G = r"(?:\s+(?:года|годзе|г\.))?"
_U = r"(?:у|ў|в)"


def _month_number(word: str) -> int:
    word = word.lower()
    for stem, index in sorted(_MONTH_STEMS, key=lambda x: -len(x[0])):
        if word.startswith(stem):
            return index
    raise ValueError(word)


_PATTERNS_BE = [
    ("since_day", rf"(?<!\w)(?:з|са)\s+(?P<d>[0-3]?\d)\s+(?P<m>{_MONTH})(?:\s+(?P<y>{_YEAR}))?{_G}(?!\w)"),
    ("day_month_year", rf"(?<![\w.])(?P<d>[0-3]?\d)\s+(?P<m>{_MONTH})(?:\s+(?P<y>{_YEAR}))?{_G}(?!\w)"),
    ("since_month_year", rf"(?<!\w)(?:з|са)\s+(?P<m>{_MONTH})\s+(?P<y>{_YEAR}){_G}(?!\w)"),
    ("since_month", rf"(?<!\w)(?:з|са)\s+(?P<m>{_MONTH})(?!\w)(?!\s+\d)"),
    ("since_year", rf"(?<!\w)(?:з|са)\s+(?P<y>{_YEAR})(?:\s+года|\s+г\.)(?!\w)"),
    ("month_year", rf"(?<!\w)(?:{_U}|за)\s+(?P<m>{_MONTH})\s+(?P<y>{_YEAR}){_G}(?!\w)"),
    ("in_month", rf"(?<!\w)(?:{_U}|за)\s+(?P<m>{_MONTH})(?!\w)(?!\s+\d)"),
    ("in_year", rf"(?<!\w)(?:{_U}|за)\s+(?P<y>{_YEAR})(?:\s+годзе|\s+год|\s+г\.)(?!\w)"),
    ("weekday", rf"(?<!\w){_U}\s+(?:мінул(?:ы|ую|ае)\s+)?(?P<w>{'|'.join(_WEEKDAYS)})(?!\w)"),
    ("this_month", rf"(?<!\w)(?:{_U}\s+гэтым\s+месяцы|з\s+пачатку\s+(?:гэтага\s+)?месяца)(?!\w)"),
    ("last_month", rf"(?<!\w)(?:{_U}\s+мінулым\s+месяцы|за\s+мінулы\s+месяц)(?!\w)"),
    ("this_year", rf"(?<!\w)(?:сёлета|{_U}\s+гэтым\s+годзе|з\s+пачатку\s+(?:гэтага\s+)?года)(?!\w)"),
    ("last_year", rf"(?<!\w)(?:летась|{_U}\s+мінулым\s+годзе|за\s+мінулы\s+год)(?!\w)"),
    ("last_week", r"(?<!\w)на\s+мінулым\s+тыдні(?!\w)"),
    ("this_week", r"(?<!\w)на\s+гэтым\s+тыдні(?!\w)"),
    ("yesterday", r"(?<!\w)(?:учора|ўчора|вчора)(?!\w)"),
    ("today", r"(?<!\w)сёння(?!\w)"),
]
_COMBINED_BE = re.compile(
    "|".join(f"(?P<{name}>{pattern.replace('(?P<', f'(?P<{name}_')})" for name, pattern in _PATTERNS_BE),
    re.IGNORECASE,
)


def _resolve_be(kind: str, g: dict, published: date) -> TimeRef | None:
    return _resolve(kind, g, published, month_number=_month_number, weekdays=_WEEKDAYS)


def find_time_phrases(text: str, published: date) -> list[TimePhrase]:
    found = []
    for match in _COMBINED_BE.finditer(text):
        kind = next(name for name, _ in _PATTERNS_BE if match.group(name) is not None)
        groups = {k: v for k, v in match.groupdict().items() if v is not None}
        if kind == "weekday":
            groups["weekday_w"] = groups["weekday_w"].lower()
        ref = _resolve_be(kind, groups, published)
        if ref is not None:
            found.append(TimePhrase(match.start(), match.end(), match.group(0), ref, kind.startswith("since")))
    return found


def resolve(phrase: str, published: date) -> TimeRef | None:
    found = find_time_phrases(phrase, published)
    return found[0].ref if found else None


# --------------------------------------------------------------------------- sentences


def sentences(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for m in re.finditer(r"(?<=[.!?…])\s+(?=[«\"„(]?[А-ЯЁІЎA-Z0-9])|\n\s*\n", text):
        if re.search(r"(?<!\w)(?:г|арт|ч|№)\.$", text[start:m.start()]):
            continue  # "2024 г. ..." is not the end of a sentence
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


# --------------------------------------------------------------------------- lexicon

QUALIFIER_RE = re.compile(
    r"(?<!\w)(?P<q>не\s+менш\s+за|не\s+менш\s+як|не\s+меней\s+за|прынамсі|як\s+мінімум|мінімум|не\s+больш\s+за|"
    r"не\s+больш\s+як|больш\s+за|больш\s+як|звыш|больш|каля|прыкладна|амаль|блізу|да)\s+$",
    re.IGNORECASE,
)
QUALIFIERS = {
    "не менш за": "at_least", "не менш як": "at_least", "не меней за": "at_least", "прынамсі": "at_least",
    "як мінімум": "at_least", "мінімум": "at_least", "больш за": "more_than", "больш як": "more_than",
    "звыш": "more_than", "больш": "more_than", "каля": "about", "прыкладна": "about", "амаль": "about",
    "блізу": "about", "да": "at_most", "не больш за": "at_most", "не больш як": "at_most",
}
CATEGORIES = [
    (r"журналіст\w*|медыяработні\w*", "journalist"), (r"юрыст\w*|адвакат\w*", "lawyer"),
    (r"студэнт\w*", "student"), (r"жанчын\w*", "woman"), (r"непаўналетн\w*", "minor"),
    (r"музыкант\w*", "musician"), (r"замежн\w*|іншаземц\w*", "foreigner"), (r"настаўні\w*|педагог\w*", "teacher"),
    (r"урач\w*|медык\w*|лекар\w*", "doctor"), (r"пенсіянер\w*", "pensioner"), (r"актывіст\w*", "activist"),
    (r"анархіст\w*", "anarchist"), (r"блогер\w*", "blogger"),
]
_PP = r"(?:палітвязн\w*|палітычн\w+\s+вязн\w*|палітзняволен\w*)"
_RECOGNIZED = rf"прызнан\w*\s+{_PP}|прызналі\s+{_PP}"
_FLOW = [
    ("recognized", _RECOGNIZED),
    ("pardons", r"памілава\w*|памілаван\w*"),
    ("deportations", r"выдвар\w*|дэпартава\w*|дэпартацы\w*"),
    ("releases", r"вызвал\w*|выйшл[іа]\s+на\s+волю|выйшаў\s+на\s+волю"),
    ("died", r"памёр\w*|памерл\w*|загінул\w*|загінуў|смерц\w*"),
    ("arrests", r"затрыма\w*|арыштава\w*|арышт\w*"),
    ("convictions", r"асуджан\w*|асудзіл\w*|прысуджан\w*|прысудзіл\w*|прысуд\w*"),
]
_FLOW_RE = re.compile("|".join(f"(?P<{n}>(?<!\\w)(?:{p}))" for n, p in _FLOW), re.IGNORECASE)
_STOCK_RE = re.compile(rf"(?P<political_prisoners>(?<!\w){_PP}|(?<!\w)за\s+кратамі)|(?P<in_exile>(?<!\w)у\s+эміграцыі)",
                       re.IGNORECASE)
_COUNT_AFTER = re.compile(
    rf"^\s*(?:(?:\w+\s+){{0,2}}?)(?:чалавек\w*|люд\w*|грамадзян\w*|{_PP}|вязн\w*|зняволен\w*|затрыма\w*|"
    r"арышт\w*|асуджан\w*|памілава\w*|вызвал\w*|выдвар\w*|дэпарт\w*|памерл\w*|прысуд\w*|выпад\w*|"
    r"фігурант\w*|з\s+іх|" + "|".join(p for p, _ in CATEGORIES) + r")(?!\w)",
    re.IGNORECASE,
)
_NOT_COUNT_AFTER = re.compile(r"^\s*(?:год\w*|гад\w*|месяц\w*|дз[ёе]н\w*|дн\w*|тыд\w*|%|працэнт\w*|рубл\w*|еўра|"
                              r"долар\w*|раз\w*|сут\w*|базав\w*)(?!\w)", re.IGNORECASE)
_NOT_COUNT_BEFORE = re.compile(r"(?:№|(?<!\w)(?:арт\.|артыкул\w*|ч\.|част\w*|на))\s*$", re.IGNORECASE)
_LEFT_VERB_RE = re.compile(
    r"(?<!\w)(?P<verb>памілаваў|памілавалі|памілаван\w*|вызвален\w*|вызвалілі|затрыма\w*|арыштава\w*|выдварыл\w*|"
    rf"выдваран\w*|дэпартава\w*|асудзіл\w*|асуджан\w*|прысудзіл\w*|прысуджан\w*|памерл\w*|памёр|"
    rf"прызнан\w*\s+{_PP}|прызналі\s+{_PP}|налічва\w*|знаходзяцца|застаюцца)\s+(?:(?:\w+\s+){{0,4}}?)$",
    re.IGNORECASE,
)
_CUSTODY = re.compile(r"зняволенн|калоні|турм|турэм|СІЗА|ізалятар|кратам|пад\s+вартай|ІЧУ", re.IGNORECASE)

ORGS = [
    (r"(?:праваабарончы\w*\s+цэнтр\w*\s+)?«?(?:Вясн[аыеуо]\w*|Весн[аыеу])»?", "Viasna"),
    (r"(?:Беларуск\w+\s+асацыяцы\w+\s+журналістаў|БАЖ)", "BAJ"),
]
_ORG_RE = re.compile("|".join(f"(?:{p})" for p, _ in ORGS))
_ATTR_VERB = r"паведам\w+|заяві\w+|сказа\w+|адзначы\w+|піша|пішуць|падлічы\w+|распавя\w+|удакладні\w+"
_ATTR_ORG_AFTER = re.compile(rf"(?<!\w)(?:{_ATTR_VERB})\s+(?:у\s+|ў\s+|пра\s+гэта\s+)?(?:\w+\s+){{0,2}}?(?P<org>{_ORG_RE.pattern})")
_ATTR_ORG_BEFORE = re.compile(rf"(?P<org>{_ORG_RE.pattern})\s*,?\s*(?:\w+\s+)?(?:{_ATTR_VERB})")
_ATTR_DATA = re.compile(rf"(?:паводле\s+(?:звестак|даных|дадзеных|падлікаў|інфармацыі)|па\s+дадзеных|па\s+звестках|"
                        rf"як\s+паведамляе)\s+(?:\w+\s+){{0,2}}?(?P<org>{_ORG_RE.pattern})", re.IGNORECASE)


def _org_name(raw: str) -> str:
    for pattern, name in ORGS:
        if re.fullmatch(pattern, raw):
            return name
    return raw


ROLES = [
    (r"спевак\w*|спявак\w*|спявачк\w*|спевачк\w*", "singer"), (r"журналіст\w*", "journalist"),
    (r"актывіст\w*", "activist"), (r"праваабаронц\w*|праваабаронцы\w*", "rights advocate"),
    (r"блогер\w*", "blogger"), (r"адвакат\w*", "lawyer"), (r"студэнт\w*", "student"), (r"паэт\w*", "poet"),
    (r"пісьменні\w*", "writer"), (r"мастак\w*|мастачк\w*", "artist"), (r"музыкант\w*", "musician"),
    (r"апазіцыянер\w*|апазіцыйн\w+\s+палітык\w*", "opposition figure"), (r"палітык\w*", "politician"),
    (r"настаўні\w*", "teacher"), (r"урач\w*|доктар\w*", "doctor"), (r"пенсіянер\w*", "pensioner"),
    (r"фатограф\w*", "photographer"), (r"рэдактар\w*|галоўн\w+\s+рэдактар\w*", "editor"),
    (r"святар\w*|ксёндз\w*|ксяндз\w*", "priest"), (r"прадпрымальні\w*|бізнесмен\w*", "businessman"),
    (r"філосаф\w*", "philosopher"), (r"анархіст\w*", "anarchist"), (r"валанцёр\w*", "volunteer"),
    (r"эканаміст\w*", "economist"), (r"гісторык\w*", "historian"), (r"палітвязн\w*", "political prisoner"),
]
_ROLES_ALT = "|".join(p for p, _ in ROLES)


def _role(raw: str) -> str | None:
    for pattern, name in ROLES:
        if re.fullmatch(pattern, raw, re.IGNORECASE):
            return name
    return None


# --------------------------------------------------------------------------- people (gazetteer only)


class Mention:
    __slots__ = ("end", "full", "nominative", "role", "start", "text")

    def __init__(self, start, end, text, full, role, nominative):
        self.start, self.end, self.text, self.full, self.role = start, end, text, full, role
        self.nominative = nominative


def _word_pattern(word: str) -> str:
    if len(word) > 4 and re.fullmatch(r"\w+", word):
        return re.escape(word[:-2]) + r"\w{0,4}"
    if len(word) > 3 and re.fullmatch(r"\w+", word):
        return re.escape(word[:-1]) + r"\w{0,3}"
    return re.escape(word)


def find_mentions(text: str, gazetteer: tuple[str, ...]) -> list[Mention]:
    raw: list[tuple[int, int, str]] = []
    # full names first (longest first), then surnames alone where no full name covers them
    forms = [(name, r"\s+".join(_word_pattern(w) for w in name.split())) for name in gazetteer]
    forms.sort(key=lambda f: -len(f[0]))
    surnames = [(name, _word_pattern(name.split()[-1])) for name in gazetteer if len(name.split()) >= 2]
    for name, pattern in forms + surnames:
        for m in re.finditer(rf"(?<!\w){pattern}(?!\w)", text):
            if m.group(0)[:1].isupper() and not any(s < m.end() and m.start() < e for s, e, _ in raw):
                raw.append((m.start(), m.end(), name))
    raw.sort()
    mentions = []
    for start, end, name in raw:
        before = re.search(rf"(?<!\w)(?P<role>{_ROLES_ALT})\s+(?:\w+\s+){{0,1}}$", text[max(0, start - 60):start],
                           re.IGNORECASE)
        written = text[start:end]
        nominative = written == name or written == name.split()[-1]
        mentions.append(Mention(start, end, written, name, _role(before.group("role")) if before else None, nominative))
    roles: dict[str, str] = {}
    for m in mentions:
        if m.role:
            roles.setdefault(m.full, m.role)
        elif m.full in roles:
            m.role = roles[m.full]
    return mentions


# --------------------------------------------------------------------------- claims


def _attribution(ctx: Context, s_start: int, s_end: int) -> str | None:
    sentence = ctx.text[s_start:s_end]
    for pattern in (_ATTR_DATA, _ATTR_ORG_AFTER, _ATTR_ORG_BEFORE):
        m = pattern.search(sentence)
        if m:
            return _org_name(m.group("org").strip())
    for m in ctx.mentions:
        if s_start <= m.start and m.end <= s_end:
            left = ctx.text[max(s_start, m.start - 60):m.start]
            if re.search(rf"(?:{_ATTR_VERB}|паводле\s+слоў|па\s+словах)\s+(?:\w+\s+){{0,3}}?$", left, re.IGNORECASE):
                return m.full
            if re.match(rf"\s*(?:{_ATTR_VERB})", ctx.text[m.end:m.end + 30], re.IGNORECASE):
                return m.full
    return None


def _clause(window: str) -> str:
    m = re.search(r"[;:.!?]|,\s*(?:а|але|з\s+іх|у\s+тым\s+ліку|паведам|заяв|паводле)|\s+—\s+", window)
    return window[:m.start()] if m else window


def _subset(text: str, start: int, end: int, s_start: int, s_end: int) -> dict:
    category = None
    for pattern, name in CATEGORIES:
        if re.search(rf"(?<!\w)(?:{pattern})", text[start:end], re.IGNORECASE):
            category = name
            break
    sentence = text[s_start:s_end]
    m = re.search(r"па\s+(?:справе|«справе)\s+(?P<c>«[^»]{2,60}»|[А-ЯЁІЎ]\w+(?:\s+[А-ЯЁІЎ]\w+)?)", sentence)
    case = m.group("c").strip("«» ") if m else None
    m = re.search(r"(?<!\w)(?:у|ў|з)\s+(?P<r>[А-ЯЁІЎ]\w+скай)\s+вобласц", sentence)
    region = m.group("r") if m else None
    return {"category": category, "case": case, "organisation": None, "region": region}


def extract_claims(ctx: Context) -> list[dict]:
    text = ctx.text
    claims: list[dict] = []
    for s_start, s_end in ctx.sentences:
        sentence_claims: list[dict] = []
        numbers = [Number(n.start + s_start, n.end + s_start, n.value, n.text, n.digits)
                   for n in find_numbers(text[s_start:s_end])]
        for index, number in enumerate(numbers):
            if any(p.start <= number.start < p.end for p in ctx.phrases):
                continue
            if number.digits and 1900 <= number.value <= 2100 and not re.search(r"\s", number.text):
                continue
            after, before = text[number.end:s_end], text[s_start:number.start]
            if _NOT_COUNT_AFTER.match(after) or _NOT_COUNT_BEFORE.search(before) or not _COUNT_AFTER.match(after):
                continue
            if number.value == 1 and not re.match(r"\s*(?:чалавек|палітвязн|журналіст|з\s+іх)", after, re.IGNORECASE):
                continue
            next_start = numbers[index + 1].start if index + 1 < len(numbers) else s_end
            window_end = number.end + len(_clause(text[number.end:next_start]))
            window = text[number.end:window_end]
            q = QUALIFIER_RE.search(before[-40:])
            qualifier = QUALIFIERS[re.sub(r"\s+", " ", q.group("q").lower())] if q else "exact"
            claim_start = number.start - (len(q.group(0)) if q else 0)
            left_clause = re.split(r"[;:.!?]|,\s", text[s_start:claim_start])[-1]
            family, keyword_end = None, None
            inherited = re.match(r"\s*(?:з\s+іх|сярод\s+іх)", window) or \
                re.search(r"(?:з\s+іх|сярод\s+іх|у\s+тым\s+ліку)\s*$", left_clause)
            flow, stock = _FLOW_RE.search(window), _STOCK_RE.search(window)
            lv = _LEFT_VERB_RE.search(left_clause)
            if inherited and sentence_claims:
                family = sentence_claims[-1]["_family"]
                keyword_end = number.end + len(re.match(r"\s*\S+", after).group(0).rstrip(",.;"))
            elif flow and not lv and (not stock or flow.start() < stock.start() or flow.lastgroup == "recognized"):
                family, keyword_end = flow.lastgroup, number.end + flow.end()
            elif lv:
                verb = lv.group("verb").lower()
                family = next((n for n, p in _FLOW if re.match(p, verb, re.IGNORECASE)), None)
                if family is None:  # "налічваецца", "знаходзяцца"
                    family = "political_prisoners" if stock else None
                    keyword_end = number.end + stock.end() if stock else None
                else:
                    claim_start = claim_start - len(left_clause) + lv.start()
                    if stock:
                        keyword_end = number.end + stock.end()
            elif stock:
                family, keyword_end = stock.lastgroup, number.end + stock.end()
            elif _STOCK_RE.search(left_clause):
                ls = _STOCK_RE.search(left_clause)
                family = ls.lastgroup
                claim_start = claim_start - len(left_clause) + ls.start()
            if family is None:
                continue
            claim_end = keyword_end or number.end
            phrase = _nearest_phrase(ctx, claim_start, claim_end, s_start, s_end)
            metric = family
            if family == "died":
                if not _CUSTODY.search(text[max(0, s_start - 300):s_end]):
                    continue
                metric = "deaths_in_custody" if phrase else "died_in_custody"
            elif family == "recognized":
                metric = "new_recognitions" if phrase else "recognized_total"
                if phrase is None and re.search(r"(?<!\w)(?:яшчэ|новых|новыя)(?!\w)", text[max(0, claim_start - 40):claim_end + 20]):
                    phrase, metric = _previous_phrase(ctx, s_start), "new_recognitions"
            period, as_of = _claim_when(ctx, metric, phrase, s_start)
            claim = {
                "metric": metric, "value": number.value, "qualifier": qualifier, "period": period, "as_of": as_of,
                "subset": _subset(text, number.end, window_end, s_start, s_end),
                "attributed_to": _attribution(ctx, s_start, s_end),
                "span": [claim_start, claim_end], "text": text[claim_start:claim_end], "_family": family,
            }
            if inherited and sentence_claims:
                parent = sentence_claims[-1]
                claim["period"], claim["as_of"], claim["metric"] = parent["period"], parent["as_of"], parent["metric"]
            sentence_claims.append(claim)
        claims.extend(sentence_claims)
    for claim in claims:
        claim.pop("_family", None)
    return claims


# --------------------------------------------------------------------------- events

_TRIGGERS = [
    ("house_arrest", r"хатн\w+\s+арышт\w*"),
    ("recognized", rf"прызнан[аы]?\s+{_PP}|прызналі\s+{_PP}"),
    ("convicted", r"асуджан[аы]?|асудзіл[аі]|прысуджан[аы]?|прысудзіл[аі]|атрымал[аі]?\s+\w+\s+(?:год|гад)\w*"),
    ("pardoned", r"памілаван[аы]?|памілаваў|памілавалі"),
    ("deported", r"выдваран[аы]?|выдварыл[іа]|дэпартаван[аы]?|дэпартавалі|вывезен[аы]?|вывезлі"),
    ("died", r"памёр|памерла|памерлі|загінуў|загінула"),
    ("released", r"вызвален[аы]?|вызвалілі|вызваліл[аі]|выйшл[аі]\s+на\s+волю|выйшаў\s+на\s+волю"),
    ("detained", r"затрыман[аы]?|затрымалі|затрымаў|арыштаван[аы]?|арыштавалі"),
]
_TRIGGER_RE = re.compile("|".join(f"(?P<{n}>(?<!\\w)(?:{p})(?!\\w))" for n, p in _TRIGGERS), re.IGNORECASE)
_ACTIVE = re.compile(r"памілаваў|памілавалі|прысудзіл[аі]|асудзіл[аі]|вызвалілі|вызваліл[аі]|затрымалі|затрымаў|"
                     r"арыштавалі|выдварыл[іа]|дэпартавалі|вывезлі", re.IGNORECASE)
_NOT_HAPPENED = re.compile(
    r"(?<!\w)(?:заклік\w*|патрабава\w*|патрабу\w*|можа|могуць|мог(?:лі|ла)?|будзе|будуць|пагражае|пагражала|"
    r"рызыкуе|не\s+быў|не\s+была|не|прасіл\w*|просьб\w*)(?!\w)[^.,;]{0,25}$",
    re.IGNORECASE,
)
_DESTINATIONS = {"літв": "Lithuania", "польшч": "Poland", "латві": "Latvia", "украін": "Ukraine", "грузі": "Georgia",
                 "германі": "Germany", "расі": "Russia"}
_DEST_RE = re.compile(r"^[^.;]{0,60}?(?<!\w)(?:у|ў|в|на)\s+(?P<dest>Літв\w+|Польшч\w+|Латві\w+|Украін\w+|Грузі\w+|"
                      r"Германі\w+|Расі\w+)")


def extract_events(ctx: Context) -> list[dict]:
    text = ctx.text
    events: list[dict] = []
    seen: set[tuple] = set()
    for s_start, s_end in ctx.sentences:
        sentence = text[s_start:s_end]
        people = [m for m in ctx.mentions if s_start <= m.start and m.end <= s_end]
        if not people:
            continue
        for trig in _TRIGGER_RE.finditer(sentence):
            kind = trig.lastgroup
            t_start, t_end = s_start + trig.start(), s_start + trig.end()
            if _NOT_HAPPENED.search(text[max(s_start, t_start - 50):t_start]):
                continue
            for m in people:
                if re.search(rf"(?:{_ATTR_VERB}|паводле\s+слоў|па\s+словах)\s*$", text[max(s_start, m.start - 40):m.start],
                             re.IGNORECASE):
                    continue  # quoted, not repressed
                if m.end <= t_start:
                    between = text[m.end:t_start]
                    if len(between) > 70 or re.search(r"[;:]|\s—\s", between):
                        continue
                    if _ACTIVE.fullmatch(trig.group(0)) and m.nominative and not re.search(r"(?:быў|была|былі)\s*$", between):
                        continue  # "Лукашэнка памілаваў": the name acts
                    if re.search(r",\s*(?:які|якая|якія|што)\s", between):
                        continue
                elif m.start >= t_end:
                    between = text[t_end:m.start]
                    if len(between) > 70 or re.search(r"[;:]|\s—\s|,\s*(?:а|але|і)\s", between):
                        continue
                    if any(o is not m and t_end <= o.start and o.end <= m.start for o in people) \
                            and not re.search(r"(?:,|\sі)\s*$", between):
                        continue
                else:
                    continue
                phrase = _nearest_phrase(ctx, t_start, t_end, s_start, s_end, skip_since=True)
                if phrase is not None:
                    event_date, precision = phrase.ref.event_date()
                else:
                    event_date, precision = ctx.published.isoformat(), "day"
                destination = None
                if kind in ("deported", "released"):
                    dm = _DEST_RE.match(text[t_end:s_end])
                    if dm and (kind == "deported" or re.search(r"вывез|дастаўл|адпраў|выдвар|дэпарт", dm.group(0))):
                        destination = next(v for k, v in _DESTINATIONS.items() if dm.group("dest").lower().startswith(k))
                key = (kind, m.full, event_date)
                if key in seen:
                    continue
                seen.add(key)
                span = [min(m.start, t_start), max(m.end, t_end)]
                events.append({
                    "type": kind, "person": m.full, "date": event_date, "date_precision": precision,
                    "place": None, "destination": destination,
                    "case": _subset(text, s_start, s_end, s_start, s_end)["case"], "organisation": None,
                    "role": m.role, "span": span, "text": text[span[0]:span[1]],
                })
    return events


# --------------------------------------------------------------------------- entry


def extract_belarusian(text: str, published: date, gazetteer: Iterable[str] = ()) -> tuple[list[dict], list[dict]]:
    ctx = Context(text=text, published=published, phrases=find_time_phrases(text, published),
                  sentences=sentences(text))
    names = tuple(sorted({n.strip() for n in gazetteer if n and n.strip()}))
    ctx.mentions = find_mentions(text, names)
    return extract_claims(ctx), extract_events(ctx)
