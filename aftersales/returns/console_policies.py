"""Admin page for each shop's return rules; percentages and yuan are converted exactly."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from aftersales.auth.deps import RequireAdmin, SessionDep
from aftersales.catalog import repository as catalog_repository
from aftersales.catalog.models import Shop
from aftersales.kit.cells import CellError, money_fen
from aftersales.kit.errors import InvalidInputError
from aftersales.returns import repository, service
from aftersales.returns.schemas import PolicyIn
from aftersales.web.render import render

router = APIRouter()


def fen(value: str) -> int:
    """Yuan typed in a form (up to two decimals) to integer fen, never through a float."""
    try:
        amount = money_fen(value)
    except CellError as exc:
        raise InvalidInputError("amount", str(exc)) from None
    if amount <= 0:
        raise InvalidInputError("amount", "金额必须大于 0")
    return amount


@router.get("/policies", response_class=HTMLResponse)
def policies(request: Request, session: SessionDep, _: RequireAdmin) -> Response:
    shops = catalog_repository.shops(session)
    rows = []
    for shop in shops:
        policy = service.get_policy(session, shop.id)
        slots = [str(k) for k in policy.retention_order] + [""] * (3 - len(policy.retention_order))
        rows.append((shop, policy, repository.policy_row(session, shop.id) is None, slots))
    return render(request, "returns/policies.html", rows=rows, offer_labels=service.OFFER_LABELS)


def _bp(value: str, field: str) -> int:
    """A percentage with up to two decimals to basis points, exactly (50.01 -> 5001)."""
    try:
        return money_fen(value)  # the same ×100 with two-decimal check as yuan -> fen
    except CellError as exc:
        raise InvalidInputError(field, str(exc)) from None


@router.post("/policies/{shop_id}")
def save_policy(
    session: SessionDep,
    _: RequireAdmin,
    shop_id: int,
    agent_percent: Annotated[str, Form()],
    agent_cap: Annotated[str, Form()],
    supervisor_percent: Annotated[str, Form()],
    early_refund_max: Annotated[str, Form()],
    retention_percent: Annotated[str, Form()],
    release_refund_on: Annotated[str, Form()],
    high_value: Annotated[str, Form()],
    repeat_window_days: Annotated[int, Form()],
    max_extension_days: Annotated[int, Form()],
    erp_format: Annotated[str, Form()],
    first: Annotated[str | None, Form()] = None,
    second: Annotated[str | None, Form()] = None,
    third: Annotated[str | None, Form()] = None,
    erp_url: Annotated[str | None, Form()] = None,
    erp_shop_no: Annotated[str | None, Form()] = None,
    gift_sku_code: Annotated[str | None, Form()] = None,
) -> Response:
    if session.get(Shop, shop_id) is None:
        raise InvalidInputError("shop_id", f"店铺不存在: {shop_id}")
    order = [k for k in (first, second, third) if k]
    if len(set(order)) != len(order):
        raise InvalidInputError("retention_order", "挽留方案不能重复")
    try:
        values = PolicyIn(
            agent_ratio_bp=_bp(agent_percent, "agent_percent"),
            agent_cap_fen=fen(agent_cap),
            supervisor_ratio_bp=_bp(supervisor_percent, "supervisor_percent"),
            early_refund_max_fen=fen(early_refund_max),
            retention_compensation_bp=_bp(retention_percent, "retention_percent"),
            retention_order=order,
            release_refund_on=release_refund_on,
            high_value_fen=fen(high_value),
            repeat_window_days=repeat_window_days,
            max_extension_days=max_extension_days,
            erp_format=erp_format,
            erp_url=erp_url or None,
            erp_shop_no=erp_shop_no or None,
            gift_sku_code=gift_sku_code or None,
        )
    except ValidationError as exc:
        first_error = exc.errors()[0]
        raise InvalidInputError(".".join(str(p) for p in first_error["loc"]), first_error["msg"]) from None
    dumped = values.model_dump()
    dumped["retention_order"] = [str(k) for k in values.retention_order]
    service.save_policy(session, shop_id=shop_id, values=dumped)
    return RedirectResponse("/console/returns/policies", status_code=303)
