"""The console's spreadsheet import, shared by the domains that import (orders, reviews, chats).

Three steps on one page: choose a file and its mapping; a preview that shows which column fills
which field, the first rows, and a dry run over the whole file (the import run and rolled back,
so its counts and row errors are exactly what the real import will report); then the import.
A domain supplies its importer and labels; this module holds the page and the upload handling.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from aftersales.auth.deps import RequireSupervisor, SessionDep
from aftersales.kit.errors import AftersalesError, InvalidInputError
from aftersales.kit.logmask import mask_mobiles
from aftersales.web.render import render
from aftersales.web.uploads import KeptFile, Preview, discard, keep_upload, kept_file, preview

ERRORS_SHOWN = 200


class RowProblem(Protocol):
    @property
    def row(self) -> int: ...
    @property
    def column(self) -> str: ...
    @property
    def reason(self) -> str: ...


@dataclass(frozen=True)
class Outcome:
    """What an import (or its dry run) did, in the page's words."""

    counts: list[tuple[str, int]]
    errors: Sequence[RowProblem]


Masker = Callable[[str | None], str | None]


@dataclass(frozen=True)
class FieldMatch:
    label: str
    columns: list[str]
    required: bool
    mask: Masker | None = None
    """How the preview shows this field's cells to a role that may not see PII."""


@dataclass(frozen=True)
class ShownError:
    row: int
    column: str
    reason: str


@dataclass(frozen=True)
class ImportPage:
    """One domain's import: its title, address, packaged mappings and field names."""

    title: str
    action: str
    mappings: dict[str, str]
    shop_note: str
    run: Callable[[Session, KeptFile, str, str | None], Outcome]
    """(session, file, mapping name, shop code) -> outcome; writes in the session."""
    matches: Callable[[str, list[str]], list[FieldMatch]]
    shops: Callable[[Session], list[Any]]
    """The shops to choose from (objects with ``code`` and ``name``)."""
    header: Callable[[str], bool] = field(default=lambda _mapping: True)


def check_mapping(page: ImportPage, mapping: str) -> str:
    """Only packaged mappings: a path in the form would read any YAML file on the server."""
    if mapping not in page.mappings:
        raise InvalidInputError("mapping", f"未知的列映射: {mapping}")
    return mapping


def form(
    request: Request, page: ImportPage, shops: list[Any], *, error: str = "", status: int = 200
) -> HTMLResponse:
    return render(
        request, "import.html", status_code=status, page=page, shops=shops, error=error, step="form"
    )


def _mask_cell(value: Any, mask: Masker | None) -> Any:
    if value is None or isinstance(value, int | float):
        return value
    return (mask(str(value)) or "") if mask else mask_mobiles(str(value))


def masked(sample: Preview, fields: list[FieldMatch]) -> Preview:
    """The sample as a role without PII rights sees it: the mapping's PII columns masked, and
    mobile numbers masked in every other cell (a buyer's note may hold one)."""
    maskers = {column: f.mask for f in fields if f.mask for column in f.columns}
    rows = [{h: _mask_cell(v, maskers.get(h)) for h, v in row.items()} for row in sample.rows]
    return Preview(sample.headers, rows, sample.total)


def shown_errors(outcome: Outcome, *, reveal: bool) -> list[ShownError]:
    """The first errors for the page; a reason may quote a cell, so mobiles are masked in it."""
    first = outcome.errors[:ERRORS_SHOWN]
    return [ShownError(e.row, e.column, e.reason if reveal else mask_mobiles(e.reason)) for e in first]


@dataclass(frozen=True)
class Upload:
    """One import between its steps: the kept file, its mapping and the chosen shop."""

    kept: KeptFile
    mapping: str
    shop: str | None


def _result_page(
    request: Request, page: ImportPage, upload: Upload, outcome: Outcome, *, reveal: bool, **context: Any
) -> HTMLResponse:
    return render(
        request,
        "import.html",
        page=page,
        kept=upload.kept,
        mapping=upload.mapping,
        shop=upload.shop or "",
        outcome=outcome,
        shown=shown_errors(outcome, reveal=reveal),
        **context,
    )


def dry_run(
    request: Request, session: Session, page: ImportPage, upload: Upload, *, reveal: bool
) -> HTMLResponse:
    """Run the import and roll it back: the preview's counts and errors are the import's own."""
    try:
        sample: Preview = preview(upload.kept, header=page.header(upload.mapping))
        outcome = page.run(session, upload.kept, upload.mapping, upload.shop)
    except AftersalesError:
        discard(upload.kept)
        raise
    finally:
        session.rollback()
    fields = page.matches(upload.mapping, sample.headers)
    shown = sample if reveal else masked(sample, fields)
    return _result_page(
        request, page, upload, outcome, reveal=reveal, step="preview", sample=shown, fields=fields
    )


def run_import(
    request: Request, session: Session, page: ImportPage, upload: Upload, *, strict: bool, reveal: bool
) -> HTMLResponse:
    """The real import; ``strict`` stores nothing when any row is bad. The upload is then removed."""
    outcome = page.run(session, upload.kept, upload.mapping, upload.shop)
    stored = not (strict and outcome.errors)
    if stored:
        discard(upload.kept)
    else:
        session.rollback()
    return _result_page(request, page, upload, outcome, reveal=reveal, step="done", stored=stored)


def refused(request: Request, session: Session, page: ImportPage, exc: AftersalesError) -> HTMLResponse:
    """A file refused as a whole (encoding, missing columns): the form again, with the reason."""
    reason = exc.message.split(": ", 1)[-1] if isinstance(exc, InvalidInputError) else exc.message
    return form(request, page, page.shops(session), error=reason, status=exc.status_code)


def import_router(page: ImportPage) -> APIRouter:
    """The form, preview and import routes of ``page``, for supervisors; mounted by the domain's
    console router under its own prefix (``/import``)."""
    router = APIRouter(prefix="/import")

    @router.get("", response_class=HTMLResponse)
    def import_form(request: Request, session: SessionDep, _: RequireSupervisor) -> HTMLResponse:
        return form(request, page, page.shops(session))

    @router.post("/preview", response_class=HTMLResponse)
    async def import_preview(
        request: Request,
        session: SessionDep,
        user: RequireSupervisor,
        file: UploadFile,
        mapping: Annotated[str, Form(max_length=32)],
        shop: Annotated[str, Form(max_length=64)] = "",
    ) -> HTMLResponse:
        try:
            check_mapping(page, mapping)
            kept = keep_upload(user_id=user.id, filename=file.filename or "", data=await file.read())
            return dry_run(
                request, session, page, Upload(kept, mapping, shop or None), reveal=user.may_see_pii
            )
        except AftersalesError as exc:
            return refused(request, session, page, exc)

    @router.post("", response_class=HTMLResponse)
    def import_file(
        request: Request,
        session: SessionDep,
        user: RequireSupervisor,
        token: Annotated[str, Form(max_length=64)],
        name: Annotated[str, Form(max_length=255)],
        mapping: Annotated[str, Form(max_length=32)],
        shop: Annotated[str, Form(max_length=64)] = "",
        strict: Annotated[bool, Form()] = False,
    ) -> HTMLResponse:
        check_mapping(page, mapping)
        kept = kept_file(user_id=user.id, token=token, name=Path(name).name)
        upload = Upload(kept, mapping, shop or None)
        return run_import(request, session, page, upload, strict=strict, reveal=user.may_see_pii)

    return router
