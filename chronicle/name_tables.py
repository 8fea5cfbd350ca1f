"""Given names of Belarus in their Belarusian, Russian and Latin forms, with diminutives.

Data only; `chronicle.names` reads it. A given name is a group with an id
(the Belarusian passport Latin of its full form, lower case: "aliaksandr",
"katsiaryna") and its forms in every script. The groups come from three
places:

- the generator's tables (`chronicle.generate_names.MALE_GIVEN_NAMES` and
  `FEMALE_GIVEN_NAMES`: Belarusian, Russian, Belarusian Latin, Russian Latin);
- `MORE_FORMS` below: other full forms of the same name (Ukrainian, Polish,
  Łacinka, English) and names the generator does not use;
- `DIMINUTIVES` below: short and familiar forms, which may belong to two
  groups (Саша is both Аляксандр and Аляксандра). A diminutive whose key is
  that of another full name is left out: Оля would read as Ала (Алла),
  Женя as Жанна.

Forms of two rows that share a spelling join one group: Зміцер and Дзмітрый
both have the Russian Дмитрий, Настасся and Анастасія both have Анастасия.
Spellings a key already makes equal (Sergei, Sergey, Siarhei, Sergej) need
not be listed.
"""

from __future__ import annotations

from chronicle.generate_names import FEMALE_GIVEN_NAMES, MALE_GIVEN_NAMES


def _rows(text: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Read lines of `id: form form ...`."""
    rows = []
    for line in text.strip().splitlines():
        group, forms = line.split(":")
        rows.append((group.strip(), tuple(forms.split())))
    return tuple(rows)


GENERATOR_FORMS: tuple[tuple[str, tuple[str, ...]], ...] = tuple(
    (name.latin.lower(), (name.be, name.ru, name.latin, name.latin_ru))
    for name in MALE_GIVEN_NAMES + FEMALE_GIVEN_NAMES
)
"""One row for each given name of the generator, its id the Belarusian passport Latin."""

MORE_FORMS = _rows("""
aliaksandr: Алесь Ales Aleś Alaksandar Аляксандар Alexander Alexandr Aleksander Oleksandr Олександр
aliaksei: Alexei Alexey Oleksii Олексій Aleksiej Аляксей
andrei: Andrej Andrzej Andrii Андрій Andriy Andrew
anatol: Anatoliy Anatolii Анатолій
arkadz: Arkadiy Arkadii
artsiom: Artem Artiom Артем
bahdan: Bohdan Богдан
dzmitry: Dmytro Дмитро Zmicier Zmitsier Zmiter Змітрок Dmitriy Dmitrii
hienadz: Genadz Henadz Gennadiy Gennadii Hienadź
heorhi: Georgiy Georgii Heorhiy
ihar: Ігор Ihor Igar
ivan: Іван
kanstantsin: Kanstancin Kastus Кастусь Konstantyn Kostiantyn Костянтин Constantin
kiryl: Kyrylo Кирило Cyril
leanid: Leonid Leonyd Леонід
mikalai: Мікола Mikola Mykola Микола Mikałaj Nikolay Nikolaj Mikolaj Nicholas
mikhail: Міхась Mikhas Michas Mykhailo Михайло Michał Michael Mikhal
pavel: Pavlo Павло Paweł Paul
piotr: Petr Petro Петро Piotra Пятро Peter
raman: Roman
ryhor: Hryhoryi Grigoriy Hryhorii Григорій Рыгор Grzegorz
siarhei: Serhii Сергій Serhiy Sergiusz Serge
stanislau: Stanisław Станіслав
uladzimir: Volodymyr Володимир Wladimir Włodzimierz Uladzimer
uladzislau: Vladyslav Владислав Władysław
viachaslau: Viacheslav Vyacheslav Вячаслаў
viktar: Viktor Wiktor Victor
vasil: Vasyl Василь Wasyl Vasiliy Vasilii
yauhen: Yevgeny Yevgeniy Evgenii Yevhen Євген Jauhien
yury: Yurii Yuriy Юрій Jerzy Juras Юрась Jury
fiodar: Fedor Fiodor Fedir Федір Teodor
aliaksandra: Oleksandra Олександра Alexandra Aleksandra
alena: Olena Олена Yelena Алёна Alyona
anastasiya: Anastasiia Анастасія
hanna: Anna Ганна Anya Hanna
katsiaryna: Kateryna Катерина Katerina Katarzyna Katsiarina Katherine Catherine Kaciaryna
liudmila: Ludmila Lyudmyla Людмила
maryia: Mariia Maria Mariya Marija Maria Mary Maryja Марія
natallia: Natalia Nataliya Наталія Nataliia Natalla Natalie
volha: Olga Olha Ольга Wolha
tatsiana: Tatiana Tetiana Тетяна Taciana Tatyana
sviatlana: Svetlana Svitlana Світлана Swiatlana
yauheniya: Yevgeniya Evgeniya Yevheniia Jauhienija
iryna: Irina Ірина Iryna
yuliya: Yuliia Julia Yulia Юлія
nadzeya: Nadiya Nadiia Надія
ina: Інна Іна Ina Inna
""")
"""Other full forms: Ukrainian, Polish, Łacinka and English spellings the keys do not already join."""

DIMINUTIVES = _rows("""
aliaksandr: Саша Sasha Саня Sanya Шура Shura Санька Сашка Алик Alik
aliaksandra: Саша Sasha Шура Shura Саня Sanya
aliaksei: Лёша Lesha Liosha Алёша Alyosha Лёха Лекса
andrei: Андрюша Andriusha
anastasiya: Настя Nastya Nastia Стася
dzmitry: Дима Dima Дзіма Dzima Міця Mitia Митя
hanna: Аня Ганя Нюра Ганулька Anechka
ivan: Ваня Vania Vanya Іванка
katsiaryna: Каця Катя Katya Katia Kacia Каціна
kanstantsin: Костя Kostia Kostya
liudmila: Люда Liuda Lyuda Мила
maryia: Маша Masha Маня Маруся Marusia Манька
mikalai: Коля Kolya Kolia Міколка
mikhail: Миша Misha Міша Мішка
natallia: Наташа Natasha Ната Наталка
nadzeya: Надя Nadia Nadya
pavel: Паша Pasha Павлік Павлик
piotr: Петя Petya Петрусь Pietrus
siarhei: Серёжа Seryozha Сярожа Сяргейка Серега
sviatlana: Света Sveta Святланка
tatsiana: Таня Tania Tanya
uladzimir: Вова Vova Валодзя Володя Volodya Валодзька
uladzislau: Влад Vlad Уладзік
viachaslau: Слава Slava Славік
viktar: Витя Vitya Віця
yauhen: Яўгенка Zheka Жека
yury: Юра Yura Юрка Yurka
volha: Олечка Волечка
iryna: Ира Ira Ірка
yuliya: Юля Yulia Yulya
stanislau: Стась Stas Стас
vasil: Вася Vasya Васілька
alena: Лена Lena
""")
"""Short and familiar forms; one may stand in two groups."""
