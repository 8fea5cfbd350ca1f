"""The data package format (spec/register.md, "The exchange format").

One place that says which CSV files a package holds, their columns in order,
which columns a file must have, and how the `datapackage.json` descriptor
describes them. The importer, the exporter and the generator all read it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Resource:
    """One CSV file of a data package."""

    name: str
    columns: tuple[str, ...]
    required_columns: tuple[str, ...]
    primary_key: tuple[str, ...]
    # Frictionless field types, for the descriptor only.
    types: dict[str, str]

    @property
    def path(self) -> str:
        return f"{self.name}.csv"


PERSONS = Resource(
    name="persons",
    columns=(
        "person_id", "name", "name_be", "name_ru", "name_en", "aliases", "birth_date",
        "gender", "categories", "region", "public", "notes", "restricted_notes",
    ),
    required_columns=("person_id", "name"),
    primary_key=("person_id",),
    types={"public": "boolean"},
)

EVENTS = Resource(
    name="events",
    columns=(
        "event_id", "person_id", "type", "date", "place", "case_id", "charges",
        "sentence_months", "sentence_kind", "destination", "reason",
        "politically_motivated", "source_ids", "recorded_at", "retracted_at", "note",
    ),
    required_columns=("event_id", "person_id", "type", "date", "source_ids"),
    # An event keeps its id across edits; each version has its own recorded_at.
    primary_key=("event_id", "recorded_at"),
    types={"sentence_months": "integer", "politically_motivated": "boolean"},
)

CASES = Resource(
    name="cases",
    columns=("case_id", "name", "opened", "description"),
    required_columns=("case_id", "name"),
    primary_key=("case_id",),
    types={},
)

ORGANISATIONS = Resource(
    name="organisations",
    columns=("organisation_id", "name", "kind"),
    required_columns=("organisation_id", "name"),
    primary_key=("organisation_id",),
    types={},
)

MEMBERSHIPS = Resource(
    name="memberships",
    columns=("person_id", "organisation_id", "role"),
    required_columns=("person_id", "organisation_id"),
    primary_key=("person_id", "organisation_id"),
    types={},
)

SOURCES = Resource(
    name="sources",
    columns=("source_id", "title", "publisher", "url", "published", "restricted"),
    required_columns=("source_id", "title"),
    primary_key=("source_id",),
    types={"restricted": "boolean"},
)

# In dependency order: what a file refers to comes before it.
RESOURCES: tuple[Resource, ...] = (SOURCES, CASES, ORGANISATIONS, PERSONS, MEMBERSHIPS, EVENTS)
RESOURCES_BY_NAME: dict[str, Resource] = {resource.name: resource for resource in RESOURCES}
REQUIRED_RESOURCES: tuple[str, ...] = ("persons", "events")

LIST_SEPARATOR = ";"
DESCRIPTOR_NAME = "datapackage.json"


def descriptor(resource_names: list[str], *, name: str = "chronicle-register", public: bool = False) -> dict:
    """The `datapackage.json` descriptor for a package holding these files."""
    resources = []
    for resource_name in resource_names:
        resource = RESOURCES_BY_NAME[resource_name]
        fields = [
            {"name": column, "type": resource.types.get(column, "string")}
            for column in resource.columns
        ]
        resources.append(
            {
                "name": resource.name,
                "path": resource.path,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "dialect": {"delimiter": ",", "header": True},
                "schema": {
                    "fields": fields,
                    "primaryKey": list(resource.primary_key),
                    "missingValues": [""],
                },
            }
        )
    return {
        "profile": "tabular-data-package",
        "name": name,
        "title": "Chronicle register" + (" (public)" if public else ""),
        "resources": resources,
    }


def write_descriptor(directory: Path, resource_names: list[str], **kwargs) -> Path:
    """Write `datapackage.json` into `directory` and return its path."""
    path = directory / DESCRIPTOR_NAME
    path.write_text(json.dumps(descriptor(resource_names, **kwargs), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
