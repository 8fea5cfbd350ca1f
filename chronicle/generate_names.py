"""Name tables for the synthetic data generator (chronicle.generate).

Every name is written in four forms: Belarusian Cyrillic, Russian Cyrillic,
the Belarusian passport Latin (`latin`, as in "Siarhei Tsikhanouski", the form
the register shows in English) and the Latin that comes from the Russian form
(`latin_ru`, as in "Sergei Tikhanovsky", the spelling foreign media often use).

Surnames are written in their masculine form with a declension class; the
feminine form of each script is derived from it by the rules of that script:

- `adjective` (-скі/-ский, -цкі/-цкий, -ы/-ый): Ціханоўская, Тихановская,
  Tsikhanouskaya, Tikhanovskaya;
- `possessive` (-оў/-ов, -еў/-ев, -ін/-ин): Казлова, Козлова, Kazlova, Kozlova;
- `fixed` (-ка/-ко, -віч/-вич, -ук, -ік, ...): the same for women and men.

The other tables name what a story meets: regions with their towns,
detention centres, pre-trial prisons and courts; colonies and prisons;
articles of the criminal and administrative codes; publishers and headlines
of sources; organisations, group cases and notes. Weighted tables are tuples
of `(value, relative weight)`. Place names use the Belarusian Latin
(Mahilioŭ, Viciebsk), as the register's region names do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

DECLENSIONS = ("adjective", "possessive", "fixed")
_DECLENSION_BY_LETTER = {"a": "adjective", "p": "possessive", "f": "fixed"}


@dataclass(frozen=True)
class NameForms:
    """One name (a given name or a surname) in the four spellings the generator uses."""

    be: str
    ru: str
    latin: str
    latin_ru: str


@dataclass(frozen=True)
class Surname:
    """A surname in its masculine forms, with the class that says how it changes for women."""

    masculine: NameForms
    declension: str  # one of DECLENSIONS

    def forms(self, *, female: bool) -> NameForms:
        """The surname as it is written for a woman or a man."""
        if not female or self.declension == "fixed":
            return self.masculine
        name = self.masculine
        if self.declension == "adjective":
            return NameForms(be=name.be[:-1] + "ая", ru=name.ru[:-2] + "ая", latin=name.latin[:-1] + "aya", latin_ru=name.latin_ru[:-1] + "aya")
        return NameForms(
            be=name.be[:-1] + "ва" if name.be.endswith("ў") else name.be + "а",
            ru=name.ru + "а",
            latin=name.latin[:-1] + "va" if name.latin.endswith("u") else name.latin + "a",
            latin_ru=name.latin_ru + "a",
        )


def _name_table(text: str) -> tuple[NameForms, ...]:
    """Read lines of `be ru latin latin_ru`."""
    return tuple(NameForms(*line.split()) for line in text.strip().splitlines())


def _surname_table(text: str) -> tuple[Surname, ...]:
    """Read lines of `be ru latin latin_ru class`, class a(djective), p(ossessive) or f(ixed)."""
    surnames = []
    for line in text.strip().splitlines():
        be, ru, latin, latin_ru, letter = line.split()
        surnames.append(Surname(NameForms(be, ru, latin, latin_ru), _DECLENSION_BY_LETTER[letter]))
    return tuple(surnames)


MALE_GIVEN_NAMES = _name_table("""
Адам Адам Adam Adam
Аляксандр Александр Aliaksandr Aleksandr
Аляксей Алексей Aliaksei Aleksei
Анатоль Анатолий Anatol Anatoly
Андрэй Андрей Andrei Andrey
Антон Антон Anton Anton
Арсеній Арсений Arseni Arseny
Арцём Артём Artsiom Artyom
Артур Артур Artur Artur
Аркадзь Аркадий Arkadz Arkady
Багдан Богдан Bahdan Bogdan
Барыс Борис Barys Boris
Вадзім Вадим Vadzim Vadim
Валерый Валерий Valery Valeriy
Валянцін Валентин Valiantsin Valentin
Васіль Василий Vasil Vasily
Віктар Виктор Viktar Viktor
Віталь Виталий Vital Vitaly
Вітольд Витольд Vitold Vitold
Вячаслаў Вячеслав Viachaslau Vyacheslav
Генадзь Геннадий Hienadz Gennady
Георгій Георгий Heorhi Georgy
Глеб Глеб Hleb Gleb
Давыд Давид Davyd David
Даніла Данила Danila Danila
Данііл Даниил Daniil Daniil
Дзмітрый Дмитрий Dzmitry Dmitry
Дзяніс Денис Dzianis Denis
Зміцер Дмитрий Zmitser Dmitry
Іван Иван Ivan Ivan
Ігар Игорь Ihar Igor
Ігнат Игнат Ihnat Ignat
Ілья Илья Ilya Ilya
Канстанцін Константин Kanstantsin Konstantin
Кірыл Кирилл Kiryl Kirill
Леанід Леонид Leanid Leonid
Леў Лев Leu Lev
Максім Максим Maksim Maksim
Марк Марк Mark Mark
Мацвей Матвей Matsvei Matvei
Мікалай Николай Mikalai Nikolai
Мікіта Никита Mikita Nikita
Міхаіл Михаил Mikhail Mikhail
Алег Олег Aleh Oleg
Алесь Алесь Ales Ales
Павел Павел Pavel Pavel
Пётр Пётр Piotr Pyotr
Раман Роман Raman Roman
Руслан Руслан Ruslan Ruslan
Рыгор Григорий Ryhor Grigory
Сяргей Сергей Siarhei Sergei
Сямён Семён Siamion Semyon
Станіслаў Станислав Stanislau Stanislav
Сцяпан Степан Stsiapan Stepan
Святаслаў Святослав Sviataslau Svyatoslav
Тарас Тарас Taras Taras
Цімафей Тимофей Tsimafei Timofei
Цімур Тимур Tsimur Timur
Уладзімір Владимир Uladzimir Vladimir
Уладзіслаў Владислав Uladzislau Vladislav
Фёдар Фёдор Fiodar Fyodor
Эдуард Эдуард Eduard Eduard
Эміль Эмиль Emil Emil
Эрык Эрик Eryk Erik
Юльян Юлиан Yulian Yulian
Юрый Юрий Yury Yuri
Ягор Егор Yahor Egor
Ян Ян Yan Yan
Яраслаў Ярослав Yaraslau Yaroslav
Яўген Евгений Yauhen Evgeny
""")

FEMALE_GIVEN_NAMES = _name_table("""
Аксана Оксана Aksana Oksana
Ала Алла Ala Alla
Алена Елена Alena Elena
Алеся Олеся Alesia Olesya
Аляксандра Александра Aliaksandra Aleksandra
Анастасія Анастасия Anastasiya Anastasia
Ангеліна Ангелина Anhelina Angelina
Анжэла Анжела Anzhela Anzhela
Антаніна Антонина Antanina Antonina
Арына Арина Aryna Arina
Валерыя Валерия Valeryia Valeria
Валянціна Валентина Valiantsina Valentina
Вера Вера Vera Vera
Вераніка Вероника Veranika Veronika
Вікторыя Виктория Viktoryia Viktoria
Вольга Ольга Volha Olga
Галіна Галина Halina Galina
Ганна Анна Hanna Anna
Дар'я Дарья Darya Darya
Дзіяна Диана Dziyana Diana
Ева Ева Eva Eva
Жанна Жанна Zhanna Zhanna
Зінаіда Зинаида Zinaida Zinaida
Зоя Зоя Zoya Zoya
Іна Инна Ina Inna
Ірына Ирина Iryna Irina
Ілона Илона Ilona Ilona
Каміла Камила Kamila Kamila
Карына Карина Karyna Karina
Кацярына Екатерина Katsiaryna Ekaterina
Кіра Кира Kira Kira
Крысціна Кристина Krystsina Kristina
Ксенія Ксения Kseniya Ksenia
Ларыса Лариса Larysa Larisa
Лідзія Лидия Lidziya Lidia
Лізавета Елизавета Lizaveta Elizaveta
Лілія Лилия Liliya Lilia
Любоў Любовь Liubou Lyubov
Людміла Людмила Liudmila Lyudmila
Мая Майя Maya Maya
Маргарыта Маргарита Marharyta Margarita
Марына Марина Maryna Marina
Марыя Мария Maryia Maria
Мілана Милана Milana Milana
Надзея Надежда Nadzeya Nadezhda
Настасся Анастасия Nastassia Anastasia
Наталля Наталья Natallia Natalya
Ніна Нина Nina Nina
Паліна Полина Palina Polina
Раіса Раиса Raisa Raisa
Рэгіна Регина Rehina Regina
Святлана Светлана Sviatlana Svetlana
Снежана Снежана Snezhana Snezhana
Соф'я Софья Sofia Sofya
Стэфанія Стефания Stefaniya Stefania
Таісія Таисия Taisiya Taisia
Тамара Тамара Tamara Tamara
Таццяна Татьяна Tatsiana Tatyana
Уладзіслава Владислава Uladzislava Vladislava
Ульяна Ульяна Uliana Ulyana
Эліна Элина Elina Elina
Эмілія Эмилия Emiliya Emilia
Юлія Юлия Yuliya Yulia
Яна Яна Yana Yana
Ядвіга Ядвига Yadviha Yadviga
Яўгенія Евгения Yauheniya Evgenia
""")

SURNAMES = _surname_table("""
Ціханоўскі Тихановский Tsikhanouski Tikhanovsky a
Кавалеўскі Ковалевский Kavaleuski Kovalevsky a
Савіцкі Савицкий Savitski Savitsky a
Лісоўскі Лисовский Lisouski Lisovsky a
Цыбульскі Цыбульский Tsybulski Tsybulsky a
Навіцкі Новицкий Navitski Novitsky a
Завадскі Завадский Zavadski Zavadsky a
Вішнеўскі Вишневский Vishneuski Vishnevsky a
Пятроўскі Петровский Piatrouski Petrovsky a
Шыманскі Шиманский Shymanski Shimansky a
Каменскі Каменский Kamenski Kamensky a
Быкоўскі Быковский Bykouski Bykovsky a
Лявіцкі Левицкий Liavitski Levitsky a
Дабравольскі Добровольский Dabravolski Dobrovolsky a
Сакалоўскі Соколовский Sakalouski Sokolovsky a
Красоўскі Красовский Krasouski Krasovsky a
Янкоўскі Янковский Yankouski Yankovsky a
Жукоўскі Жуковский Zhukouski Zhukovsky a
Міхалоўскі Михаловский Mikhalouski Mikhalovsky a
Дамброўскі Домбровский Dambrouski Dombrovsky a
Заслаўскі Заславский Zaslauski Zaslavsky a
Гарадзецкі Городецкий Haradzetski Gorodetsky a
Слуцкі Слуцкий Slutski Slutsky a
Астроўскі Островский Astrouski Ostrovsky a
Бароўскі Боровский Barouski Borovsky a
Сасноўскі Сосновский Sasnouski Sosnovsky a
Маліноўскі Малиновский Malinouski Malinovsky a
Лазоўскі Лазовский Lazouski Lazovsky a
Шчарбіцкі Щербицкий Shcharbitski Shcherbitsky a
Яблонскі Яблонский Yablonski Yablonsky a
Карпінскі Карпинский Karpinski Karpinsky a
Ракіцкі Ракитский Rakitski Rakitsky a
Бялы Белый Bialy Bely a
Чорны Чёрный Chorny Cherny a
Казлоў Козлов Kazlou Kozlov p
Іваноў Иванов Ivanou Ivanov p
Кавалёў Ковалёв Kavaliou Kovalyov p
Смірноў Смирнов Smirnou Smirnov p
Васільеў Васильев Vasilyeu Vasilyev p
Паўлаў Павлов Paulau Pavlov p
Марозаў Морозов Marozau Morozov p
Фёдараў Фёдоров Fiodarau Fyodorov p
Сцяпанаў Степанов Stsiapanau Stepanov p
Нікалаеў Николаев Nikalayeu Nikolaev p
Аляксееў Алексеев Aliakseyeu Alekseev p
Кузняцоў Кузнецов Kuzniatsou Kuznetsov p
Сяргееў Сергеев Siarheyeu Sergeev p
Зайцаў Зайцев Zaitsau Zaitsev p
Вараб'ёў Воробьёв Varabyou Vorobyov p
Салаўёў Соловьёв Salauyou Solovyov p
Макараў Макаров Makarau Makarov p
Андрэеў Андреев Andreyeu Andreev p
Ягораў Егоров Yahorau Egorov p
Раманаў Романов Ramanau Romanov p
Сарокін Сорокин Sarokin Sorokin p
Дзмітрыеў Дмитриев Dzmitryyeu Dmitriev p
Ільін Ильин Ilyin Ilyin p
Ганчароў Гончаров Hancharou Goncharov p
Кісялёў Киселёв Kisialiou Kiselyov p
Мядзведзеў Медведев Miadzviedzeu Medvedev p
Жукаў Жуков Zhukau Zhukov p
Сямёнаў Семёнов Siamionau Semyonov p
Бараноў Баранов Baranau Baranov p
Пятроў Петров Piatrou Petrov p
Арлоў Орлов Arlou Orlov p
Лябедзеў Лебедев Liabiedzeu Lebedev p
Фралоў Фролов Fralou Frolov p
Калінін Калинин Kalinin Kalinin p
Цімафееў Тимофеев Tsimafeyeu Timofeev p
Мацвееў Матвеев Matsveyeu Matveev p
Кірылаў Кириллов Kirylau Kirillov p
Бяляеў Беляев Bialiayeu Belyaev p
Сідараў Сидоров Sidarau Sidorov p
Шарапаў Шарапов Sharapau Sharapov p
Капусцін Капустин Kapustsin Kapustin p
Гусеў Гусев Huseu Gusev p
Навумаў Наумов Navumau Naumov p
Карнееў Корнеев Karneyeu Korneev p
Лукін Лукин Lukin Lukin p
Нікіцін Никитин Nikitsin Nikitin p
Траццякоў Третьяков Tratsiakou Tretyakov p
Шчарбакоў Щербаков Shcharbakou Shcherbakov p
Драздоў Дроздов Drazdou Drozdov p
Лукашэвіч Лукашевич Lukashevich Lukashevich f
Навумчык Наумчик Navumchyk Naumchik f
Шаўчэнка Шевченко Shauchenka Shevchenko f
Кавальчук Ковальчук Kavalchuk Kovalchuk f
Бондар Бондарь Bondar Bondar f
Мельнік Мельник Melnik Melnik f
Ткачук Ткачук Tkachuk Tkachuk f
Пашкевіч Пашкевич Pashkevich Pashkevich f
Лосік Лосик Losik Losik f
Калеснік Колесник Kalesnik Kolesnik f
Раманчук Романчук Ramanchuk Romanchuk f
Сідарэнка Сидоренко Sidarenka Sidorenko f
Мартынюк Мартынюк Martyniuk Martynyuk f
Жук Жук Zhuk Zhuk f
Гурыновіч Гуринович Hurynovich Gurinovich f
Бурак Бурак Burak Burak f
Карповіч Карпович Karpovich Karpovich f
Дашкевіч Дашкевич Dashkevich Dashkevich f
Багдановіч Богданович Bahdanovich Bogdanovich f
Якубовіч Якубович Yakubovich Yakubovich f
Мацкевіч Мацкевич Matskevich Matskevich f
Ярмошук Ярмошук Yarmoshuk Yarmoshuk f
Радзюк Радюк Radziuk Radyuk f
Кавалёнак Коваленок Kavalionak Kovalenok f
Мароз Мороз Maroz Moroz f
Грыб Гриб Hryb Grib f
Шульга Шульга Shulha Shulga f
Кулеш Кулеш Kulesh Kulesh f
Ярош Ярош Yarosh Yarosh f
Лаўрэнка Лавренко Laurenka Lavrenko f
Дубовік Дубовик Dubovik Dubovik f
Кузьміч Кузьмич Kuzmich Kuzmich f
Лысенка Лысенко Lysenka Lysenko f
Ціхановіч Тихонович Tsikhanovich Tikhonovich f
Шпак Шпак Shpak Shpak f
Карась Карась Karas Karas f
Мікуліч Микулич Mikulich Mikulich f
Новік Новик Novik Novik f
Гайдук Гайдук Haiduk Gaiduk f
Клімовіч Климович Klimovich Klimovich f
Змітровіч Змитрович Zmitrovich Zmitrovich f
Палейка Полейко Paleika Poleiko f
Юрчык Юрчик Yurchyk Yurchik f
Паўлючэнка Павлюченко Pauliuchenka Pavlyuchenko f
Швед Швед Shved Shved f
Гуцка Гуцко Hutska Gutsko f
Ляшкевіч Лешкевич Liashkevich Leshkevich f
Пракапенка Прокопенко Prakapenka Prokopenko f
Вайцяховіч Войтехович Vaitsiakhovich Voitekhovich f
Кірылюк Кирилюк Kiryliuk Kirilyuk f
Данілюк Данилюк Daniliuk Danilyuk f
Пятровіч Петрович Piatrovich Petrovich f
Яцкевіч Яцкевич Yatskevich Yatskevich f
Кот Кот Kot Kot f
Варанец Воронец Varanets Voronets f
Стрэльчык Стрельчик Strelchyk Strelchik f
Кравец Кравец Kravets Kravets f
Шымановіч Шиманович Shymanovich Shimanovich f
Малец Малец Malets Malets f
Кухарчык Кухарчик Kukharchyk Kukharchik f
Цвірка Цвирко Tsvirka Tsvirko f
Грышкевіч Гришкевич Hryshkevich Grishkevich f
Пазняк Позняк Pazniak Poznyak f
Гапановіч Гапанович Hapanovich Gapanovich f
Хадасевіч Ходасевич Khadasevich Khodasevich f
Лапко Лапко Lapko Lapko f
Сушко Сушко Sushko Sushko f
Ярмоленка Ярмоленко Yarmolenka Yarmolenko f
Саўчук Савчук Sauchuk Savchuk f
Бобрык Бобрик Bobryk Bobrik f
Лемяшэвіч Лемешевич Liamiashevich Lemeshevich f
Станкевіч Станкевич Stankevich Stankevich f
Вашкевіч Вашкевич Vashkevich Vashkevich f
Рудзько Рудько Rudzko Rudko f
Грынкевіч Гринкевич Hrynkevich Grinkevich f
Бутрым Бутрим Butrym Butrim f
Жданок Жданок Zhdanok Zhdanok f
Кандрацюк Кондратюк Kandratsiuk Kondratyuk f
Лагун Лагун Lahun Lagun f
Галубовіч Голубович Halubovich Golubovich f
Рыбак Рыбак Rybak Rybak f
Сянкевіч Сенкевич Siankevich Senkevich f
""")


# --------------------------------------------------------------------------
# Places


@dataclass(frozen=True)
class Region:
    """A region of residence, with its towns and the places where its people are held and tried."""

    name: str
    towns: tuple[str, ...]
    detention_centres: tuple[str, ...]
    pretrial_prisons: tuple[str, ...]
    courts: tuple[str, ...]


REGIONS: tuple[tuple[Region, float], ...] = (
    (Region(
        "Minsk city", ("Minsk",),
        ("Akrestsina detention centre, Minsk", "Temporary detention centre, Minsk", "GUBOPiK detention centre, Minsk"),
        ("Pre-trial prison No. 1 (Valadarka), Minsk", "Pre-trial prison No. 8, Žodzina"),
        (
            "Minsk City Court", "Partyzanski District Court of Minsk", "Leninski District Court of Minsk",
            "Frunzienski District Court of Minsk", "Maskoŭski District Court of Minsk", "Centralny District Court of Minsk",
            "Saviecki District Court of Minsk", "Zavodski District Court of Minsk",
        ),
    ), 38),
    (Region(
        "Minsk region", ("Barysaŭ", "Maladziečna", "Salihorsk", "Žodzina", "Sluck"),
        ("Temporary detention centre, Žodzina", "Temporary detention centre, Barysaŭ", "Temporary detention centre, Salihorsk"),
        ("Pre-trial prison No. 8, Žodzina", "Pre-trial prison No. 1 (Valadarka), Minsk"),
        ("Minsk Regional Court", "Barysaŭ District Court", "Maladziečna District Court", "Salihorsk District Court"),
    ), 12),
    (Region(
        "Brest region", ("Brest", "Baranavičy", "Pinsk", "Kobryn"),
        ("Temporary detention centre, Brest", "Temporary detention centre, Baranavičy", "Temporary detention centre, Pinsk"),
        ("Pre-trial prison No. 7, Brest", "Pre-trial prison No. 6, Baranavičy"),
        ("Brest Regional Court", "Leninski District Court of Brest", "Baranavičy District Court", "Pinsk District Court"),
    ), 9),
    (Region(
        "Hrodna region", ("Hrodna", "Lida", "Vaŭkavysk", "Slonim"),
        ("Temporary detention centre, Hrodna", "Temporary detention centre, Lida"),
        ("Prison No. 1 (pre-trial wing), Hrodna",),
        ("Hrodna Regional Court", "Leninski District Court of Hrodna", "Lida District Court", "Vaŭkavysk District Court"),
    ), 10),
    (Region(
        "Homiel region", ("Homiel", "Mazyr", "Rečyca", "Svietlahorsk", "Žlobin"),
        ("Temporary detention centre, Homiel", "Temporary detention centre, Mazyr"),
        ("Pre-trial prison No. 3, Homiel",),
        ("Homiel Regional Court", "Centralny District Court of Homiel", "Mazyr District Court", "Žlobin District Court"),
    ), 11),
    (Region(
        "Mahilioŭ region", ("Mahilioŭ", "Babrujsk", "Asipovičy", "Horki"),
        ("Temporary detention centre, Mahilioŭ", "Temporary detention centre, Babrujsk"),
        ("Pre-trial prison No. 4, Mahilioŭ",),
        ("Mahilioŭ Regional Court", "Leninski District Court of Mahilioŭ", "Babrujsk District Court"),
    ), 9),
    (Region(
        "Viciebsk region", ("Viciebsk", "Polacak", "Navapolacak", "Orša"),
        ("Temporary detention centre, Viciebsk", "Temporary detention centre, Orša", "Temporary detention centre, Polacak"),
        ("Pre-trial prison No. 2, Viciebsk",),
        ("Viciebsk Regional Court", "Kastryčnicki District Court of Viciebsk", "Orša District Court", "Polacak District Court"),
    ), 9),
)
ALL_TOWNS = tuple(town for region, _ in REGIONS for town in region.towns)

MEN_COLONIES = (
    "Penal colony No. 1, Navapolacak", "Penal colony No. 2, Babrujsk", "Penal colony No. 3, Viciebsk",
    "Penal colony No. 9, Horki", "Penal colony No. 10, Navapolacak", "Penal colony No. 11, Vaŭkavysk",
    "Penal colony No. 13, Hlybokaje", "Penal colony No. 15, Mahilioŭ", "Penal colony No. 17, Škloŭ",
    "Penal colony No. 20, Mazyr", "Penal colony No. 22, Ivacevičy",
)
WOMEN_COLONIES = ("Penal colony No. 4, Homiel", "Penal colony No. 24, Zarečča")
PRISONS = ("Prison No. 1, Hrodna", "Prison No. 4, Mahilioŭ", "Prison No. 8, Žodzina")
JUVENILE_COLONY = "Educational colony No. 2, Babrujsk"
PRISON_HOSPITAL = "Republican hospital for convicts, Minsk"
PSYCHIATRIC_EXAMINATION = "Republican Centre for Mental Health (forensic psychiatric examination), Minsk"
EXTRA_PRETRIAL_PRISONS = ("Pre-trial prison No. 1 (Valadarka), Minsk", "Pre-trial prison No. 8, Žodzina", "KGB pre-trial prison, Minsk")
# Every place of custody or trial: an earlier, retracted version of an event may name another one.
ALL_PLACES = tuple(sorted(
    {place for region, _ in REGIONS for place in region.detention_centres + region.pretrial_prisons + region.courts}
    | set(MEN_COLONIES) | set(WOMEN_COLONIES) | set(PRISONS)
))

COUNTRIES_OF_EXILE = (("Lithuania", 60), ("Poland", 15), ("Ukraine", 15), ("Latvia", 5), ("Germany", 5))
CITIZENSHIPS = (
    ("Russia", 35), ("Ukraine", 30), ("Poland", 8), ("Lithuania", 7), ("Latvia", 5), ("Kazakhstan", 5),
    ("Germany", 4), ("Georgia", 3), ("United States", 2), ("Japan", 1),
)

# --------------------------------------------------------------------------
# Articles of the codes

CRIMINAL_ARTICLES = (
    ("342-1", 30), ("368-1", 10), ("369", 10), ("130-3", 8), ("361-1", 8), ("361-4", 7), ("364", 6),
    ("293-2", 4), ("339-2", 3), ("391", 3), ("361-3", 3), ("361", 2), ("130-1", 2), ("370", 2),
    ("188", 1), ("356", 1.5), ("357-1", 0.8), ("289-2", 0.7),
)
SEVERE_ARTICLES = frozenset({"356", "357-1", "289-2"})  # treason, conspiracy, terrorism: long sentences
EXTENSION_ARTICLE = "411"  # malicious disobedience to the colony administration: a new term in the colony
# The Code of Administrative Offences was replaced on 1 March 2021 (23.34 became 24.23).
NEW_ADMINISTRATIVE_CODE = date(2021, 3, 1)
ADMINISTRATIVE_ARTICLES_OLD = (("23.34", 85), ("19.11", 8), ("23.4", 4), ("17.1", 3))
ADMINISTRATIVE_ARTICLES_NEW = (("24.23", 70), ("19.11", 22), ("24.3", 5), ("19.1", 3))
SENTENCE_LABELS = {"restricted_freedom": "restricted freedom", "suspended": "a suspended sentence", "fine": "a fine"}

# --------------------------------------------------------------------------
# Sources


@dataclass(frozen=True)
class Publisher:
    """A news outlet or monitor whose items the register cites, and the days it published."""

    name: str
    url_prefix: str
    first_day: int = date.min.toordinal()
    last_day: int = date.max.toordinal()


VIASNA = Publisher("Viasna", "https://spring96.org/en/news/")
PUBLISHERS = (
    (VIASNA, 28),
    (Publisher("Belsat", "https://belsat.eu/en/news/"), 12),
    (Publisher("Nasha Niva", "https://nashaniva.com/"), 10),
    (Publisher("Zerkalo", "https://news.zerkalo.io/life/", first_day=date(2021, 7, 1).toordinal()), 14),
    (Publisher("Tut.by", "https://news.tut.by/society/", last_day=date(2021, 5, 18).toordinal()), 8),
    (Publisher("Radio Svaboda", "https://www.svaboda.org/a/"), 9),
    (Publisher("Mediazona Belarus", "https://mediazona.by/news/"), 5),
    (Publisher("Euroradio", "https://euroradio.fm/en/"), 5),
    (Publisher("Dissidentby", "https://dissidentby.com/prisoners/"), 4),
    (Publisher("Belarusian Association of Journalists", "https://baj.media/en/"), 3),
    (Publisher("Hrodna.life", "https://hrodna.life/articles/"), 2),
)

# Headlines of public sources by topic (an event type, or an event type in an administrative episode).
HEADLINES: dict[str, tuple[str, ...]] = {
    "detained": (
        "Political detentions in {town}", "Searches and detentions in {town}", "Activists detained after searches",
        "Protesters detained in {town}", "Detained for comments on the internet", "Detentions continue: new names",
        "Detained for donations to solidarity funds",
    ),
    "detained_administrative": (
        "Detentions at protests in {town}", "Political detentions: new names", "Detained for a flag in the window",
        "Detained at a protest march", "Detained for a post in social networks",
    ),
    "charged": (
        "New politically motivated criminal cases", "Charged under Article {article}", "Criminal cases: new defendants",
        "Investigators bring charges against activists in {town}",
    ),
    "charged_administrative": (
        "Administrative reports for taking part in protests", "Courts in {town} hand down administrative arrests",
        "Trials of protesters over video link",
    ),
    "convicted": (
        "Political trials: verdicts of the week", "Court in {town} hands down verdicts", "Sentences in political cases",
        "Verdict announced in a political case",
    ),
    "transferred": (
        "Political prisoners transferred to colonies", "Where political prisoners are held now",
        "Political prisoner moved to another colony", "Transfers of political prisoners",
    ),
    "house_arrest": ("Preventive measure changed to house arrest", "Released under house arrest in {town}"),
    "released": (
        "Political prisoners released after serving their terms", "Released: names of the week",
        "Released from custody in {town}", "Political prisoner walks free",
    ),
    "released_administrative": (
        "Released after administrative arrest", "Protesters released from {town} detention centre",
        "Freed after serving administrative arrest",
    ),
    "pardoned": ("Pardoned political prisoners released", "New group of political prisoners pardoned", "Pardon: who was released"),
    "deported": ("Released political prisoners taken abroad", "Released and expelled from the country"),
    "died": ("Political prisoner dies in custody", "Death behind bars", "Former political prisoner has died"),
    "recognized": (
        "New political prisoners recognised", "Joint statement: new political prisoners",
        "Human rights defenders recognise more political prisoners",
    ),
    "recognition_ended": ("Statement on political prisoner status", "Status of political prisoner withdrawn"),
}
ADMINISTRATIVE_TOPICS = {kind: f"{kind}_administrative" for kind in ("detained", "charged", "released")}
RESTRICTED_TITLES = ("Lawyer's message", "Relative's report", "Letter from prison", "Former cellmate's account", "Message to the documentation hotline")
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December")

# --------------------------------------------------------------------------
# Organisations and cases

JOURNALIST_ROLES = (
    ("journalist", 45), ("editor", 15), ("photographer", 10), ("camera operator", 8), ("freelance contributor", 12),
    ("blogger", 7), ("editor-in-chief", 3),
)
MEMBER_ROLES = (("member", 60), ("volunteer", 18), ("coordinator", 10), ("chair", 2))
ROLES_BY_KIND = {
    "media outlet": JOURNALIST_ROLES,
    "journalists' association": (("member", 1),),
    "bar association": (("lawyer", 4), ("member", 1)),
    "university": (("student", 9), ("postgraduate student", 1)),
    "student union": (("member", 4), ("coordinator", 1)),
    "band": (("vocalist", 3), ("guitarist", 3), ("drummer", 2), ("bass player", 2), ("musician", 2)),
    "laboratory": (("researcher", 4), ("head of laboratory", 1)),
    "neighbourhood chat": (("member", 70), ("administrator", 20), ("moderator", 10)),
}

# (name, kind) of the organisations every package has.
KNOWN_ORGANISATIONS = (
    ("Belsat", "media outlet"), ("Nasha Niva", "media outlet"), ("Tut.by", "media outlet"), ("Zerkalo", "media outlet"),
    ("Radio Svaboda", "media outlet"), ("Euroradio", "media outlet"), ("Hrodna.life", "media outlet"),
    ("Intex-press", "media outlet"), ("Brestskaya Gazeta", "media outlet"), ("Homiel Today", "media outlet"),
    ("Mahilioŭ Region Media", "media outlet"), ("Viciebsk Courier", "media outlet"),
    ("Belarusian Association of Journalists", "journalists' association"),
    ("Viasna", "human rights group"), ("Belarusian Helsinki Committee", "human rights group"),
    ("Coordination Council", "civic initiative"), ("Honest People", "civic initiative"), ("Solidarity fund", "civic initiative"),
    ("Rail partisans", "underground group"), ("Presidential campaign team 2020", "campaign team"),
    ("BPF Party", "political party"), ("United Civic Party", "political party"), ("Belarusian Christian Democracy", "political party"),
    ("Belarusian Independent Trade Union", "trade union"), ("Radio and Electronics Workers' Union", "trade union"),
    ("Strike committee of Belaruskali, Salihorsk", "strike committee"), ("Strike committee of Hrodna Azot", "strike committee"),
    ("Strike committee of the Minsk Tractor Works", "strike committee"), ("Strike committee of Naftan, Navapolacak", "strike committee"),
    ("Minsk City Bar Association", "bar association"), ("Minsk Regional Bar Association", "bar association"),
    ("Belarusian Students' Association", "student union"),
    ("Belarusian State University", "university"), ("Belarusian National Technical University", "university"),
    ("Hrodna State University", "university"), ("Homiel State University", "university"), ("Brest State University", "university"),
    ("Viciebsk State University", "university"), ("Mahilioŭ State University", "university"),
    ("Laboratory of Social Research", "laboratory"), ("Laboratory of Applied Linguistics", "laboratory"),
    ("Pramen", "band"), ("Kryvi Sad", "band"), ("Bielyja Kruki", "band"), ("Zorny Pil", "band"), ("Ciomny Les", "band"),
)
# Neighbourhood chats: "<district> residents' chat, Minsk" and "<town> <district> residents' chat".
MINSK_DISTRICTS = (
    "Uručča", "Kamiennaja Horka", "Malinaŭka", "Sierabranka", "Zialiony Luh", "Čyžoŭka", "Sucharava", "Kurasoŭščyna",
    "Niamiha", "Loshytsa", "Sieraja Horka", "Vialiki Trascianiec",
)
TOWN_DISTRICTS = ("centre", "north", "railway district", "old town", "riverside")

# Subjects of the generated group cases: (subject of the name, whom the case is against).
CASE_SUBJECTS = (
    ("protest chat", "administrators and members of a local protest chat, charged with organising actions that grossly violate public order (Article 342)"),
    ("Telegram channel administrators", "administrators of a local Telegram channel declared extremist (Articles 361-1 and 130-3)"),
    ("rail partisans", "people accused of sabotage on the railway (Articles 289 and 361-1)"),
    ("comments on the death of an officer", "authors of comments in social networks, charged with incitement to hatred and insulting officials (Articles 130-3 and 369)"),
    ("donations to the Kalinouski regiment", "donors to volunteer units abroad (Article 361-4)"),
    ("'insulting the President'", "authors of posts and comments about the head of state (Article 368-1)"),
    ("yard flag", "residents who hung white-red-white flags in their yard (Article 342)"),
    ("strike committee", "workers who called for a strike in 2020 (Articles 342 and 361)"),
    ("anarchists", "members of an anarchist group (Articles 293 and 289)"),
    ("pensioners' march", "participants of the pensioners' marches of autumn 2020 (Article 342)"),
    ("students' strike", "students and lecturers who took part in protests (Article 342)"),
    ("photographers of protests", "journalists and photographers who covered the protests (Articles 342 and 361-4)"),
    ("subscribers of 'extremist' channels", "readers who sent photos and videos to independent media (Articles 361-4 and 130-3)"),
)

# (name, opened, organisation name, description): the big cases, in every package that reaches their opening.
KNOWN_CASES = (
    ("Case of the presidential campaign team", date(2020, 6, 11), "Presidential campaign team 2020", "Members of a 2020 presidential campaign team, charged with tax evasion and money laundering, later with calls against national security."),
    ("Case of the Coordination Council", date(2020, 8, 20), "Coordination Council", "Members of the Coordination Council, charged with calls to seize power (Article 361)."),
    ("Case of the Minsk Tractor Works strike committee", date(2020, 10, 26), "Strike committee of the Minsk Tractor Works", "Workers who organised a strike after the 2020 election (Article 342)."),
    ("Case of Honest People", date(2021, 1, 12), "Honest People", "Volunteers of an election observation initiative (Article 342)."),
    ("Case of Tut.by", date(2021, 5, 18), "Tut.by", "Editors and managers of the largest news portal, charged with tax evasion and incitement to hatred."),
    ("Case of Nasha Niva", date(2021, 7, 8), "Nasha Niva", "Editors of the oldest Belarusian newspaper (Article 216)."),
    ("Case of Viasna", date(2021, 7, 14), "Viasna", "Human rights defenders of Viasna, charged with smuggling and financing group actions that violate public order."),
    ("Case of the Belarusian Association of Journalists", date(2021, 7, 14), "Belarusian Association of Journalists", "Members of the journalists' association (Articles 342 and 361-1)."),
    ("Case of Belsat", date(2021, 11, 3), "Belsat", "Journalists and contributors of a television channel declared extremist (Article 361-1)."),
    ("Case of Radio Svaboda", date(2022, 1, 19), "Radio Svaboda", "Journalists of a media outlet declared extremist (Article 361-1)."),
    ("Case of the rail partisans", date(2022, 3, 1), "Rail partisans", "Sabotage on the railway at the start of the war in Ukraine (Articles 289 and 361-1)."),
    ("Case of the Belarusian Independent Trade Union", date(2022, 4, 19), "Belarusian Independent Trade Union", "Leaders and members of an independent trade union (Articles 342 and 361-1)."),
)

# --------------------------------------------------------------------------
# Notes on persons

PERSON_NOTES = (
    "Father of two children.", "Has serious health problems.", "Worked as an engineer at a state factory.",
    "IT specialist.", "Pensioner.", "Teacher at a secondary school.", "Doctor at a regional hospital.",
    "Took part in the 2020 protests in {town}.", "Held in a punishment cell several times.", "Incommunicado for months.",
    "Was on hunger strike.", "Entrepreneur.", "Former police officer who resigned in 2020.",
)
FEMALE_PERSON_NOTES = ("Mother of two children.", "Mother of a young child.")
# Contacts use the operator code 00, which does not exist: they can never reach a real person.
RESTRICTED_NOTE_TEMPLATES = (
    "Relative's phone (synthetic): +375 00 {number}",
    "Lawyer's contact (synthetic): +375 00 {number}",
    "Mother's phone (synthetic): +375 00 {number}; calls only after 18:00",
    "Contact through a former cellmate (synthetic): +375 00 {number}",
)
