"""Personal names of Belarus in any script, reduced to keys that can be compared.

The same person reaches the register as "Сяргей Ціханоўскі" (Belarusian),
"Тихановский Сергей Леонидович" (Russian, surname first, with patronymic),
"Siarhei Tsikhanouski" (Belarusian passport Latin), "Sergei Tikhanovsky"
(English press, from Russian), "Siarhiej Cichanoŭski" (Łacinka),
"Sergej Tihanovskij" (ISO 9) or "TSIKHANOUSKI Siarhei" (a list in capitals).
This module turns each of these into the same small pieces:

- `latin_key(token)`: a lower-case ASCII key of one word that is the same,
  or one or two letters apart, for all these spellings ("tihanavski");
- `surname_stem(token)`: the key of a surname with the female ending folded
  to the male one (Ціханоўская and Tsikhanouski share "tihanavski");
- `given_name_group(token)`: one id for the Belarusian, Russian and Latin
  forms of a given name and its diminutives (Алесь, Аляксандр, Александр,
  Aliaksandr and Sasha are all "aliaksandr");
- `parse_name(text)`: a `PersonName` with given name, surname and patronymic
  told apart, whatever the order and case;
- `token_similarity` and `name_similarity`: scores in [0, 1] for the
  matching step (Splink comparisons) to put into levels.

How `latin_key` works, in three steps:

1. Cyrillic letters are written in a plain Latin by the table `CYRILLIC_LATIN`
   (Belarusian і, ў, ґ, апостроф and Russian ъ, ё included, which ICU's
   Belarusian transform does not cover well); Latin letters with diacritics
   from Łacinka, ISO 9 and Polish or Czech spellings (č š ž ŭ ł ć ś ź ń ŝ â û)
   go through `LATIN_DIACRITICS`, and anything else through ICU's
   `Any-Latin; Latin-ASCII` (ñ, ö, ß, ...).
2. Spellings of one sound are folded to one letter or digraph: kh, x, h, g,
   gh are "h" (Belarusian г is h, Russian г is g); ts, tz, c before e/i/y and
   t are "t" (Belarusian ц where Russian has т: Ціханоўскі, Тихановский);
   dz and d are "d" (Дзмітрый, Дмитрий); ch, cz, tch and č are "ch"
   (ч); sh, sz, sch and š are "sh"; zh and ž are "zh"; w and a u after
   a, e or o are "v" (Belarusian ў where Russian has в: -оўскі, -овский,
   Kazlou, Kozlov).
3. Vowels are folded: j and y are "i"; an i between a consonant and a
   vowel is dropped, so a soft consonant reads as a hard one (Сяргей,
   Сергей, Siarhei, Sergei are all "sarhai"; Liudmila, Ludmila); a, e and o
   are "a" (Belarusian akanye: Казлоў, Козлов); an i between two vowels is
   dropped (-skaya, -skaia, -eyeu); doubled letters are written once. A
   Latin "oo" and a leading "ou" are "u" (Moody, Ouattara).

The key is a matching device, not a spelling: it loses the difference
between т and ц, д and дз, г and х, а and о, so it is compared, not shown.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz.distance import JaroWinkler

from chronicle.name_tables import DIMINUTIVES, GENERATOR_FORMS, MORE_FORMS

# --------------------------------------------------------------------------
# Step 1: from any script to plain Latin letters

CYRILLIC_LATIN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "ё": "io", "є": "ie",
    "ж": "zh", "з": "z", "и": "i", "і": "i", "ї": "ji", "й": "j", "к": "k", "л": "l", "м": "m",
    "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ў": "w", "ф": "f",
    "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e",
    "ю": "iu", "я": "ia",
}
"""Cyrillic letters of Belarusian, Russian and Ukrainian in a plain Latin that step 2 reads."""

LATIN_DIACRITICS = {
    "č": "ch", "ć": "ts", "š": "sh", "ś": "s", "ž": "zh", "ź": "z", "ŭ": "w", "ł": "l", "ń": "n",
    "ŝ": "shch", "ë": "io", "ö": "io", "ü": "iu", "â": "ia", "û": "iu", "ǎ": "ia", "ě": "ie", "ř": "rzh",
    "ʹ": "", "ʺ": "", "'": "", "’": "", "ʼ": "", "`": "",
}
"""Latin letters of Łacinka, ISO 9, Polish and Czech spellings whose ASCII folding by ICU would
lose the sound (ICU makes č a plain c, which in these systems is ц)."""

_APOSTROPHES = "'’ʼʹʺ`"
_DIACRITIC_SYSTEM_MARKS = set("čšžŭćśźńłŝěř")


@lru_cache(maxsize=1)
def _icu_ascii():
    """ICU's transform of any letter to ASCII, built once on first use (PyICU)."""
    import icu  # imported here: building a transliterator takes a moment

    return icu.Transliterator.createInstance("Any-Latin; Latin-ASCII")


def _is_cyrillic(text: str) -> bool:
    return any("\u0400" <= char <= "\u04ff" for char in text)


def to_plain_latin(token: str) -> str:
    """One word in lower-case ASCII letters, spelled as step 2 of `latin_key` expects.

    Cyrillic goes through `CYRILLIC_LATIN`; e after a consonant, and е, ё, ю,
    я at the start or after a vowel, keep the softness or the j sound the
    Latin spellings write ("ye", "ia"). Latin goes through `LATIN_DIACRITICS`
    and ICU. A word in a diacritic system (Łacinka, Czech: it has č, š, ŭ, ...)
    reads "ch" as х, so "Cichanoŭski" gives "tsikhanowski".
    """
    text = unicodedata.normalize("NFC", token.strip().lower())
    if _is_cyrillic(text):
        letters = []
        for index, char in enumerate(text):
            latin = CYRILLIC_LATIN.get(char)
            if latin is None:
                letters.append(char if char.isalpha() else "")
                continue
            before = text[index - 1] if index else ""
            if char in "еёюяє" and (not before or before in "аеёиіоуыэюяўьъ'’ʼ"):
                latin = "j" + latin.lstrip("i")
            letters.append(latin)
        text = "".join(letters)
    else:
        if _DIACRITIC_SYSTEM_MARKS & set(text):
            text = text.replace("ch", "kh")
        text = "".join(LATIN_DIACRITICS.get(char, char) for char in text)
        if not text.isascii():
            text = _icu_ascii().transliterate(text).lower()
    return re.sub(r"[^a-z]", "", text)


# --------------------------------------------------------------------------
# Step 2: one spelling for each sound

_CONSONANT_SPELLINGS = [
    # (pattern, replacement), applied in this order; upper-case letters are
    # placeholders so that later rules do not read them again.
    ("^ou", "u"), ("oo", "u"),
    ("shch", "Q"), ("szcz", "Q"), ("sch", "S"), ("tsch", "C"), ("tch", "C"), ("cz", "C"),
    ("ch", "C"), ("sz", "S"), ("sh", "S"), ("zh", "Z"), ("kh", "H"), ("gh", "H"), ("ph", "F"),
    ("th", "T"), ("ck", "K"), ("dzh", "DZ"), ("dz", "D"), ("ts", "T"), ("tz", "T"),
    ("c(?=[eiy])", "T"), ("c", "K"), ("x", "Ks"), ("q", "K"), ("w", "V"), ("g", "H"), ("h", "H"),
]
_PLACEHOLDER_SPELLING = {"Q": "shch", "S": "sh", "C": "ch", "Z": "zh"}
_VOWELS = "aeiouy"


def _fold_consonants(text: str) -> str:
    for pattern, replacement in _CONSONANT_SPELLINGS:
        text = re.sub(pattern, replacement, text)
    return text


def _fold_vowels(text: str) -> str:
    text = re.sub(r"[jyi]+", "i", text)
    text = re.sub(r"(?<=[aeo])u", "V", text)  # ў and a Latin u after a vowel: -ou, -au, -eu
    text = re.sub(r"(?<![aeiou])i(?=[aeou])", "", text)  # a soft consonant: Сяргей, Сергей; Lyudmila, Ludmila
    text = re.sub(r"[aeo]", "a", text)
    text = re.sub(r"(?<=[au])i(?=[au])", "", text)  # a glide between vowels: -aya, -aia, -eev/-eyeu
    return text


def _squeeze(text: str) -> str:
    return re.sub(r"(.)\1+", r"\1", text)


@lru_cache(maxsize=200_000)
def latin_key(token: str) -> str:
    """The comparable ASCII key of one word of a name, in any script and romanisation.

    >>> latin_key("Ціханоўскі"), latin_key("Тихановский"), latin_key("Tsikhanouski")
    ('tihanavski', 'tihanavski', 'tihanavski')
    >>> latin_key("Tikhanovsky") == latin_key("Cichanoŭski") == latin_key("Tihanovskij")
    True

    An empty string comes back for a token with no letters.
    """
    text = _fold_consonants(to_plain_latin(token))
    text = _fold_vowels(text)
    for placeholder, spelling in _PLACEHOLDER_SPELLING.items():
        text = text.replace(placeholder, spelling)
    return _squeeze(text.lower())


# --------------------------------------------------------------------------
# Surnames, patronymics and given names

_FEMALE_SURNAME_ENDINGS = (
    # (ending of the key of a female form, ending of the male form)
    ("ska", "ski"),  # -ская, -skaya, -skaja, -skaia, -ska
    ("tka", "tki"),  # -цкая, -tskaya
    ("ava", "av"),  # -ова, -ава, -ева: Kazlova, Kozlova, Ivanova
    ("ina", "in"),  # -ина, -іна: Sarokina, Sorokina
    ("ana", "an"),  # -ёна of -ён, -ина after ы, rarely
)

_PATRONYMIC = re.compile(
    r"(ович|евич|авіч|евіч|эвіч|овіч|ьевич|ьич|ич|овна|евна|аўна|еўна|ьевна|ична|інічна|ічна|івна"
    r"|ovich|evich|avich|ievich|ovna|evna|ichna|ovitch|avitch|ovych|ivna|auna|euna|eŭna|aŭna"
    r"|owitsch|ovič|evič|avič|ovics)$"
)
"""The endings of patronymics: Леанідавіч, Леонидович, Ільіч, Leanidavich, Леонидовна, Ільінічна."""

_FEMALE_PATRONYMIC = re.compile(r"(на|na|ічна|ична|ichna)$")


def is_patronymic(token: str) -> bool:
    """True for a word that ends as a patronymic does (Леанідавіч, Leonidovich, Аляксееўна).

    Surnames ending in -віч/-вич (Лукашэвіч) look like male patronymics; the
    caller (`parse_name`) only takes a word for a patronymic where the order
    of the name allows it.
    """
    word = token.strip().lower()
    return len(word) > 5 and bool(_PATRONYMIC.search(word))


def surname_stem(token: str) -> str:
    """The key of a surname with a female ending folded to the male one.

    Ціханоўская, Тихановская, Tsikhanouskaya, Tikhanovskaia and Cichanoŭskaja
    all give the stem of Tsikhanouski ("tihanavski"); Kazlova and Kozlova give
    that of Kazlou ("kazlav"). Surnames that do not change for women
    (Лукашэнка, Kavalchuk) keep their key.
    """
    key = latin_key(token)
    for female, male in _FEMALE_SURNAME_ENDINGS:
        if key.endswith(female) and len(key) > len(female) + 1:
            return key[: -len(female)] + male
    return key


@lru_cache(maxsize=1)
def given_name_index() -> dict[str, frozenset[str]]:
    """The key of every known form and diminutive of a given name, with the groups it belongs to.

    Rows of `chronicle.name_tables` whose forms share a key join one group,
    named after the row that comes first (generator rows before `MORE_FORMS`).
    """
    rows = GENERATOR_FORMS + MORE_FORMS
    order = {}
    for group, _ in rows:
        order.setdefault(group, len(order))
    parent = {group: group for group in order}
    group_of_key: dict[str, str] = {}

    def root(group: str) -> str:
        while parent[group] != group:
            group = parent[group]
        return group

    for group, forms in rows:
        for form in forms:
            key = latin_key(form)
            first, second = sorted((root(group_of_key.setdefault(key, group)), root(group)), key=order.get)
            parent[second] = first
    index = {key: frozenset({root(group)}) for key, group in group_of_key.items()}
    for group, forms in DIMINUTIVES:
        for form in forms:
            key = latin_key(form)
            index[key] = index.get(key, frozenset()) | {root(group)}
    return index


def given_name_groups(token: str) -> frozenset[str]:
    """The ids of the given names this word can be a form of (empty if unknown).

    A full form belongs to one group; a diminutive may belong to two (Саша is
    Аляксандр and Аляксандра; Женя is Яўген and Яўгенія).
    """
    return given_name_index().get(latin_key(token), frozenset())


def given_name_group(token: str) -> str:
    """One id for the Belarusian, Russian and Latin forms and diminutives of a given name.

    >>> given_name_group("Алесь") == given_name_group("Александр") == given_name_group("Aliaksandr")
    True

    A word that is not in `chronicle.name_tables` is its own group: its
    `latin_key`, so that unknown names still compare across scripts. A
    diminutive of two names gives the ids joined by "|", sorted.
    """
    groups = given_name_groups(token)
    return "|".join(sorted(groups)) if groups else latin_key(token)


def is_given_name(token: str) -> bool:
    """True for a word known as a given name or a diminutive in `chronicle.name_tables`."""
    return bool(given_name_groups(token))


# --------------------------------------------------------------------------
# A whole name


@dataclass(frozen=True)
class PersonName:
    """A personal name split into its parts; empty strings stand for parts not given.

    `given` and `surname` keep the spelling of the input (in title case when
    it was in capitals); `other_given` holds further given names. The
    properties give the keys the matching step compares.
    """

    text: str
    given: str = ""
    surname: str = ""
    patronymic: str = ""
    other_given: tuple[str, ...] = field(default=())

    @property
    def given_key(self) -> str:
        return latin_key(self.given)

    @property
    def given_group(self) -> str:
        return given_name_group(self.given) if self.given else ""

    @property
    def surname_key(self) -> str:
        return latin_key(self.surname)

    @property
    def surname_stem(self) -> str:
        return surname_stem(self.surname) if self.surname else ""

    @property
    def patronymic_key(self) -> str:
        return latin_key(self.patronymic)

    @property
    def is_female(self) -> bool | None:
        """From the patronymic or the surname's ending; None where neither tells."""
        if self.patronymic:
            return bool(_FEMALE_PATRONYMIC.search(self.patronymic.lower()))
        key = self.surname_key
        if self.surname and surname_stem(self.surname) != key:
            return True
        if key.endswith(("ski", "tki", "av", "in")):
            return False
        return None


def _tokens(text: str) -> list[str]:
    return [token for token in re.split(r"[\s,]+", text.strip()) if token]


def _is_upper(token: str) -> bool:
    letters = [char for char in token if char.isalpha()]
    return len(letters) > 1 and all(char.isupper() for char in letters)


def _display(token: str) -> str:
    """A word in capitals written in title case (TSIKHANOUSKI -> Tsikhanouski); others unchanged."""
    return token.title() if _is_upper(token) else token


def parse_name(text: str) -> PersonName:
    """Split a personal name into given name, surname and patronymic.

    Understood orders: "Given Surname", "Given Patronymic Surname", "Surname
    Given Patronymic" (Russian documents), "Given Surname Patronymic",
    "Surname, Given" (a comma after the first word), and "SURNAME Given"
    (the surname in capitals, as on lists and in passports). Without such a
    sign, a word found in the given-name table is the given name; failing
    that, the first word is.

    >>> name = parse_name("Тихановский Сергей Леонидович")
    >>> name.given, name.surname, name.patronymic
    ('Сергей', 'Тихановский', 'Леонидович')
    """
    tokens = _tokens(text)
    if not tokens:
        return PersonName(text=text)
    if len(tokens) == 1:
        return PersonName(text=text, surname=_display(tokens[0]))

    patronymic = ""
    candidates = [index for index in range(1, len(tokens)) if _may_be_patronymic(tokens, index)]
    if candidates:
        # Лукашэвіч looks like a patronymic too: prefer the word right after a given name.
        after_given = [index for index in candidates if is_given_name(tokens[index - 1])]
        index = (after_given or candidates)[-1]
        patronymic = tokens.pop(index)

    surname_index = _surname_position(text, tokens)
    surname = tokens[surname_index]
    given_names = tokens[:surname_index] + tokens[surname_index + 1 :]
    return PersonName(
        text=text,
        given=_display(given_names[0]) if given_names else "",
        surname=_display(surname),
        patronymic=_display(patronymic),
        other_given=tuple(_display(token) for token in given_names[1:]),
    )


def _may_be_patronymic(tokens: list[str], index: int) -> bool:
    """A word that ends as a patronymic, is no given name, and leaves a given name and a surname."""
    return len(tokens) > 2 and is_patronymic(tokens[index]) and not is_given_name(tokens[index])


def _surname_position(text: str, tokens: list[str]) -> int:
    """Where the surname stands among the words left once the patronymic is out."""
    if "," in text and len(tokens) >= 2:
        return 0
    capitals = [index for index, token in enumerate(tokens) if _is_upper(token)]
    if len(capitals) == 1 and len(tokens) > 1:
        return capitals[0]
    given = [is_given_name(token) for token in tokens]
    if given[0] and not all(given):
        # the first word is a given name: the surname is the first word that is not
        return next(index for index, known in enumerate(given) if not known)
    if not given[0] and any(given):
        return 0
    if all(given) and len(tokens) == 2:
        # "Ян Павел"? Surnames that are given names too (Raman, Ivan): prefer given name first
        return 1
    return len(tokens) - 1 if len(tokens) > 1 else 0


# --------------------------------------------------------------------------
# Comparing


def token_similarity(a: str, b: str) -> float:
    """How alike two words of a name are, from 0 to 1, across scripts.

    1.0 when their keys are equal; otherwise the Jaro-Winkler similarity of
    the keys, so that a single-letter typo ("Tsikhanouski", "Tsikhanoulski")
    scores about 0.95 and unrelated words score low.
    """
    key_a, key_b = latin_key(a), latin_key(b)
    if not key_a or not key_b:
        return 0.0
    return 1.0 if key_a == key_b else JaroWinkler.normalized_similarity(key_a, key_b)


def surname_similarity(a: str, b: str) -> float:
    """`token_similarity` of two surnames' stems: female and male forms compare as equal."""
    stem_a, stem_b = surname_stem(a), surname_stem(b)
    if not stem_a or not stem_b:
        return 0.0
    return 1.0 if stem_a == stem_b else JaroWinkler.normalized_similarity(stem_a, stem_b)


def given_name_similarity(a: str, b: str) -> float:
    """1.0 for forms of one given name (Сяргей, Sergei, Siarhei; Алесь, Аляксандр); else `token_similarity`.

    Two different known given names score at most 0.5, however alike their
    spelling (Aliaksandr and Aliaksandra, Yan and Yana), so that a wife and
    a husband, or a brother and a sister, stay apart.
    """
    groups_a, groups_b = given_name_groups(a), given_name_groups(b)
    if groups_a and groups_b:
        return 1.0 if groups_a & groups_b else min(0.5, token_similarity(a, b))
    return token_similarity(a, b)


def name_similarity(a: str | PersonName, b: str | PersonName) -> float:
    """How alike two whole names are, from 0 to 1: the mean of surname and given-name similarity.

    Patronymics count only when both names have one, as a third part of the
    mean; a name without a given name is compared on its surname alone.
    Dates of birth and other fields are for the matching step, not for this.
    """
    name_a = a if isinstance(a, PersonName) else parse_name(a)
    name_b = b if isinstance(b, PersonName) else parse_name(b)
    scores = [surname_similarity(name_a.surname, name_b.surname)]
    if name_a.given and name_b.given:
        scores.append(given_name_similarity(name_a.given, name_b.given))
    if name_a.patronymic and name_b.patronymic:
        scores.append(token_similarity(name_a.patronymic, name_b.patronymic))
    return sum(scores) / len(scores)
