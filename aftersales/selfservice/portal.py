"""The customer portal under ``/portal``: mobile pages, no staff account involved.

Portal requests are authenticated by the signed session cookie that a signed link or an
order number + phone + one-time code issues (``access.py``), never by staff tokens. The routes are
plain Starlette routes run through ``_handle``: it resolves the cookie (redirecting to the log-in
page without one), opens the unit of work, commits on success, rolls back on a domain error and
renders that error as a Chinese page. Cookies are HttpOnly and SameSite=Lax, so a cross-site form
cannot post with them.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from aftersales import db
from aftersales.kit.errors import AftersalesError, InvalidInputError
from aftersales.kit.time import SHANGHAI, utcnow
from aftersales.orders.models import Order
from aftersales.selfservice import (
    access,
    bot,
    holds,
    integrations,
    invoices,
    repository,
    service,
    survey_questions,
    surveys,
)
from aftersales.selfservice.errors import (
    CodeThrottledError,
    PortalLinkInvalidError,
    PortalLockedError,
    PortalLoginError,
    SurveyAnswersInvalidError,
)
from aftersales.selfservice.models import KIND_LABELS, METHOD_LABELS, PortalRequest, RequestKind
from aftersales.selfservice.schemas import (
    PICKUP_SLOTS,
    RETURN_REASONS,
    AddressChange,
    DelayShipping,
    InstallationRequest,
    InvoiceRegistration,
    MissingItem,
    ReturnApply,
)
from aftersales.selfservice.settings import get_selfservice_settings
from aftersales.selfservice.survey_models import SurveyInvitation
from aftersales.web import csrf
from aftersales.web.csrf import client_address
from aftersales.web.forms import act_or_rerender
from aftersales.web.render import render_page

router = APIRouter(include_in_schema=False)


@dataclass
class Call:
    request: Request
    session: Session
    order_id: int
    form: FormData | None


Handler = Callable[[Call], Response]

# Entry points anyone may open; every other portal route needs the session cookie.
PUBLIC_PATHS = {"/portal/login", "/portal/l/{token}", "/portal/l/{token}/{target}", "/portal/s/{token}"}
LINK_TARGETS = {"invoice": "/portal/invoice", "survey": "/portal/survey"}


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return render_page(request, f"selfservice/portal/{name}", context, status_code)


def _handle(handler: Handler, request: Request, form: FormData | None, public: bool) -> Response:
    order_id = 0
    if not public:
        try:
            order_id = access.read_session(request.cookies.get(access.SESSION_COOKIE))
        except PortalLinkInvalidError:
            return RedirectResponse("/portal/login", status_code=303)
    try:
        with db.unit_of_work(read_only=request.method == "GET") as session:
            return handler(Call(request, session, order_id, form))
    except AftersalesError as exc:
        return page(request, "error.html", status_code=exc.status_code, detail=exc.message)


def route(path: str, methods: tuple[str, ...] = ("GET",)) -> Callable[[Handler], Handler]:
    """Register ``handler`` under ``path``; the form (with uploads) is read before the thread hop."""
    settings = get_selfservice_settings()

    def register(handler: Handler) -> Handler:
        async def endpoint(request: Request) -> Response:
            form = None
            if request.method == "POST":
                form = await request.form(
                    max_files=settings.upload_max_files + 1, max_part_size=settings.upload_max_bytes + 1024
                )
            try:
                csrf.check(request, form)
                return await run_in_threadpool(_handle, handler, request, form, path in PUBLIC_PATHS)
            except csrf.CsrfError as exc:
                return page(request, "error.html", status_code=exc.status_code, detail=exc.message)
            finally:
                if form is not None:
                    await form.close()

        router.add_route(path, endpoint, methods=list(methods), include_in_schema=False)
        return handler

    return register


def _fields(form: FormData | None) -> dict[str, Any]:
    """The form's text fields; a NUL character (which PostgreSQL cannot store) is refused."""
    if form is None:
        return {}
    fields = {key: value for key, value in form.items() if isinstance(value, str) and value != ""}
    for key, value in fields.items():
        if "\x00" in value:
            raise InvalidInputError(key, "不能包含 NUL 字符")
    return fields


def field_errors(exc: ValidationError) -> dict[str, str]:
    """Field name -> Chinese reason; model-level errors name their field as ``field: reason``."""
    result: dict[str, str] = {}
    for error in exc.errors():
        message = str(error["msg"]).removeprefix("Value error, ")
        field = ".".join(str(p) for p in error["loc"]) or "form"
        if ": " in message and field in ("form", ""):
            field, message = message.split(": ", 1)
        result[field] = message
    return result


def _set_session(response: Response, order_id: int) -> Response:
    response.set_cookie(
        access.SESSION_COOKIE,
        access.issue_session(order_id),
        httponly=True,
        samesite="lax",
        max_age=get_selfservice_settings().session_ttl_hours * 3600,
        path="/portal",
    )
    return response


@route("/portal/l/{token}")
def open_link(call: Call) -> Response:
    """A signed link from a message: bound to one order, refused once expired."""
    try:
        order_id = access.read_link(call.request.path_params["token"])
    except PortalLinkInvalidError as exc:
        return page(call.request, "login.html", status_code=401, error=exc.message, values={})
    service.get_order(call.session, order_id)
    return _set_session(RedirectResponse("/portal/", status_code=303), order_id)


@route("/portal/l/{token}/{target}")
def open_link_to(call: Call) -> Response:
    """A signed link to one page of the order (the invoice, the survey), as a message carries it."""
    target = LINK_TARGETS.get(call.request.path_params["target"])
    if target is None:
        return page(call.request, "error.html", status_code=404, detail="没有这个页面")
    try:
        order_id = access.read_link(call.request.path_params["token"])
    except PortalLinkInvalidError as exc:
        return page(call.request, "login.html", status_code=401, error=exc.message, values={})
    service.get_order(call.session, order_id)
    return _set_session(RedirectResponse(target, status_code=303), order_id)


@route("/portal/invoice", methods=("GET", "POST"))
def invoice(call: Call) -> Response:
    """The order's invoice as registered, its state and PDF: what the invoice notice links to.
    Posting corrects the title or tax id (红冲/重开) and shows the page with the new invoice."""
    order = service.get_order(call.session, call.order_id)
    registered = repository.latest_request(call.session, order.id, RequestKind.INVOICE)
    if call.request.method == "GET" or registered is None:
        return _invoice_page(call, order, registered, values={}, errors={})
    values, request_id = _fields(call.form), registered.id
    try:
        data = InvoiceRegistration.model_validate(values)
    except ValidationError as exc:
        return _invoice_page(
            call, order, registered, values=values, errors=field_errors(exc), status_code=422
        )
    return act_or_rerender(
        call.session,
        lambda: invoices.reissue(
            call.session, request_id=request_id, data=data, actor_id=None, order_id=order.id
        ),
        failed=InvalidInputError,
        rerender=lambda exc: _invoice_page(
            call,
            order,
            registered,
            values=values,
            errors={exc.field: exc.message.split(": ", 1)[-1]},
            status_code=422,
        ),
        done=lambda _: RedirectResponse("/portal/invoice?reissued=1", status_code=303),
    )


def _invoice_page(
    call: Call,
    order: Order,
    registered: PortalRequest | None,
    *,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    state = invoices.state_of(call.session, [registered.id]).get(registered.id) if registered else None
    return page(
        call.request,
        "invoice_view.html",
        status_code=status_code,
        order=order,
        registered=registered,
        state=state,
        values=values,
        errors=errors,
        reissued=call.request.query_params.get("reissued") == "1",
    )


@route("/portal/invoices/{invoice_id:int}.pdf")
def invoice_pdf(call: Call) -> Response:
    """The invoice's PDF, for the order of the portal session only (the signed link's order)."""
    found = invoices.invoice_of_order(
        call.session, invoice_id=call.request.path_params["invoice_id"], order_id=call.order_id
    )
    return Response(
        found.pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="invoice-{found.number}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )


@route("/portal/survey", methods=("GET", "POST"))
def survey(call: Call) -> Response:
    """The after-delivery survey the care message links to (the order's invitation, made on the
    first answer)."""
    order = service.get_order(call.session, call.order_id)
    if call.request.method == "GET":
        invitation = repository.survey_invitation(call.session, f"order:{order.id}")
        return _survey_page(call, invitation, shop_id=order.shop_id, about=f"订单 {order.source_id}")
    invitation = surveys.invitation_for_order(call.session, order)
    return _answer_survey(call, invitation, about=f"订单 {order.source_id}")


@route("/portal/s/{token}", methods=("GET", "POST"))
def survey_by_link(call: Call) -> Response:
    """The questionnaire of a resolved ticket or an ended chat, opened from the invitation's link
    (no order needed: the token names the invitation)."""
    invitation = surveys.get_invitation(call.session, access.read_survey(call.request.path_params["token"]))
    about = SURVEY_SUBJECTS[invitation.subject_kind]
    if call.request.method == "GET":
        return _survey_page(call, invitation, shop_id=invitation.shop_id, about=about)
    return _answer_survey(call, invitation, about=about)


SURVEY_SUBJECTS = {"ticket": "售后工单", "chat": "咨询服务", "order": "订单服务"}


def _survey_page(
    call: Call,
    invitation: SurveyInvitation | None,
    *,
    shop_id: int,
    about: str,
    status_code: int = 200,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    if invitation is None:
        questions, answers = survey_questions.questionnaire(call.session, shop_id), {}
    else:
        questions = surveys.questions_for(call.session, invitation)
        answers = surveys.answers_of(call.session, invitation.id)
    if values is None:
        values = {
            f"q{qid}": a.text or ("yes" if a.yes else "no" if a.yes is False else str(a.stars))
            for qid, a in answers.items()
        }
    return page(
        call.request,
        "survey.html",
        status_code=status_code,
        about=about,
        action=call.request.url.path,
        questions=questions,
        values=values,
        errors=errors or {},
        thanks=False,
    )


def _answer_survey(call: Call, invitation: SurveyInvitation, *, about: str) -> Response:
    values = _fields(call.form)
    return act_or_rerender(
        call.session,
        lambda: surveys.record(call.session, invitation_id=invitation.id, raw=values),
        failed=SurveyAnswersInvalidError,
        rerender=lambda exc: _survey_page(
            call,
            invitation,
            shop_id=invitation.shop_id,
            about=about,
            status_code=422,
            values=values,
            errors=exc.errors,
        ),
        done=lambda answered: page(
            call.request,
            "survey.html",
            about=about,
            thanks=True,
            low=surveys.is_low_answered(call.session, answered),
            overall=answered.overall_stars,
        ),
    )


@route("/portal/login", methods=("GET", "POST"))
def login(call: Call) -> Response:
    """Order number + phone -> code by SMS -> code. Failures are committed (they count)."""
    values = _fields(call.form)
    if call.request.method == "GET":
        return page(call.request, "login.html", values={}, error=None)
    order_no, phone = values.get("order_no", ""), values.get("phone", "")
    try:
        if values.get("action") == "send":
            access.request_code(
                call.session, order_no=order_no, phone=phone, client=client_address(call.request)
            )
            return page(call.request, "login.html", values=values, error=None, sent=True)
        order_id = access.verify_code(
            call.session,
            order_no=order_no,
            phone=phone,
            code=values.get("code", ""),
            client=client_address(call.request),
        )
    except (PortalLoginError, PortalLockedError, CodeThrottledError) as exc:
        return page(call.request, "login.html", status_code=exc.status_code, values=values, error=exc.message)
    return _set_session(RedirectResponse("/portal/", status_code=303), order_id)


@route("/portal/logout", methods=("POST",))
def logout(call: Call) -> Response:
    response = RedirectResponse("/portal/login", status_code=303)
    response.delete_cookie(access.SESSION_COOKIE, path="/portal")
    return response


@route("/portal/")
def home(call: Call) -> Response:
    """Step 1: the order at a glance and the services it allows."""
    order = service.get_order(call.session, call.order_id)
    parcels = repository.parcels(call.session, order.id)
    now = utcnow()
    return page(
        call.request,
        "home.html",
        order=order,
        parcels=parcels,
        etas={p.id: holds.eta_text(p, now) for p in parcels},
        hold=holds.restriction(call.session, order),
        kinds=service.allowed_kinds(order),
        requests=repository.requests_of_order(call.session, order.id),
    )


FORMS: dict[str, tuple[type[BaseModel], str]] = {
    "return": (ReturnApply, "return.html"),
    "address": (AddressChange, "address.html"),
    "invoice": (InvoiceRegistration, "invoice.html"),
    "installation": (InstallationRequest, "installation.html"),
    "delay": (DelayShipping, "delay.html"),
    "missing": (MissingItem, "missing.html"),
}


def _form_context(call: Call, flow: str) -> dict[str, Any]:
    order = service.get_order(call.session, call.order_id)
    today = utcnow().astimezone(SHANGHAI).date()
    kind = call.request.query_params.get("kind", "return")
    return {
        "order": order,
        "flow": flow,
        "kind": kind if kind in ("return", "exchange", "refund") else "return",
        "kind_labels": {k.value: v for k, v in KIND_LABELS.items()},
        "reasons": RETURN_REASONS,
        "methods": {m.value: label for m, label in METHOD_LABELS.items()},
        "slots": list(PICKUP_SLOTS),
        "today": today.isoformat(),
        "return_address": get_selfservice_settings().return_address,
    }


@route("/portal/apply/{flow}", methods=("GET", "POST"))
def apply(call: Call) -> Response:
    """Step 2: the flow's form; posting it is step 3 and lands on the progress page."""
    flow = call.request.path_params["flow"]
    if flow not in FORMS:
        return page(call.request, "error.html", status_code=404, detail="没有这项服务")
    schema, template = FORMS[flow]
    context = _form_context(call, flow)
    if call.request.method == "GET":
        return page(call.request, template, values={}, errors={}, **context)
    values = _fields(call.form)
    if flow == "missing" and call.form is not None:
        values["line_nos"] = [int(str(v)) for v in call.form.getlist("line_nos") if str(v).isdigit()]
    try:
        data = schema.model_validate(values)
    except ValidationError as exc:
        return page(
            call.request, template, status_code=422, values=values, errors=field_errors(exc), **context
        )
    return act_or_rerender(
        call.session,
        lambda: _submit(call, flow, data),
        failed=InvalidInputError,
        rerender=lambda exc: page(
            call.request,
            template,
            status_code=422,
            values=values,
            errors={exc.field: exc.message.split(": ", 1)[-1]},
            **context,
        ),
        done=lambda request: RedirectResponse(f"/portal/requests/{request.id}?new=1", status_code=303),
    )


def _photos(call: Call) -> list[tuple[bytes, str | None]]:
    if call.form is None:
        return []
    files = [item for item in call.form.getlist("photos") if isinstance(item, UploadFile) and item.filename]
    # One byte past the limit is enough to refuse an oversized file without reading all of it.
    limit = get_selfservice_settings().upload_max_bytes + 1
    return [(item.file.read(limit), item.filename) for item in files]


def _submit(call: Call, flow: str, data: BaseModel) -> Any:
    session, order_id = call.session, call.order_id
    if isinstance(data, ReturnApply):
        return service.submit_return(session, order_id=order_id, data=data, photos=_photos(call))
    if isinstance(data, AddressChange):
        return service.submit_address_change(session, order_id=order_id, data=data)
    if isinstance(data, InvoiceRegistration):
        return service.submit_invoice(session, order_id=order_id, data=data)
    if isinstance(data, InstallationRequest):
        return service.submit_installation(session, order_id=order_id, data=data)
    if isinstance(data, DelayShipping):
        return service.submit_delay(session, order_id=order_id, data=data)
    assert isinstance(data, MissingItem)
    return service.submit_missing_item(session, order_id=order_id, data=data, photos=_photos(call))


@route("/portal/requests/{request_id:int}")
def progress(call: Call) -> Response:
    """The live progress page: status, expected handling time, each step; htmx refreshes it."""
    request = service.get_request(
        call.session, request_id=call.request.path_params["request_id"], order_id=call.order_id
    )
    offers = []
    if request.return_request_id is not None and request.kind != RequestKind.REFUND:
        offers = integrations.retention_offers(call.session, request_id=request.return_request_id)
    template = "_progress.html" if call.request.headers.get("HX-Request") else "progress.html"
    return page(
        call.request,
        template,
        item=request,
        task=repository.task_of_request(call.session, request.id),
        photos=repository.uploads_of_request(call.session, request.id),
        offers=offers,
        is_new=call.request.query_params.get("new") == "1",
    )


@route("/portal/bot", methods=("POST",))
def ask_bot(call: Call) -> Response:
    text = _fields(call.form).get("question", "").strip()[:500]
    if not text:
        return HTMLResponse("")
    reply = bot.ask(call.session, text=text, session_key=f"portal:{call.order_id}", order_id=call.order_id)
    return page(call.request, "_bot_reply.html", question=text, reply=reply)
