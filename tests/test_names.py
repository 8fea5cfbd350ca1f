"""Name normalisation (chronicle.names): keys, stems, given-name groups, parsing and similarity."""

from __future__ import annotations

import pytest

from chronicle.generate_names import FEMALE_GIVEN_NAMES, MALE_GIVEN_NAMES, SURNAMES
from chronicle.name_tables import DIMINUTIVES, GENERATOR_FORMS, MORE_FORMS
from chronicle.names import (
    PersonName,
    given_name_group,
    given_name_groups,
    given_name_index,
    given_name_similarity,
    is_patronymic,
    latin_key,
    name_similarity,
    parse_name,
    surname_similarity,
    surname_stem,
    token_similarity,
)

TSIKHANOUSKI = [
    "Сяргей Ціханоўскі",
    "Сергей Тихановский Леонидович",
    "Тихановский Сергей Леонидович",
    "Siarhei Tsikhanouski",
    "Sergei Tikhanovsky",
    "Sergey Tikhanovskiy",
    "TSIKHANOUSKI Siarhei",
    "Tsikhanouski, Siarhei",
    "Siarhiej Cichanoŭski",
    "Sergej Tihanovskij",
    "СЯРГЕЙ ЦІХАНОЎСКІ",
    "Siarhei Leanidavich Tsikhanouski",
]


# --------------------------------------------------------------------------
# latin_key: one word in every script and romanisation

SAME_KEY = [
    # surname: Belarusian, Russian, passport, English press, Łacinka, ISO 9, BGN
    ("Ціханоўскі", "Тихановский"),
    ("Ціханоўскі", "Tsikhanouski"),
    ("Тихановский", "Tikhanovsky"),
    ("Tsikhanouski", "Tikhanovsky"),
    ("Tsikhanouski", "Cichanoŭski"),
    ("Tsikhanouski", "Tihanovskij"),
    ("Tsikhanouski", "Tikhanovskiy"),
    ("Tsikhanouski", "TSIKHANOUSKI"),
    ("Лукашэнка", "Лукашенко"),
    ("Lukashenka", "Lukashenko"),
    ("Лукашэнка", "Lukašenka"),
    ("Казлоў", "Козлов"),
    ("Kazlou", "Kozlov"),
    ("Іваноў", "Ivanov"),
    ("Ivanou", "Ivanoŭ"),
    ("Шчарбакоў", "Щербаков"),
    ("Shcharbakou", "Shcherbakov"),
    ("Мядзведзеў", "Медведев"),
    ("Miadzviedzeu", "Medvedev"),
    ("Кавалеўскі", "Kovalevsky"),
    ("Андрэеў", "Andreev"),
    ("Andreyeu", "Андреев"),
    ("Andreyeva", "Андреева"),
    ("Вараб'ёў", "Vorobyov"),
    ("Пятроў", "Petrov"),
    ("Ганчароў", "Goncharov"),
    ("Zhukouski", "Жуковский"),
    ("Žukoŭski", "Zhukovsky"),
    ("Кузняцоў", "Kuznetsov"),
    ("Прыгожы", "Prigozhy"),
    # given names
    ("Сяргей", "Сергей"),
    ("Siarhei", "Sergei"),
    ("Siarhei", "Sergey"),
    ("Siarhiej", "Sergej"),
    ("Аляксандр", "Александр"),
    ("Aliaksandr", "Aleksandr"),
    ("Святлана", "Светлана"),
    ("Sviatlana", "Svetlana"),
    ("Таццяна", "Татьяна"),
    ("Tatsiana", "Tatyana"),
    ("Дзмітрый", "Дмитрий"),
    ("Dzmitry", "Dmitry"),
    ("Юрый", "Yuri"),
    ("Yury", "Юрий"),
    ("Дар'я", "Darya"),
    ("Марыя", "Maria"),
    ("Людміла", "Ludmila"),
    ("Lyudmila", "Liudmila"),
    ("Ігар", "Igor"),
    ("Артём", "Artsiom"),
    ("Мікалай", "Mikalaj"),
    ("Мікалай", "Mikałaj"),
]


@pytest.mark.parametrize(("a", "b"), SAME_KEY)
def test_spellings_of_one_word_share_a_key(a, b):
    assert latin_key(a) == latin_key(b)


DIFFERENT_KEY = [
    ("Tsikhanouski", "Tsikhanovich"),
    ("Kazlou", "Kazlouski"),
    ("Ivanou", "Ivanenka"),
    ("Siarhei", "Sviatlana"),
    ("Иванов", "Петров"),
    ("Шевченко", "Шевчук"),
]


@pytest.mark.parametrize(("a", "b"), DIFFERENT_KEY)
def test_different_words_keep_different_keys(a, b):
    assert latin_key(a) != latin_key(b)


def test_the_key_is_lower_case_ascii_letters():
    for word in ["Ціханоўскі", "Cichanoŭski", "Ŝerbakov", "Muñoz", "Grønkjær", "Дар'я", "O'Brien", "Łukaszenko"]:
        key = latin_key(word)
        assert key and key.isascii() and key.isalpha() and key.islower(), (word, key)
    assert latin_key("") == ""
    assert latin_key("  ") == ""


def test_every_generated_surname_and_given_name_has_one_key_in_belarusian_and_russian():
    """The generator's own four spellings of each surname land on one surname stem; given names on one group."""
    for surname in SURNAMES:
        for female in (False, True):
            forms = surname.forms(female=female)
            stems = {surname_stem(form) for form in (forms.be, forms.ru, forms.latin, forms.latin_ru)}
            assert len(stems) <= 2, (forms, stems)  # Belarusian and Russian may differ by a vowel (Шчарбіцкі)
            assert surname_similarity(forms.latin, forms.latin_ru) >= 0.85, forms
    for name in MALE_GIVEN_NAMES + FEMALE_GIVEN_NAMES:
        groups = {given_name_group(form) for form in (name.be, name.ru, name.latin, name.latin_ru)}
        assert len(groups) == 1, (name, groups)


def test_generated_surnames_mostly_share_an_exact_stem_across_scripts():
    same = sum(
        len({surname_stem(s.masculine.be), surname_stem(s.masculine.ru), surname_stem(s.masculine.latin),
             surname_stem(s.masculine.latin_ru)}) == 1
        for s in SURNAMES
    )
    assert same / len(SURNAMES) >= 0.8


# --------------------------------------------------------------------------
# surname stems: female and male forms


@pytest.mark.parametrize(
    ("female", "male"),
    [
        ("Ціханоўская", "Ціханоўскі"),
        ("Тихановская", "Tsikhanouski"),
        ("Tsikhanouskaya", "Tsikhanouski"),
        ("Tsikhanouskaja", "Tikhanovsky"),
        ("Tikhanovskaia", "Tikhanovskiy"),
        ("Cichanoŭskaja", "Cichanoŭski"),
        ("Tsikhanowska", "Tsikhanouski"),
        ("Казлова", "Казлоў"),
        ("Kozlova", "Kazlou"),
        ("Andreyeva", "Andreyeu"),
        ("Сарокіна", "Sorokin"),
        ("Слуцкая", "Slutsky"),
    ],
)
def test_female_and_male_surnames_share_a_stem(female, male):
    assert surname_stem(female) == surname_stem(male)
    assert surname_similarity(female, male) == 1.0


def test_a_surname_that_does_not_change_keeps_its_key():
    assert surname_stem("Лукашэнка") == latin_key("Лукашэнка")
    assert surname_stem("Kavalchuk") == latin_key("Kavalchuk")


# --------------------------------------------------------------------------
# given names: Belarusian and Russian forms, diminutives


@pytest.mark.parametrize(
    "forms",
    [
        ["Сяргей", "Сергей", "Siarhei", "Sergei", "Serhii", "Серёжа"],
        ["Аляксандр", "Александр", "Алесь", "Ales", "Aliaksandr", "Alexander", "Oleksandr"],
        ["Мікалай", "Мікола", "Николай", "Mikalai", "Nikolai", "Mykola", "Коля"],
        ["Кацярына", "Екатерина", "Katsiaryna", "Ekaterina", "Yekaterina", "Катя"],
        ["Дзмітрый", "Дмитрий", "Зміцер", "Zmitser", "Dmitry", "Дима"],
        ["Вольга", "Ольга", "Volha", "Olga"],
        ["Ганна", "Анна", "Hanna", "Anna"],
        ["Алена", "Елена", "Alena", "Elena", "Yelena", "Olena"],
        ["Яўген", "Евгений", "Yauhen", "Yevgeny", "Evgeny"],
        ["Уладзімір", "Владимир", "Uladzimir", "Vladimir", "Вова"],
        ["Анастасія", "Настасся", "Анастасия", "Nastya"],
    ],
)
def test_forms_of_a_given_name_share_a_group(forms):
    groups = {form: given_name_groups(form) for form in forms}
    common = frozenset.intersection(*groups.values())
    assert common, groups
    for a in forms:
        assert given_name_similarity(a, forms[0]) == 1.0


def test_group_ids_are_readable():
    assert given_name_group("Алесь") == "aliaksandr"
    assert given_name_group("Николай") == "mikalai"
    assert given_name_group("Sergei") == "siarhei"
    assert given_name_group("Саша") == "aliaksandr|aliaksandra"
    assert given_name_group("Zygfryd") == latin_key("Zygfryd")  # unknown: its own key


def test_the_table_has_at_least_eighty_given_names_and_no_key_in_two_full_names():
    index = given_name_index()
    groups = {group for value in index.values() for group in value}
    assert len(groups) >= 80
    full_form_keys = {latin_key(form) for _, forms in GENERATOR_FORMS + MORE_FORMS for form in forms}
    shared = {key: index[key] for key in full_form_keys if len(index[key]) > 1}
    assert not shared
    assert all(group in groups for group, _ in DIMINUTIVES)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Siarhei", "Sviatlana"),
        ("Сяргей", "Святлана"),
        ("Aliaksandr", "Aliaksandra"),
        ("Ян", "Яна"),
        ("Яўген", "Яўгенія"),
        ("Ivan", "Ihar"),
        ("Mikalai", "Mikhail"),
    ],
)
def test_different_given_names_stay_apart(a, b):
    assert not (given_name_groups(a) & given_name_groups(b))
    assert given_name_similarity(a, b) <= 0.5


# --------------------------------------------------------------------------
# parse_name: order, case, patronymic


@pytest.mark.parametrize("text", TSIKHANOUSKI)
def test_parse_finds_given_name_and_surname_in_any_order(text):
    name = parse_name(text)
    assert name.given_group == "siarhei", name
    assert name.surname_stem == "tihanavski", name


def test_parse_takes_the_patronymic_out():
    name = parse_name("Тихановский Сергей Леонидович")
    assert (name.surname, name.given, name.patronymic) == ("Тихановский", "Сергей", "Леонидович")
    name = parse_name("Siarhei Leanidavich Tsikhanouski")
    assert (name.given, name.patronymic, name.surname) == ("Siarhei", "Leanidavich", "Tsikhanouski")
    assert latin_key("Леонидович") == latin_key("Leonidovich")
    assert parse_name("Ціханоўская Святлана Георгіеўна").is_female is True
    assert parse_name("Тихановский Сергей Леонидович").is_female is False


def test_a_surname_in_vich_is_not_taken_for_a_patronymic():
    assert is_patronymic("Лукашэвіч") and is_patronymic("Leanidavich")
    assert parse_name("Аляксандр Лукашэвіч").surname == "Лукашэвіч"
    assert parse_name("Лукашэвіч Аляксандр").surname == "Лукашэвіч"
    name = parse_name("Аляксандр Іванавіч Лукашэвіч")
    assert (name.given, name.patronymic, name.surname) == ("Аляксандр", "Іванавіч", "Лукашэвіч")
    name = parse_name("Лукашэвіч Аляксандр Іванавіч")
    assert (name.surname, name.given, name.patronymic) == ("Лукашэвіч", "Аляксандр", "Іванавіч")


def test_parse_reads_capitals_and_commas():
    name = parse_name("TSIKHANOUSKI Siarhei")
    assert (name.surname, name.given) == ("Tsikhanouski", "Siarhei")
    name = parse_name("Ivanou, Aliaksandr")
    assert (name.surname, name.given) == ("Ivanou", "Aliaksandr")
    name = parse_name("Siarhei TSIKHANOUSKI")
    assert (name.surname, name.given) == ("Tsikhanouski", "Siarhei")


def test_parse_edge_cases():
    assert parse_name("") == PersonName(text="")
    assert parse_name("Tsikhanouski").surname == "Tsikhanouski"
    name = parse_name("Maria Kalesnikava")
    assert (name.given, name.surname) == ("Maria", "Kalesnikava")
    assert parse_name("Kalesnikava Maria").surname == "Kalesnikava"


# --------------------------------------------------------------------------
# name_similarity: whole names


@pytest.mark.parametrize("text", TSIKHANOUSKI)
def test_every_spelling_of_tsikhanouski_is_one_name(text):
    assert name_similarity(text, "Siarhei Tsikhanouski") == 1.0


def test_the_wife_stays_apart_on_the_given_name():
    husband, wife = "Siarhei Tsikhanouski", "Sviatlana Tsikhanouskaya"
    assert surname_similarity("Tsikhanouski", "Tsikhanouskaya") == 1.0
    assert name_similarity(husband, wife) <= 0.75
    assert name_similarity("Святлана Ціханоўская", wife) == 1.0
    assert name_similarity("Светлана Тихановская", "Sviatlana Tsikhanouskaya") == 1.0


def test_namesakes_are_one_name():
    """Two Aliaksandr Ivanou are the same on the name level; birth dates (the Splink part) tell them apart."""
    assert name_similarity("Aliaksandr Ivanou", "Александр Иванов") == 1.0
    assert name_similarity("Aliaksandr Ivanou", "Aliaksandr Ivanou") == 1.0
    assert name_similarity("Aliaksandr Ivanou", "Aliaksandra Ivanova") <= 0.75


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Tsikhanouski", "Tsikhanowski"),
        ("Tsikhanouski", "Tsikhanouskii"),
        ("Tsikhanouski", "Tsikhanoulski"),
        ("Tsikhanouski", "Tsikhamouski"),
        ("Tsikhanouski", "Tsihkanouski"),
        ("Тихановский", "Тихоновский"),
        ("Kavaleuski", "Kavaleuskі"),  # a Cyrillic і typed among Latin letters
        ("Lukashenka", "Lukashanka"),
        ("Aliaksandr", "Aliaksander"),
        ("Kalesnikava", "Kalesnikva"),
    ],
)
def test_a_single_letter_typo_stays_close(a, b):
    assert token_similarity(a, b) >= 0.9


@pytest.mark.parametrize(
    ("a", "b"),
    [("Tsikhanouski", "Kavalchuk"), ("Ivanou", "Piatrou"), ("Лукашэнка", "Ціханоўскі"), ("Kazlou", "Lukashenka")],
)
def test_different_surnames_score_low(a, b):
    assert token_similarity(a, b) < 0.8


def test_similarity_is_symmetric():
    for a, b in [("Сяргей Ціханоўскі", "Sviatlana Tsikhanouskaya"), ("Ivanou Aliaksandr", "Петров Иван"),
                 ("Tsikhanouski", "Tsikhanoulski")]:
        assert name_similarity(a, b) == name_similarity(b, a)
