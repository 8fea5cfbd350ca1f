"""Data packages in the web app: the import and export page, uploading a package, downloading an export.

An upload is read only after the caller's permission is checked, straight
into a private temporary folder (mode 0700) under a name of our own (the
browser's file name is shown, never used as a path), and refused as soon as
it passes `MAX_UPLOAD_BYTES`. A package that is not a zip, or whose entries
point outside its folder (zip-slip), is refused before the import looks at
it. `import_package` then checks the whole package and writes all or
nothing; every problem is shown with its file, line and column. The folder
is removed when the answer is made.

An export is written to a private temporary folder and streamed from there;
on POSIX systems the file is unlinked before the first byte is sent, so
nothing stays on disk however the download ends.

`read_form` is the bounded form reader these pages and intake use: a form
field longer than its limit, too many fields, or a file over its limit is
refused with a message saying what and how much, before the rest is read.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException as StarletteHTTPException

from chronicle.dates import utc_now
from chronicle.errors import InputError, PackageError, Problem
from chronicle.exporter import export_package
from chronicle.importer import import_package
from chronicle.package_format import RESOURCES
from chronicle.register import Register
from chronicle.web.access import (
    EXPORT,
    IMPORT,
    READ_INTERNAL,
    Principal,
    current_principal,
    require,
)
from chronicle.web.i18n import gettext_ as _
from chronicle.web.rendering import page

try:  # python-multipart 0.0.13 and later
    import python_multipart as multipart
    from python_multipart.exceptions import FormParserError
    from python_multipart.multipart import parse_options_header
except ModuleNotFoundError:  # pragma: no cover - older python-multipart
    import multipart  # type: ignore[no-redef]
    from multipart.exceptions import FormParserError  # type: ignore[no-redef]
    from multipart.multipart import parse_options_header  # type: ignore[no-redef]

router = APIRouter()

MAX_UPLOAD_BYTES = 200 * 1024 * 1024  # a zipped data package
MAX_FIELD_BYTES = 64 * 1024  # a form field, unless a page allows more
MAX_FIELDS = 1000
MAX_HEADER_BYTES = 16 * 1024  # the headers of one part of a multipart form
CHUNK = 1024 * 1024

# --------------------------------------------------------------------------
# Reading forms with limits


class FormRefused(InputError):
    """A form was refused as it was read; `status` is 413 when it was too large, else 400."""

    title = "Input refused"

    def __init__(self, message: str, *, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass
class Upload:
    """A file sent with a form: saved at `path`; `filename` is what the browser called it (shown, never used as a path)."""

    filename: str
    path: Path
    size: int


def megabytes(count: int) -> str:
    """A size for reading: 200 MB, 1.3 MB, 640 KB."""
    mega = 1024 * 1024
    if count >= mega:
        return f"{count // mega:,} MB" if count % mega == 0 else f"{count / mega:,.1f} MB"
    return f"{count / 1024:,.0f} KB"


async def read_form(
    request: Request,
    folder: Path,
    *,
    file_fields: tuple[str, ...] = (),
    max_file_bytes: int = 0,
    max_field_bytes: int = MAX_FIELD_BYTES,
    max_fields: int = MAX_FIELDS,
    field_limits: dict[str, int] | None = None,
    too_large: dict[str, str] | None = None,
) -> tuple[dict[str, str], dict[str, Upload]]:
    """The fields and files of a posted form (multipart or URL-encoded), within limits; FormRefused otherwise.

    Files are accepted only for `file_fields`, each up to `max_file_bytes`,
    and saved in `folder` as upload-1, upload-2, ... A field may be up to
    `field_limits[name]` bytes, else `max_field_bytes`. `too_large` gives
    the message for a field or file over its limit, by name.
    """
    limits = field_limits or {}
    messages = too_large or {}
    largest_field = max([max_field_bytes, *limits.values()])
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    declared = request.headers.get("content-length")
    ceiling = max_file_bytes * len(file_fields) + largest_field * 3 + max_fields * 256 + 64 * 1024
    if declared and declared.isdigit() and int(declared) > ceiling:
        message = next(iter(messages.values()), None) or _("The form is larger than this page accepts (%(size)s).") % {"size": megabytes(ceiling)}
        raise FormRefused(message, status=413)
    if content_type == b"application/x-www-form-urlencoded":
        try:
            # Percent-encoding can triple a field's size on the way.
            form = await request.form(max_fields=max_fields, max_files=0, max_part_size=largest_field * 3 + 64)
        except StarletteHTTPException as error:
            raise FormRefused(_("The form could not be read: %(reason)s") % {"reason": error.detail}) from None
        fields = {name: value for name, value in form.multi_items() if isinstance(value, str)}
        for name, value in fields.items():
            if len(value.encode("utf-8")) > limits.get(name, max_field_bytes):
                raise FormRefused(messages.get(name) or _("The field %(name)s is too long.") % {"name": name}, status=413)
        return fields, {}
    if content_type != b"multipart/form-data":
        if await _body_is_empty(request):
            return {}, {}
        raise FormRefused(_("Send the form as multipart/form-data or application/x-www-form-urlencoded."))
    boundary = options.get(b"boundary")
    if not boundary:
        raise FormRefused(_("The form could not be read: the multipart boundary is missing."))
    reader = _MultipartReader(folder, file_fields, max_file_bytes, max_field_bytes, max_fields, limits, messages)
    try:
        parser = multipart.MultipartParser(boundary, reader.callbacks())
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except FormParserError:
        reader.close()
        raise FormRefused(_("The form could not be read: it is not valid multipart data.")) from None
    except BaseException:
        reader.close()
        raise
    reader.close()
    return reader.fields, reader.files


async def _body_is_empty(request: Request) -> bool:
    async for chunk in request.stream():
        if chunk:
            return False
    return True


def safe_file_name(name: str) -> str:
    """A file name made of letters, digits, dots, dashes and underscores, for a file saved in a folder of our own."""
    cleaned = re.sub(r"[^\w.-]+", "_", name, flags=re.ASCII).lstrip(".")[:100]
    return cleaned or "upload"


class _MultipartReader:
    """Callbacks for python-multipart that keep fields in memory and write files to the folder, with limits."""

    def __init__(self, folder, file_fields, max_file_bytes, max_field_bytes, max_fields, limits, messages):
        self.folder = folder
        self.file_fields = file_fields
        self.max_file_bytes = max_file_bytes
        self.max_field_bytes = max_field_bytes
        self.max_fields = max_fields
        self.limits = limits
        self.messages = messages
        self.fields: dict[str, str] = {}
        self.files: dict[str, Upload] = {}
        self.count = 0
        self._header_name = b""
        self._header_value = b""
        self._header_bytes = 0
        self._disposition = b""
        self._name = ""
        self._data = bytearray()
        self._limit = 0
        self._file = None
        self._upload: Upload | None = None

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self.part_begin,
            "on_part_data": self.part_data,
            "on_part_end": self.part_end,
            "on_header_field": self.header_field,
            "on_header_value": self.header_value,
            "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
        }

    def part_begin(self) -> None:
        self._disposition = b""
        self._header_bytes = 0
        self._data = bytearray()
        self._file = None
        self._upload = None

    def _grow_headers(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > MAX_HEADER_BYTES:
            raise FormRefused(_("The form could not be read: a part's headers are too long."))

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self._grow_headers(end - start)
        self._header_name += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self._grow_headers(end - start)
        self._header_value += data[start:end]

    def header_end(self) -> None:
        if self._header_name.strip().lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name = b""
        self._header_value = b""

    def headers_finished(self) -> None:
        _disposition, options = parse_options_header(self._disposition)
        if b"name" not in options:
            raise FormRefused(_("The form could not be read: a part has no name."))
        self._name = options[b"name"].decode("utf-8", "replace")
        self.count += 1
        if self.count > self.max_fields:
            raise FormRefused(_("The form has more than %(count)s fields.") % {"count": self.max_fields}, status=413)
        if b"filename" in options:
            filename = options[b"filename"].decode("utf-8", "replace")
            if self._name not in self.file_fields:
                raise FormRefused(_("This form takes no file in %(name)s.") % {"name": self._name})
            if self._name in self.files:
                raise FormRefused(_("Send one file in %(name)s.") % {"name": self._name})
            shown = PurePosixPath(filename.replace("\\", "/")).name
            place = self.folder / f"upload-{len(self.files) + 1}"
            place.mkdir()
            path = place / safe_file_name(shown)
            self._file = open(path, "xb")  # noqa: SIM115 - closed in part_end or close
            self._upload = Upload(shown, path, 0)
            self.files[self._name] = self._upload
        else:
            self._limit = self.limits.get(self._name, self.max_field_bytes)

    def part_data(self, data: bytes, start: int, end: int) -> None:
        size = end - start
        if self._file is not None and self._upload is not None:
            self._upload.size += size
            if self._upload.size > self.max_file_bytes:
                raise FormRefused(
                    self.messages.get(self._name)
                    or _("The file is larger than the %(size)s this page accepts.") % {"size": megabytes(self.max_file_bytes)},
                    status=413,
                )
            self._file.write(data[start:end])
            return
        if len(self._data) + size > self._limit:
            raise FormRefused(self.messages.get(self._name) or _("The field %(name)s is too long.") % {"name": self._name}, status=413)
        self._data += data[start:end]

    def part_end(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
            return
        try:
            self.fields[self._name] = self._data.decode("utf-8")
        except UnicodeDecodeError:
            raise FormRefused(_("The field %(name)s is not UTF-8 text.") % {"name": self._name}) from None

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


# --------------------------------------------------------------------------
# Checking an uploaded zip before the import reads it


def _entry_problem(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or ".." in parts or "\x00" in name:
        return _("this entry points outside the package's folder (zip-slip); the package is refused")
    if stat.S_ISLNK(info.external_attr >> 16):
        return _("this entry is a symbolic link; a data package holds only folders and files")
    return None


def zip_problems(upload: Upload) -> list[Problem]:
    """Why an uploaded file cannot be imported before the import even opens it; empty when it may."""
    label = upload.filename or "upload"
    if upload.size == 0:
        return [Problem(label, None, None, _("the file is empty"))]
    if not zipfile.is_zipfile(upload.path):
        return [Problem(label, None, None, _("this is not a .zip file: upload a data package zipped (a folder with datapackage.json)"))]
    try:
        with zipfile.ZipFile(upload.path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError) as error:
        return [Problem(label, None, None, _("the zip cannot be read: %(error)s") % {"error": error})]
    return [Problem(info.filename, None, None, problem) for info in infos if (problem := _entry_problem(info))]


def _as_uploaded(problems: list[Problem], upload: Upload) -> list[Problem]:
    """The problems with the upload's temporary path replaced by the name it was uploaded under."""
    where, shown = str(upload.path), upload.filename or upload.path.name
    return [
        Problem(shown if problem.file == where else problem.file, problem.line, problem.column, problem.message.replace(where, shown))
        for problem in problems
    ]


# --------------------------------------------------------------------------
# Pages

ImportDep = Annotated[Principal, Depends(require(IMPORT))]
ExportDep = Annotated[Principal, Depends(require(EXPORT))]
StaffDep = Annotated[Principal, Depends(require(READ_INTERNAL))]

UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["package"],
                    "properties": {
                        "package": {"type": "string", "format": "binary",
                                    "description": f"A zipped data package, at most {MAX_UPLOAD_BYTES // (1024 * 1024)} MB"},
                    },
                }
            }
        },
    }
}


def _counts(register: Register) -> list[tuple[str, int]]:
    return [(resource.name, register.count(resource.name)) for resource in RESOURCES]


def packages_page(request: Request, *, status: int = 200, **context: Any):
    principal = current_principal(request)
    base = {
        "counts": _counts(request.app.state.register),
        "may_import": principal.may(IMPORT),
        "may_export": principal.may(EXPORT),
        "max_upload": megabytes(MAX_UPLOAD_BYTES),
        "problems": None,
        "report": None,
        "error": None,
        "filename": None,
    }
    return page(request, "packages/packages.html", {**base, **context}, status_code=status)


@router.get("/packages", summary="The import and export page")
def packages(request: Request, principal: StaffDep):
    return packages_page(request)


def _report_rows(report) -> list[dict[str, Any]]:
    return [
        {"resource": name, "added": counts.added, "changed": counts.changed, "retracted": counts.retracted, "unchanged": counts.unchanged}
        for name, counts in report.counts.items()
    ]


@router.post("/packages/import", summary="Import an uploaded data package (.zip), all or nothing", openapi_extra=UPLOAD_BODY)
async def import_upload(request: Request, principal: ImportDep):
    folder = Path(tempfile.mkdtemp(prefix="chronicle-upload-"))
    try:
        try:
            _fields, files = await read_form(
                request, folder, file_fields=("package",), max_file_bytes=MAX_UPLOAD_BYTES,
                too_large={"package": _("The package is larger than %(size)s: split it, or import it with `chronicle import` on the server.")
                           % {"size": megabytes(MAX_UPLOAD_BYTES)}},
            )
        except FormRefused as error:
            return packages_page(request, status=error.status, error=str(error))
        upload = files.get("package")
        if upload is None or (upload.size == 0 and not upload.filename):
            return packages_page(request, status=400, error=_("Choose a data package (.zip) to import."))
        refused = zip_problems(upload)
        if refused:
            return packages_page(request, status=400, problems=refused, filename=upload.filename)
        database = request.app.state.database
        try:
            report = await run_in_threadpool(import_package, database, upload.path)
        except PackageError as error:
            return packages_page(request, status=400, problems=_as_uploaded(error.problems, upload), filename=upload.filename)
        return packages_page(request, report={"rows": _report_rows(report), "changed": report.changed_anything,
                                              "warnings": report.warnings, "recorded_at": report.recorded_at},
                             filename=upload.filename)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@router.get("/packages/export.zip", summary="Download the register as a data package (.zip): the full export, or the public one")
def export_download(
    request: Request,
    principal: ExportDep,
    public: Annotated[bool, Query(description="true: only what may be published (docs/data-package.md); false: everything")] = False,
):
    folder = Path(tempfile.mkdtemp(prefix="chronicle-export-"))
    try:
        path = folder / "export.zip"
        export_package(request.app.state.database, path, public=public)
        stream = path.open("rb")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    size = os.fstat(stream.fileno()).st_size
    if os.name == "posix":
        shutil.rmtree(folder, ignore_errors=True)  # the open file stays readable; nothing is left on disk

    def chunks():
        try:
            while block := stream.read(CHUNK):
                yield block
        finally:
            stream.close()
            shutil.rmtree(folder, ignore_errors=True)

    def cleanup():
        stream.close()
        shutil.rmtree(folder, ignore_errors=True)

    name = f"chronicle-{'public-' if public else ''}export-{utc_now().date().isoformat()}.zip"
    return StreamingResponse(
        chunks(), media_type="application/zip", background=BackgroundTask(cleanup),
        headers={"content-disposition": f'attachment; filename="{name}"', "content-length": str(size), "cache-control": "no-store"},
    )
