"""The web app: FastAPI with server-rendered Jinja2 pages.

For now it holds the first pages of the internal register: the list of
persons with their derived status, and a person's page with the timeline of
their events and the sources behind each. Every page has a JSON twin under
/api/v1.
"""


from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from chronicle import __version__
from chronicle.database import Database
from chronicle.errors import ChronicleError, NotFoundError
from chronicle.register import Register

HERE = Path(__file__).parent
PAGE_SIZE = 50


def create_app(database: Database) -> FastAPI:
    """The web app over one database."""
    app = FastAPI(title="Chronicle", version=__version__, docs_url=None, redoc_url=None)
    templates = Jinja2Templates(directory=HERE / "templates")
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    register = Register(database)

    def get_register() -> Register:
        return register

    RegisterDep = Annotated[Register, Depends(get_register)]

    @app.exception_handler(ChronicleError)
    async def chronicle_error(request: Request, error: ChronicleError):
        status = 404 if isinstance(error, NotFoundError) else 400
        if request.url.path.startswith("/api/"):
            return JSONResponse({"ok": False, "error": str(error), "title": error.title}, status_code=status)
        return templates.TemplateResponse(request, "error.html", {"title": error.title, "message": str(error)}, status_code=status)

    def persons_page(register: Register, q: str | None, page: int) -> dict[str, Any]:
        persons, total = register.persons(search=q, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        statuses = register.statuses([person["person_id"] for person in persons])
        rows = [
            {
                "person_id": person["person_id"],
                "name": person["name"],
                "region": person["region"],
                "categories": person["categories"],
                "status": statuses[person["person_id"]].status,
                "status_label": statuses[person["person_id"]].label,
                "recognized": statuses[person["person_id"]].recognized,
                "since": statuses[person["person_id"]].since,
            }
            for person in persons
        ]
        pages = max(1, -(-total // PAGE_SIZE))
        return {"persons": rows, "total": total, "page": page, "pages": pages, "q": q or ""}

    @app.get("/", response_class=HTMLResponse)
    def persons_list(request: Request, register: RegisterDep, q: str | None = None, page: Annotated[int, Query(ge=1)] = 1):
        context = persons_page(register, q, page)
        return templates.TemplateResponse(request, "persons.html", context)

    @app.get("/api/v1/persons")
    def persons_json(register: RegisterDep, q: str | None = None, page: Annotated[int, Query(ge=1)] = 1):
        return persons_page(register, q, page)

    def person_details(register: Register, person_id: str) -> dict[str, Any]:
        person = register.get("persons", person_id)
        events = register.events_of([person_id])[person_id]
        source_ids = sorted({source for event in events for source in event["source_ids"]})
        sources = register.sources(source_ids, include_restricted=True)
        status = register.statuses([person_id])[person_id]
        for event in events:
            event["sources"] = [sources[s] for s in event["source_ids"] if s in sources]
        hidden = {"notes", "restricted_notes", "digest", "row_id"}
        return {
            "person": {key: value for key, value in person.items() if key not in hidden},
            "status": status.status,
            "status_label": status.label,
            "recognized": status.recognized,
            "events": [{key: value for key, value in event.items() if key not in ("digest", "row_id", "note")} for event in events],
        }

    @app.get("/persons/{person_id}", response_class=HTMLResponse)
    def person_page(request: Request, person_id: str, register: RegisterDep):
        return templates.TemplateResponse(request, "person.html", person_details(register, person_id))

    @app.get("/api/v1/persons/{person_id}")
    def person_json(person_id: str, register: RegisterDep):
        return person_details(register, person_id)

    return app
