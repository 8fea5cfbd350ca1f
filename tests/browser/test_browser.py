"""The web app as a person uses it: Debian's Chromium, driven by Playwright, clicking and typing.

The server is `chronicle serve` on a synthetic register with a few known
persons (harness.py); a loopback server is the local operator's, so the
internal pages answer as well as the public ones.
"""

from __future__ import annotations

import csv
import io
import re

from harness import KNOWN_PERSONS
from playwright.sync_api import Page, expect


def number(text: str) -> int:
    """A figure as shown on a page ("1,174", "1 174") as an integer."""
    digits = re.sub(r"\D", "", text)
    assert digits, f"no number in {text!r}"
    return int(digits)


def test_a_person_is_found_by_a_spelling_in_another_script_and_opened(page: Page):
    page.goto("/persons")
    everyone = number(page.locator("h1 .count").inner_text())
    search = page.get_by_label("Name, in any script or spelling")
    search.click()
    search.press_sequentially("Tsikhanouski")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"/persons\?q=Tsikhanouski"))
    found = page.locator("table.list tbody tr")
    assert 1 <= found.count() < everyone
    person = page.get_by_role("link", name="Сяргей Ціханоўскі", exact=True)
    expect(person).to_be_visible()
    person.click()
    expect(page).to_have_url(re.compile(r"/persons/known-1$"))
    expect(page.locator("h1")).to_have_text("Сяргей Ціханоўскі")
    expect(page.locator("dd[lang=en]")).to_have_text("Siarhei Tsikhanouski")
    expect(page.locator("ol.timeline")).to_contain_text("convicted")
    expect(page.locator(".status-line")).to_contain_text("political prisoner")


def test_a_headline_figure_opens_its_explanation_with_as_many_items(page: Page):
    page.goto("/dashboard")
    card = page.locator(".card.main a")
    expect(card).to_contain_text("Political prisoners")
    figure = number(card.locator(".value").inner_text())
    assert figure > 0
    card.click()
    expect(page).to_have_url(re.compile(r"/explain/political_prisoners\?as_of=\d{4}-\d\d-\d\d$"))
    assert number(page.locator("h1 .count").inner_text()) == figure
    expect(page.locator("ol.explain > li")).to_have_count(figure)
    expect(page.locator("ol.explain")).to_contain_text("Сяргей Ціханоўскі")
    expect(page.locator("ol.explain")).to_contain_text("Withheld Prisoner")  # staff see everyone the figure counts


def test_the_explanation_of_a_month_figure_downloads_as_csv(page: Page):
    page.goto("/dashboard")
    page.get_by_label("As of the end of").fill("2020-09-30")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"as_of=2020-09-30"))
    arrests = page.locator("table.compact tr", has_text="Arrests").get_by_role("link")
    figure = number(arrests.inner_text())
    assert figure >= 1  # Maryia Kalesnikava, detained on 7 September 2020
    arrests.click()
    expect(page).to_have_url(re.compile(r"/explain/arrests\?from=2020-09-01&to=2020-09-30$"))
    expect(page.locator("ol.explain > li")).to_have_count(figure)
    with page.expect_download() as waiting:
        page.get_by_role("link", name="Download this list (CSV)").click()
    download = waiting.value
    assert download.suggested_filename == "arrests_2020-09-01_2020-09-30.csv"
    with open(download.path(), encoding="utf-8") as handle:
        rows = list(csv.DictReader(io.StringIO(handle.read())))
    assert len(rows) == figure
    assert {row["type"] for row in rows} == {"detained"}
    assert "Maryia Kalesnikava" in {row["name"] for row in rows}


def test_the_header_links_switch_the_language_and_back(page: Page):
    page.goto("/public/prisoners")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "en")
    languages = page.locator("nav.languages")
    for label, code in (("Беларуская", "be"), ("Русский", "ru"), ("English", "en")):
        languages.get_by_role("link", name=label).click()
        expect(html).to_have_attribute("lang", code)
        expect(page).to_have_url(re.compile(r"/public/prisoners$"))
        expect(languages.locator("a[aria-current]")).to_have_text(label)
        expect(page.locator("table.prisoners tbody tr").first).to_be_visible()
        expect(page.locator("table.prisoners")).to_contain_text("Maryia Kalesnikava")


def test_the_public_list_filters_by_region_and_opens_a_person_without_javascript(page_without_scripts: Page):
    page = page_without_scripts
    page.goto("/")
    page.get_by_role("link", name="See the list of political prisoners").click()
    expect(page).to_have_url(re.compile(r"/public/prisoners$"))
    everyone = number(page.locator("h1 .count").inner_text())
    page.get_by_label("Region").select_option("Homiel region")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"region=Homiel\+region"))
    listed = number(page.locator("h1 .count").inner_text())
    assert 1 <= listed < everyone
    regions = page.locator("table.prisoners tbody tr td:nth-child(2)").all_inner_texts()
    assert regions and set(regions) == {"Homiel region"}
    withheld = next(person["name"] for person in KNOWN_PERSONS if person["public"] == "false")
    expect(page.locator("table.prisoners")).not_to_contain_text(withheld)
    page.get_by_role("link", name="Сяргей Ціханоўскі", exact=True).click()
    expect(page).to_have_url(re.compile(r"/public/prisoners/known-1$"))
    expect(page.locator("h1")).to_have_text("Сяргей Ціханоўскі")
    expect(page.locator("ol.timeline")).to_contain_text("216 months")
    expect(page.locator("ol.timeline")).to_contain_text("Viasna: political prisoners")


def test_an_event_added_through_its_form_changes_the_status(page: Page):
    page.goto("/persons/known-4")
    status = page.locator(".status-line")
    expect(status).to_contain_text("behind bars")
    page.get_by_role("link", name="Add an event").click()
    page.get_by_role("link", name=re.compile(r"^released\b")).click()
    expect(page.locator("h1")).to_have_text("New event of Уладзімір Кавалёў")
    page.get_by_label("Date").press_sequentially("2026-02-14")
    page.get_by_label("Why custody ended").select_option("end_of_term")
    page.locator("fieldset.sources").get_by_label(re.compile(r"Viasna: political prisoners")).check()
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page).to_have_url(re.compile(r"/persons/known-4$"))
    expect(status).to_contain_text("released")
    expect(status).not_to_contain_text("behind bars")
    released = page.locator("ol.timeline li.event-released")
    expect(released).to_contain_text("Feb 14, 2026")
    expect(released).to_contain_text("end of term")
    expect(released).to_contain_text("Viasna: political prisoners")


INTAKE_TEXT = (
    "Minsk, 3 March 2026. Human rights defenders report that Ihar Barysevich was released from the penal colony "
    "in Navapolacak on Monday after serving his full sentence. At least 1,100 political prisoners remain behind bars."
)


def test_an_intake_goes_from_a_pasted_text_to_an_accepted_record(page: Page):
    page.goto("/persons/known-5")
    expect(page.locator(".status-line")).to_contain_text("behind bars")
    page.get_by_role("link", name="Intake").first.click()
    expect(page).to_have_url(re.compile(r"/intake$"))
    page.get_by_label("Text").fill(INTAKE_TEXT)
    page.get_by_label("Published on").fill("2026-03-05")
    page.get_by_label("Title").fill("Released after serving the full term")
    page.get_by_label("Publisher").fill("Viasna")
    page.get_by_role("button", name="Extract and review").click()
    expect(page.locator("h1")).to_have_text("Review the candidates")
    claim = page.locator("table.claims tbody tr")
    expect(claim).to_have_count(1)
    expect(claim).to_contain_text("1,100")
    candidate = page.locator("fieldset.candidate")
    expect(candidate).to_have_count(1)
    expect(candidate.locator("legend")).to_contain_text("Ihar Barysevich was released")
    expect(candidate.get_by_label("Type")).to_have_value("released")
    expect(candidate.get_by_label("Date")).to_have_value("2026-03-02")  # "on Monday", before 5 March
    candidate.get_by_role("radio", name="Accept").check()
    candidate.locator("label", has=page.locator("strong", has_text="Ihar Barysevich")).first.click()
    expect(candidate.locator("input[type=radio][value=known-5]")).to_be_checked()
    page.get_by_role("button", name="Record the accepted events").click()
    expect(page.locator("h1")).to_have_text("Recorded")
    expect(page.locator("section.recorded")).to_contain_text("Released after serving the full term")
    now = page.locator("section.recorded table.compact tr", has_text="Ihar Barysevich")
    expect(now).to_contain_text("released")
    now.get_by_role("link", name="Ihar Barysevich").click()
    expect(page).to_have_url(re.compile(r"/persons/known-5$"))
    expect(page.locator(".status-line")).to_contain_text("released")
    released = page.locator("ol.timeline li.event-released")
    expect(released).to_contain_text("Mar 2, 2026")
    expect(released).to_contain_text("Released after serving the full term")
