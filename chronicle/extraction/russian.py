"""Russian extraction: claims (figures) and events (things done to named people).

natasha (razdel sentences, slovnet NER with the bundled navec embedding, no
download at run time) finds sentences and PER spans; everything else is
patterns over each sentence, so every offset is an offset into the input.
Claims and events are built with the same structures as the English reader
(`TimeRef`, `TimePhrase`, `Number`, the English `Context` and its time-phrase
helpers) and validate against the same schema.

Decisions:
- `person` is the name in the nominative (natasha's normalisation, with
  feminine surnames mended: "Ксению Луцкину" -> "Ксения Луцкина"); a surname
  alone takes the full form the text gives elsewhere.
- `destination` and `attributed_to` for the few known names are given in the
  register's English form ("в Литву" -> "Lithuania", «Весна»/Вясна -> "Viasna");
  `role` is mapped to the English role words; `place` is as written.
- "десятки", "сотни", "тысячи" are not values; "1.174"/"1,5" are not counts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from functools import lru_cache

from chronicle.extraction.dates import TimePhrase, TimeRef, _resolve
from chronicle.extraction.english import Context, _claim_when, _nearest_phrase, _previous_phrase
from chronicle.extraction.numbers import Number

# --------------------------------------------------------------------------- natasha


@lru_cache(maxsize=1)
def _natasha():
    from natasha import MorphVocab, NewsEmbedding, NewsMorphTagger, NewsNERTagger, Segmenter

    emb = NewsEmbedding()
    return Segmenter(), NewsMorphTagger(emb), NewsNERTagger(emb), MorphVocab()


def _analyse(text: str):
    from natasha import Doc

    segmenter, morph, ner, vocab = _natasha()
    doc = Doc(text)
    doc.segment(segmenter)
    doc.tag_morph(morph)
    doc.tag_ner(ner)
    for span in doc.spans:
        if span.type == "PER":
            try:
                span.normalize(vocab)
            except Exception:  # pragma: no cover - pymorphy failure: keep the text
                span.normal = span.text
    return doc


def sentences(text: str, doc) -> list[tuple[int, int]]:
    spans = []
    for sent in doc.sents:
        start, end = sent.start, sent.stop
        piece = start
        for m in re.finditer(r"\n\s*\n", text[start:end]):
            spans.append((piece, start + m.start()))
            piece = start + m.end()
        spans.append((piece, end))
    return [(s, e) for s, e in spans if text[s:e].strip()]


# --------------------------------------------------------------------------- numbers

_UNITS = {
    "ноль": 0, "один": 1, "одна": 1, "одно": 1, "одного": 1, "одной": 1, "два": 2, "две": 2, "двух": 2,
    "три": 3, "трёх": 3, "трех": 3, "четыре": 4, "четырёх": 4, "четырех": 4,
}
for _value, _stem in enumerate(["пят", "шест", "сем", "восем", "девят", "десят"], start=5):
    _UNITS[_stem + "ь"] = _value
    _UNITS[_stem + "и"] = _value
_UNITS.update({"восьми": 8})
for _value, _stem in enumerate(["одиннадцат", "двенадцат", "тринадцат", "четырнадцат", "пятнадцат",
                                "шестнадцат", "семнадцат", "восемнадцат", "девятнадцат"], start=11):
    _UNITS[_stem + "ь"] = _value
    _UNITS[_stem + "и"] = _value
_TENS = {"двадцать": 20, "двадцати": 20, "тридцать": 30, "тридцати": 30, "сорок": 40, "сорока": 40,
         "пятьдесят": 50, "пятидесяти": 50, "шестьдесят": 60, "шестидесяти": 60, "семьдесят": 70,
         "семидесяти": 70, "восемьдесят": 80, "восьмидесяти": 80, "девяносто": 90, "девяноста": 90}
_HUNDREDS = {"сто": 100, "ста": 100, "двести": 200, "двухсот": 200, "триста": 300, "трехсот": 300,
             "трёхсот": 300, "четыреста": 400, "четырехсот": 400, "четырёхсот": 400, "пятьсот": 500,
             "пятисот": 500, "шестьсот": 600, "шестисот": 600, "семьсот": 700, "семисот": 700,
             "восемьсот": 800, "восьмисот": 800, "девятьсот": 900, "девятисот": 900}
_THOUSAND = {"тысяча", "тысячи", "тысяч", "тысячу"}
_WORD_VALUES = {**_UNITS, **_TENS, **_HUNDREDS}
_NUM_WORD = "|".join(sorted(list(_WORD_VALUES) + list(_THOUSAND), key=len, reverse=True))
_DIGITS = r"\d{1,3}(?:[ \u00a0\u202f\u2009]\d{3})+|\d+"
NUMBER_RE = re.compile(
    rf"(?<![\w.,])(?:(?:{_DIGITS})(?![\w]|[.,]\d)|(?:{_NUM_WORD})(?:\s+(?:{_NUM_WORD}))*(?!\w))", re.IGNORECASE
)


def words_to_int(text: str) -> int | None:
    words = text.lower().split()
    total, group = 0, 0
    for word in words:
        if word in _THOUSAND:
            if not group and word in ("тысячи", "тысяч"):
                return None  # "тысячи" alone is "thousands", not a value
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

_MONTH_STEMS = ["январ", "феврал", "март", "апрел", "ма", "июн", "июл", "август", "сентябр", "октябр",
                "ноябр", "декабр"]
_MONTH = (r"(?:январ[яеь]|феврал[яеь]|март[ае]?|апрел[яеь]|ма[йяе]|июн[яеь]|июл[яеь]|август[ае]?|"
          r"сентябр[яеь]|октябр[яеь]|ноябр[яеь]|декабр[яеь])")
_WEEKDAYS = {"понедельник": 0, "вторник": 1, "среду": 2, "четверг": 3, "пятницу": 4, "субботу": 5, "воскресенье": 6}
_YEAR = r"(?:19|20)\d{2}"
_G = r"(?:\s+(?:года|году|г\.))?"


def _month_number(word: str) -> int:
    word = word.lower()
    for index, stem in sorted(enumerate(_MONTH_STEMS, start=1), key=lambda x: -len(x[1])):
        if word.startswith(stem):
            return index
    raise ValueError(word)


_PATTERNS_RU = [
    ("since_day", rf"(?<!\w)с\s+(?P<d>[0-3]?\d)\s+(?P<m>{_MONTH})(?:\s+(?P<y>{_YEAR}))?{_G}(?!\w)"),
    ("day_month_year", rf"(?<![\w.])(?P<d>[0-3]?\d)\s+(?P<m>{_MONTH})(?:\s+(?P<y>{_YEAR}))?{_G}(?!\w)"),
    ("since_month_year", rf"(?<!\w)с\s+(?P<m>{_MONTH})\s+(?P<y>{_YEAR}){_G}(?!\w)"),
    ("since_month", rf"(?<!\w)с\s+(?P<m>{_MONTH})(?!\w)(?!\s+\d)"),
    ("since_year", rf"(?<!\w)с\s+(?P<y>{_YEAR})(?:\s+года|\s+г\.)(?!\w)"),
    ("month_year", rf"(?<!\w)(?:в|за)\s+(?P<m>{_MONTH})\s+(?P<y>{_YEAR}){_G}(?!\w)"),
    ("in_month", rf"(?<!\w)(?:в|за)\s+(?P<m>{_MONTH})(?!\w)(?!\s+\d)"),
    ("in_year", rf"(?<!\w)(?:в|за)\s+(?P<y>{_YEAR})(?:\s+году|\s+год|\s+г\.)(?!\w)"),
    ("weekday", r"(?<!\w)(?:в|во)\s+(?:прошл(?:ый|ую|ое)\s+)?(?P<w>понедельник|вторник|среду|четверг|пятницу|субботу|воскресенье)(?!\w)"),
    ("this_month", r"(?<!\w)(?:в\s+(?:этом|текущем)\s+месяце|с\s+начала\s+(?:этого\s+|текущего\s+)?месяца)(?!\w)"),
    ("last_month", r"(?<!\w)(?:в|за)\s+(?:прошлом|прошедшем|минувшем|прошлый|прошедший|минувший)\s+месяц[е]?(?!\w)"),
    ("this_year", r"(?<!\w)(?:в\s+(?:этом|текущем)\s+году|с\s+начала\s+(?:этого\s+|текущего\s+)?года)(?!\w)"),
    ("last_year", r"(?<!\w)(?:в|за)\s+(?:прошлом|прошедшем|минувшем|прошлый|минувший)\s+год[уа]?(?!\w)"),
    ("last_week", r"(?<!\w)на\s+(?:прошлой|прошедшей|минувшей)\s+неделе(?!\w)"),
    ("this_week", r"(?<!\w)на\s+этой\s+неделе(?!\w)"),
    ("yesterday", r"(?<!\w)вчера(?!\w)"),
    ("today", r"(?<!\w)сегодня(?!\w)"),
]
_COMBINED_RU = re.compile(
    "|".join(f"(?P<{name}>{pattern.replace('(?P<', f'(?P<{name}_')})" for name, pattern in _PATTERNS_RU),
    re.IGNORECASE,
)


def _resolve_ru(kind: str, g: dict, published: date) -> TimeRef | None:
    """The dates of a Russian time phrase: the shared resolver, reading Russian month and weekday names."""
    return _resolve(kind, g, published, month_number=_month_number, weekdays=_WEEKDAYS)


def find_time_phrases(text: str, published: date) -> list[TimePhrase]:
    found = []
    for match in _COMBINED_RU.finditer(text):
        kind = next(name for name, _ in _PATTERNS_RU if match.group(name) is not None)
        groups = {k: v for k, v in match.groupdict().items() if v is not None}
        ref = _resolve_ru(kind, groups, published)
        if ref is not None:
            found.append(TimePhrase(match.start(), match.end(), match.group(0), ref, kind.startswith("since")))
    return found


def resolve(phrase: str, published: date) -> TimeRef | None:
    found = find_time_phrases(phrase, published)
    return found[0].ref if found else None


# --------------------------------------------------------------------------- lexicon

_E = "[её]"
QUALIFIER_RE = re.compile(
    r"(?<!\w)(?P<q>не\s+менее|не\s+меньше|как\s+минимум|по\s+меньшей\s+мере|минимум|более\s+чем|не\s+более|"
    r"не\s+больше|более|больше|свыше|около|примерно|почти|порядка|приблизительно|до)\s+$",
    re.IGNORECASE,
)
QUALIFIERS = {
    "не менее": "at_least", "не меньше": "at_least", "как минимум": "at_least", "по меньшей мере": "at_least",
    "минимум": "at_least", "более чем": "more_than", "более": "more_than", "больше": "more_than",
    "свыше": "more_than", "около": "about", "примерно": "about", "почти": "about", "порядка": "about",
    "приблизительно": "about", "до": "at_most", "не более": "at_most", "не больше": "at_most",
}
CATEGORIES = [
    (r"журналист\w*|медиаработник\w*", "journalist"), (r"юрист\w*|адвокат\w*", "lawyer"),
    (r"студент\w*", "student"), (r"женщин\w*", "woman"), (r"несовершеннолетн\w*|подрост\w*", "minor"),
    (r"музыкант\w*", "musician"), (r"иностран\w*", "foreigner"), (r"учител\w*|педагог\w*", "teacher"),
    (r"врач\w*|медик\w*", "doctor"), (r"пенсионер\w*", "pensioner"), (r"профсоюз\w*", "trade_unionist"),
    (r"активист\w*", "activist"), (r"анархист\w*", "anarchist"), (r"блогер\w*", "blogger"),
]
_PP = rf"(?:политзаключ{_E}нн\w*|политическ\w+\s+заключ{_E}нн\w*|политзек\w*)"
_RECOGNIZED = rf"признан\w*\s+{_PP}|признали\s+{_PP}"
_FLOW = [
    ("recognized", _RECOGNIZED),
    ("pardons", r"помилова\w*|помиловани\w*"),
    ("deportations", r"выдвор\w*|депортирова\w*|депортаци\w*"),
    ("releases", r"освобожд\w*|освобод\w*|вышл[иа]\s+на\s+свободу|вышел\s+на\s+свободу"),
    ("died", r"умерл?\w*|погибл?\w*|скончал\w*|смерт\w*"),
    ("arrests", r"задерж\w*|арестова\w*|арест\w*"),
    ("convictions", rf"осужд{_E}н\w*|осудил\w*|приговор{_E}н\w*|приговорил\w*|осуждени\w*|приговор\w*"),
]
_FLOW_RE = re.compile("|".join(f"(?P<{n}>(?<!\\w)(?:{p}))" for n, p in _FLOW), re.IGNORECASE)
_STOCK_RE = re.compile(rf"(?P<political_prisoners>(?<!\w){_PP}|(?<!\w)за\s+р{_E}ш{_E}тк\w+)|(?P<in_exile>(?<!\w)в\s+эмиграции)",
                       re.IGNORECASE)
_COUNT_AFTER = re.compile(
    rf"^\s*(?:(?:\w+\s+){{0,2}}?)(?:человек\w*|люд\w*|граждан\w*|{_PP}|заключ{_E}нн\w*|задерж\w*|арест\w*|"
    r"осужд\w*|помилова\w*|освобожд\w*|освобод\w*|выдвор\w*|депорт\w*|умерл?\w*|погибл?\w*|приговор\w*|"
    r"случа\w*|участник\w*|фигурант\w*|из\s+них|" + "|".join(p for p, _ in CATEGORIES) + r")(?!\w)",
    re.IGNORECASE,
)
_NOT_COUNT_AFTER = re.compile(r"^\s*(?:год\w*|лет|месяц\w*|дн\w*|недел\w*|час\w*|%|процент\w*|рубл\w*|евро|"
                              r"долл\w*|раз\w*|сут\w*|базов\w*|-?лет\w*)(?!\w)", re.IGNORECASE)
_NOT_COUNT_BEFORE = re.compile(r"(?:№|ст\.|статьи|статье|статья|ч\.|част[иь]|к|на)\s*$", re.IGNORECASE)
_LEFT_VERB_RE = re.compile(
    r"(?<!\w)(?P<verb>помиловал\w*|помилован\w*|освобожд\w*|освободил\w*|задержа\w*|арестова\w*|выдворил\w*|"
    rf"выдворен\w*|депортирова\w*|осудил\w*|осужд{_E}н\w*|приговорил\w*|приговор{_E}н\w*|умерл?\w*|погибл?\w*|"
    rf"признан\w*\s+{_PP}|признали\s+{_PP}|насчитыва\w*|находятся)\s+(?:(?:\w+\s+){{0,4}}?)$",
    re.IGNORECASE,
)
_CUSTODY = re.compile(r"заключени|колони|тюрьм|тюрем|СИЗО|изолятор|р[её]ш[её]тк|под\s+страж|ИВС", re.IGNORECASE)

ORGS = [
    (r"(?:правозащитн\w+\s+центр\w*\s+)?«?(?:Вясн[аыеу]|Весн[аыеу])»?", "Viasna"),
    (r"(?:Белорусск\w+\s+ассоциаци\w+\s+журналистов|БАЖ)", "BAJ"),
    (r"Dissidentby|Политзек\.?ми|Politzek\.me", None),
]
_ORG_RE = re.compile("|".join(f"(?:{p})" for p, _ in ORGS))


def _org_name(raw: str) -> str:
    for pattern, name in ORGS:
        if re.fullmatch(pattern, raw):
            return name or raw
    return raw


_ATTR_VERB = r"сообщ\w+|заяви\w+|сказа\w+|отмети\w+|пиш\w+|подсчита\w+|рассказа\w+|сообщается|уточни\w+"
_ATTR_ORG_AFTER = re.compile(rf"(?<!\w)(?:{_ATTR_VERB})\s+(?:в\s+|об\s+этом\s+)?(?:\w+\s+){{0,2}}?(?P<org>{_ORG_RE.pattern})")
_ATTR_ORG_BEFORE = re.compile(rf"(?P<org>{_ORG_RE.pattern})\s*,?\s*(?:\w+\s+)?(?:{_ATTR_VERB})")
_ATTR_DATA = re.compile(rf"(?:по\s+данным|по\s+подсчётам|по\s+подсчетам|по\s+информации|как\s+сообщает|"
                        rf"данные)\s+(?:\w+\s+){{0,2}}?(?P<org>{_ORG_RE.pattern})", re.IGNORECASE)

# --------------------------------------------------------------------------- roles and people

ROLES = [
    (r"певц\w*|певиц\w*", "singer"), (r"журналист\w*", "journalist"), (r"активист\w*", "activist"),
    (r"правозащитни\w*", "rights advocate"), (r"блогер\w*", "blogger"), (r"адвокат\w*", "lawyer"),
    (r"студент\w*", "student"), (r"поэт\w*", "poet"), (r"писател\w*", "writer"), (r"художни\w*", "artist"),
    (r"музыкант\w*", "musician"), (r"оппозиционер\w*|оппозиционн\w+\s+политик\w*", "opposition figure"),
    (r"политик\w*", "politician"), (r"учител\w*", "teacher"), (r"врач\w*", "doctor"),
    (r"пенсионер\w*", "pensioner"), (r"фотограф\w*", "photographer"), (r"редактор\w*|главн\w+\s+редактор\w*", "editor"),
    (r"священни\w*|ксендз\w*", "priest"), (r"предпринимател\w*|бизнесмен\w*", "businessman"),
    (r"философ\w*", "philosopher"), (r"анархист\w*", "anarchist"), (r"волонт[её]р\w*", "volunteer"),
    (r"профсоюзн\w+\s+(?:лидер\w*|активист\w*)", "trade unionist"), (r"экономист\w*", "economist"),
    (r"историк\w*", "historian"), (r"политзаключ[её]нн\w*", "political prisoner"),
    # acting people: never an event on their own
    (r"пресс-секретар\w*|спикер\w*", "spokesperson"), (r"судь[яиейю]\w*", "judge"), (r"прокурор\w*", "prosecutor"),
    (r"министр\w*", "minister"), (r"посл[оа]\w*", "ambassador"), (r"спецпосланни\w*|посланни\w*", "envoy"),
    (r"чиновни\w*|представител\w*", "official"), (r"глав[аы]\w*", "head"), (r"председател\w*", "chairman"),
    (r"лидер\w*", "leader"), (r"президент\w*|диктатор\w*|правител\w*", "official"),
]
_ROLES_ALT = "|".join(p for p, _ in ROLES)
_ROLE_BEFORE = re.compile(rf"(?<!\w)(?P<role>{'|'.join(p for p, _ in ROLES)})\s+(?:\w+\s+){{0,2}}?$", re.IGNORECASE)
_OFFICIAL = {"spokesperson", "judge", "prosecutor", "minister", "ambassador", "envoy", "official", "head", "chairman"}
_OFFICIAL_NAMES = re.compile(r"Лукашенк|Путин|Тихановская|Латушко|Караник|Кочанов|Эйсмонт|Шведов", re.IGNORECASE)


def _role(raw: str) -> str:
    for pattern, name in ROLES:
        if re.fullmatch(pattern, raw, re.IGNORECASE):
            return name
    return None


class Mention:
    __slots__ = ("start", "end", "text", "full", "role")

    def __init__(self, start, end, text, full, role):
        self.start, self.end, self.text, self.full, self.role = start, end, text, full, role


def _mend(normal: str, written: str) -> str:
    """natasha's nominative with feminine surnames mended ("Ксения Луцкину" -> "Ксения Луцкина")."""
    words = normal.split()
    if len(words) >= 2 and re.search(r"[ая]$", words[0]):
        last = words[-1]
        if last.endswith(("ову", "еву", "ёву", "ину", "ыну")):
            words[-1] = last[:-1] + "а"
        elif last.endswith(("скую", "цкую")):
            words[-1] = last[:-2] + "ая"
        elif last.endswith(("ой",)) and re.search(r"(?:ов|ев|ин)ой$", last):
            words[-1] = last[:-2] + "а"
    return " ".join(words)


def find_mentions(text: str, doc, gazetteer: tuple[str, ...]) -> list[Mention]:
    raw = []
    for span in doc.spans:
        if span.type != "PER":
            continue
        normal = _mend(getattr(span, "normal", None) or span.text, span.text)
        raw.append([span.start, span.stop, span.text, normal])
    for name in gazetteer:  # the register's names win over an overlapping NER span
        for m in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", text):
            raw = [r for r in raw if not (r[0] < m.end() and m.start() < r[1])]
            raw.append([m.start(), m.end(), m.group(0), name])
    raw.sort()
    full_names = [" ".join(r[3].split()[1:]) if len(r[2].split()) >= 3 and _role(r[2].split()[0].lower()) else r[3]
                  for r in raw if len(r[3].split()) >= 2]
    mentions = []
    for start, end, written, normal in raw:
        first = written.split()[0] if written.split() else ""
        if len(written.split()) >= 3 and _role(first.lower()):
            # natasha sometimes takes the role word into the name: "Журналистка Ксения Луцкина"
            cut = len(first) + len(written[len(first):]) - len(written[len(first):].lstrip())
            start, written = start + cut, written[cut:]
            normal = " ".join(normal.split()[1:])
        full = normal
        if len(normal.split()) == 1:
            stem = normal[:max(4, len(normal) - 2)].lower()
            for candidate in full_names:
                if candidate.split()[-1].lower().startswith(stem):
                    full = candidate
                    break
        role = None
        for gap in range(3):
            before = re.search(rf"(?<!\w)(?P<role>{_ROLES_ALT})\s+(?:\w+\s+){{{gap}}}$", text[max(0, start - 60):start], re.IGNORECASE)
            if before:
                role = _role(before.group("role"))
                break
        if role is None and len(text[max(0, start - 15):start].split()) and _role(text[max(0, start - 15):start].split()[-1].lower()):
            role = _role(text[max(0, start - 15):start].split()[-1].lower())
        mentions.append(Mention(start, end, written, full, role))
    # a role given once holds for the person's later mentions
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
    # "заявил X", "по словам X": a named person
    for m in ctx.mentions:
        if s_start <= m.start and m.end <= s_end:
            left = ctx.text[max(s_start, m.start - 60):m.start]
            if re.search(rf"(?:{_ATTR_VERB}|по\s+словам)\s+(?:\w+\s+){{0,3}}?$", left, re.IGNORECASE):
                return m.full
            right = ctx.text[m.end:m.end + 30]
            if re.match(rf"\s*(?:{_ATTR_VERB})", right, re.IGNORECASE):
                return m.full
    return None


def _clause(window: str) -> str:
    m = re.search(r"[;:.!?]|,\s*(?:а|но|из\s+них|в\s+том\s+числе|сообщ|заяв|по\s+данным)|\s+—\s+", window)
    return window[:m.start()] if m else window


def _subset(text: str, start: int, end: int, s_start: int, s_end: int) -> dict:
    window = text[start:end]
    category = None
    for pattern, name in CATEGORIES:
        if re.search(rf"(?<!\w)(?:{pattern})", window, re.IGNORECASE):
            category = name
            break
    sentence = text[s_start:s_end]
    case = None
    m = re.search(r"по\s+(?:делу|«делу)\s+(?P<c>«[^»]{2,60}»|[А-ЯЁ]\w+(?:\s+[А-ЯЁ]\w+)?)", sentence)
    if m:
        case = m.group("c").strip("«» ")
    region = None
    m = re.search(r"(?<!\w)(?:в|из)\s+(?P<r>[А-ЯЁ]\w+ской)\s+област", sentence)
    if m:
        region = m.group("r")
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
            if _NOT_COUNT_AFTER.match(after) or _NOT_COUNT_BEFORE.search(before):
                continue
            if not _COUNT_AFTER.match(after):
                continue
            if number.value == 1 and not re.match(r"\s*(?:человек|политзаключ|журналист|из\s+них)", after, re.IGNORECASE):
                continue
            next_start = numbers[index + 1].start if index + 1 < len(numbers) else s_end
            window_end = number.end + len(_clause(text[number.end:next_start]))
            window = text[number.end:window_end]
            q = QUALIFIER_RE.search(before[-40:])
            qualifier = QUALIFIERS[re.sub(r"\s+", " ", q.group("q").lower())] if q else "exact"
            claim_start = number.start - (len(q.group(0)) if q else 0)
            left_clause = re.split(r"[;:.!?]|,\s", text[s_start:claim_start])[-1]
            family, keyword_end = None, None
            inherited = re.match(r"\s*(?:из\s+них|среди\s+них)", window) or re.search(r"(?:из\s+них|среди\s+них|в\s+том\s+числе)\s*$", left_clause)
            flow = _FLOW_RE.search(window)
            stock = _STOCK_RE.search(window)
            lv = _LEFT_VERB_RE.search(left_clause)
            if inherited and sentence_claims:
                family = sentence_claims[-1]["_family"]
                keyword_end = number.end + len(re.match(r"\s*\S+", after).group(0).rstrip(",.;"))
            elif flow and not lv and (not stock or flow.start() < stock.start() or flow.lastgroup == "recognized"):
                family, keyword_end = flow.lastgroup, number.end + flow.end()
            elif lv:
                verb = lv.group("verb").lower()
                family = next((n for n, p in _FLOW if re.match(p, verb, re.IGNORECASE)), None)
                if family is None:  # "насчитывается", "находятся"
                    family = "political_prisoners" if stock else None
                    keyword_end = number.end + stock.end() if stock else None
                else:
                    claim_start = claim_start - len(left_clause) + lv.start()
                    if stock:
                        keyword_end = number.end + stock.end()
            elif stock:
                family, keyword_end = stock.lastgroup, number.end + stock.end()
            elif _STOCK_RE.search(left_clause):  # "за решёткой остаются 38 ..."
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
                if phrase is None and re.search(r"(?<!\w)(?:ещё|еще|новых|новые)(?!\w)", text[claim_start - 40:claim_end + 20]):
                    phrase = _previous_phrase(ctx, s_start)
                    metric = "new_recognitions"
                else:
                    metric = "new_recognitions" if phrase else "recognized_total"
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
    ("house_arrest", r"домашн\w+\s+арест\w*"),
    ("recognized", _RECOGNIZED),
    ("convicted", rf"осужд{_E}н[аы]?|приговор{_E}н[аы]?|приговорил[аи]?|осудил[аи]?|получил[аи]?\s+\w+\s+(?:год|лет)\w*"),
    ("transferred", r"этапирова\w*|переведен[аы]?|перевели|перевед[её]н[аы]?"),
    ("pardoned", r"помилован[аы]?|помиловал[аи]?"),
    ("deported", r"выдворен[аы]?|выдворили|депортирован[аы]?|депортировали|вывезен[аы]?|вывезли"),
    ("died", r"умер(?:ла)?|скончал(?:ся|ась)|погиб(?:ла)?"),
    ("released", rf"освобожд{_E}н[аы]?|освободил[аи]?|вышл?[аи]?\s+на\s+свободу|вышел\s+на\s+свободу|освобождени\w+"),
    ("detained", r"задержан[аы]?|задержали|задержал|арестован[аы]?|арестовали|задержани[ея]|арест(?:а|е|ом)?|"
                 r"повторно\s+задержан[аы]?"),
]
_TRIGGER_RE = re.compile("|".join(f"(?P<{n}>(?<!\\w)(?:{p})(?!\\w))" for n, p in _TRIGGERS), re.IGNORECASE)
# active singular verbs: a name before them is the one who acts ("Лукашенко помиловал ...")
_ACTIVE = re.compile(r"помиловал[аи]?|приговорил[аи]?|осудил[аи]?|освободил[аи]?|задержал|выдворили|перевели", re.IGNORECASE)
_NOT_HAPPENED = re.compile(
    r"(?<!\w)(?:призыва\w*|призвал\w*|требова\w*|потребова\w*|может|могут|мог(?:ли|ла)?|будет|будут|"
    r"грозит|грозил|рискует|не\s+был[аи]?|не|добива\w*|хода\w+|просил\w*|просьб\w*)(?!\w)[^.,;]{0,25}$",
    re.IGNORECASE,
)
_DESTINATIONS = {"литв": "Lithuania", "польш": "Poland", "латви": "Latvia", "украин": "Ukraine", "грузи": "Georgia",
                 "германи": "Germany", "росси": "Russia"}
_DEST_RE = re.compile(r"^[^.;]{0,60}?(?<!\w)(?:в|на)\s+(?P<dest>Литв\w+|Польш\w+|Латви\w+|Украин\w+|Грузи\w+|Германи\w+|Росси\w+)")
_PLACE_RE = re.compile(
    r"^\s*(?:в|во)\s+(?P<place>(?:исправительн\w+\s+)?(?:колони\w+|СИЗО|тюрьм\w+|ИК|следственн\w+\s+изолятор\w*|"
    r"ЛТП|ИВС)(?:\s*(?:№|N)\s*\d+)?(?:\s+(?:в|во)\s+[А-ЯЁ]\w+|\s+[«\"][^»\"]+[»\"])?)"
)


def _mask(ctx: Context, start: int, end: int) -> str:
    out, position = [], start
    for m in ctx.mentions:
        if m.start >= start and m.end <= end:
            out.append(ctx.text[position:m.start])
            out.append("ИМЯ")
            position = m.end
    out.append(ctx.text[position:end])
    return "".join(out)


def _acting(ctx: Context, m: Mention, s_start: int, s_end: int) -> bool:
    """Officials and the quoted: never events."""
    if (m.role or "") in _OFFICIAL or _OFFICIAL_NAMES.search(m.full):
        return True
    text = ctx.text
    left = text[max(s_start, m.start - 40):m.start]
    right = text[m.end:min(s_end, m.end + 40)]
    if re.search(rf"(?:{_ATTR_VERB}|по\s+словам)\s*$", left, re.IGNORECASE):
        return True
    if re.match(rf"\s*(?:\([^)]*\)\s*)?(?:{_ATTR_VERB}|считает|подчеркну\w+|добави\w+)", right, re.IGNORECASE):
        return True
    return False


def extract_events(ctx: Context) -> list[dict]:
    text = ctx.text
    events: list[dict] = []
    seen: set[tuple] = set()
    for s_start, s_end in ctx.sentences:
        sentence = text[s_start:s_end]
        people = [m for m in ctx.mentions if s_start <= m.start and m.end <= s_end]
        pronoun = re.match(r"\s*(Он|Она|Его|Её|Ее|Ей|Ему)(?!\w)", sentence)
        if pronoun and not people:
            earlier = [m for m in ctx.mentions if m.end <= s_start and not _acting(ctx, m, 0, len(text))]
            if earlier:
                last = earlier[-1]
                people = [Mention(s_start + pronoun.start(1), s_start + pronoun.end(1), pronoun.group(1), last.full, last.role)]
        if not people:
            continue
        for trig in _TRIGGER_RE.finditer(sentence):
            kind = trig.lastgroup
            t_start, t_end = s_start + trig.start(), s_start + trig.end()
            if _NOT_HAPPENED.search(text[max(s_start, t_start - 50):t_start]):
                continue
            if kind == "died" and not _CUSTODY.search(sentence):
                continue
            if kind in ("detained", "released") and trig.group(0).lower().startswith(("арест", "задержани", "освобождени")) \
                    and not re.match(r"\s+(?:\w+\s+){0,2}ИМЯ", _mask(ctx, t_end, s_end)):
                continue  # the noun: "арест Хаменко" only when a name follows
            for m in people:
                if m.text in ("Он", "Она", "Его", "Её", "Ее", "Ей", "Ему"):
                    pass
                elif _acting(ctx, m, s_start, s_end):
                    continue
                if m.end <= t_start:
                    between = _mask(ctx, m.end, t_start)
                    if len(between) > 70 or re.search(r"[;:]|\s—\s", between):
                        continue
                    if _ACTIVE.fullmatch(trig.group(0)) and not re.search(r"(?:был[аи]?|\bбыли)\s*$", between) \
                            and not (m.text[:1].isupper() and re.search(r"(?:а|я|у|ю|ого|его)$", m.text.split()[-1])
                                     and trig.group(0).lower().endswith("ли")):
                        continue  # "Лукашенко помиловал": the name acts
                    if re.search(r",\s*(?:который|которая|которые|что)\s", between):
                        continue
                elif m.start >= t_end:
                    between = _mask(ctx, t_end, m.start)
                    if len(between) > 70 or re.search(r"[;:]|\s—\s|,\s*(?:а|но|и)\s", between):
                        continue
                    if re.search(r"(?<!\w)(?:ИМЯ)(?!\w)", between) and not re.search(r"(?:,|\sи)\s*$", between):
                        continue
                else:
                    continue
                phrase = _nearest_phrase(ctx, t_start, t_end, s_start, s_end, skip_since=True)
                if phrase is not None:
                    event_date, precision = phrase.ref.event_date()
                else:
                    previous = [p for p in ctx.phrases if p.end <= s_start and not p.since and s_start - p.end < 700]
                    following = _following_day(ctx, kind, s_end)
                    if following is not None:
                        event_date, precision = following.ref.event_date()
                        phrase = following
                    elif previous:
                        event_date, precision = previous[-1].ref.event_date()
                    else:
                        event_date, precision = ctx.published.isoformat(), "day"
                place = destination = None
                after = text[t_end:s_end]
                if kind == "transferred":
                    pm = _PLACE_RE.match(after)
                    if pm:
                        place = pm.group("place")
                if kind in ("deported", "released"):
                    dm = _DEST_RE.match(after)
                    if dm and (kind == "deported" or re.search(r"вывез|доставл|отправ|переправ|выдвор|депорт", dm.group(0))):
                        destination = next(v for k, v in _DESTINATIONS.items() if dm.group("dest").lower().startswith(k))
                key = (kind, m.full, event_date)
                if key in seen:
                    continue
                seen.add(key)
                span = [min(m.start, t_start), max(m.end, t_end)]
                events.append({
                    "type": kind, "person": m.full, "date": event_date, "date_precision": precision,
                    "place": place, "destination": destination,
                    "case": _subset(text, s_start, s_end, s_start, s_end)["case"], "organisation": None,
                    "role": m.role if m.role not in _OFFICIAL else None,
                    "span": span, "text": text[span[0]:span[1]], "_dated": phrase is not None,
                })
    # an undated mention (a headline) gives way to a dated one of the same event
    dated = {(e["type"], e["person"]) for e in events if e["_dated"]}
    events = [e for e in events if e["_dated"] or (e["type"], e["person"]) not in dated]
    kept, pairs = [], set()
    for e in events:
        if not e["_dated"] and (e["type"], e["person"]) in pairs:
            continue
        pairs.add((e["type"], e["person"]))
        kept.append(e)
    for e in kept:
        e.pop("_dated")
    return kept


_FOLLOWING_NOUN = {"convicted": r"приговор|суд", "detained": r"задержани|арест", "released": r"освобо|свобод",
                   "died": r"смерт|умер|скончал", "transferred": r"этап", "deported": r"выдвор|депорт"}


def _following_day(ctx: Context, kind: str, s_end: int):
    """A day phrase in the next sentence that speaks of the same thing ("Приговор вынесла ... 7 июля")."""
    following = [(s, e) for s, e in ctx.sentences if s >= s_end]
    if not following or kind not in _FOLLOWING_NOUN:
        return None
    s, e = following[0]
    if not re.match(rf"\s*(?:{_FOLLOWING_NOUN[kind]})", ctx.text[s:e], re.IGNORECASE):
        return None
    days = [p for p in ctx.phrases if s <= p.start and p.end <= e and p.ref.precision == "day"]
    return days[0] if days else None


# --------------------------------------------------------------------------- entry


def extract_russian(text: str, published: date, gazetteer: Iterable[str] = ()) -> tuple[list[dict], list[dict]]:
    doc = _analyse(text)
    ctx = Context(text=text, published=published, phrases=find_time_phrases(text, published),
                  sentences=sentences(text, doc))
    names = tuple(sorted({n.strip() for n in gazetteer if n and n.strip()}))
    ctx.mentions = find_mentions(text, doc, names)
    return extract_claims(ctx), extract_events(ctx)
