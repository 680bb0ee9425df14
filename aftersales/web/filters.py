"""What every console list page shares about its filters: an empty value means "no filter", a bad
value is explained in Chinese, and the pager keeps the filters in its links.

A filter form's "全部" option and an empty search box submit ``shop_id=`` and ``q=``; FastAPI would
parse ``""`` as an integer or an enum and answer 422, so the console drops empty values before any
route sees them, the same way for every page (the JSON API is left strict).
"""

from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote_plus, urlencode

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

CONSOLE_PREFIX = "/console"

# The query parameters the list pages take, by the name a user sees next to the control.
FIELD_LABELS = {
    "q": "搜索",
    "export": "导出格式",
    "status": "状态",
    "kind": "类型",
    "shop_id": "店铺",
    "courier": "快递",
    "sla": "SLA",
    "shift_id": "班次",
    "group_id": "处理组",
    "mine": "我的",
    "handed_to_me": "交给我的",
    "follow_up_due": "待跟进",
    "sort": "排序",
    "stars": "星级",
    "triage": "分拣",
    "mismatch": "五星差评",
    "sku_id": "商品",
    "replied": "已回复",
    "page": "页码",
    "size": "每页条数",
    "start": "开始日期",
    "end": "结束日期",
    "platform": "平台",
    "agent_id": "客服",
    "emotion": "情绪",
    "risk": "风险",
    "passed": "是否合格",
    "max_score": "最高分",
    "level": "级别",
    "days": "统计天数",
    "mode": "跟单方式",
    "sku_code": "商品编码",
    "recommendation_days": "推荐转化窗口(天)",
    "unpaid_after_minutes": "进入跟单的分钟数",
    "follow_up_hours": "跟单转化窗口(小时)",
}

# pydantic's error types, as a reason a user can act on.
REASONS = {
    "enum": "不是可选的值",
    "literal_error": "不是可选的值",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "bool_parsing": "应为“是”或“否”",
    "date_parsing": "日期格式应为 2026-11-11",
    "date_from_datetime_parsing": "日期格式应为 2026-11-11",
    "datetime_parsing": "时间格式应为 2026-11-11 10:00",
    "greater_than_equal": "不能小于 {ge}",
    "greater_than": "应大于 {gt}",
    "less_than_equal": "不能大于 {le}",
    "less_than": "应小于 {lt}",
    "string_too_long": "不能超过 {max_length} 个字",
    "string_too_short": "不能为空",
    "missing": "必须填写",
}


class DropEmptyQueryValues:
    """ASGI middleware: ``GET /console/...?shop_id=&q=`` reaches the route as ``GET /console/...``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(CONSOLE_PREFIX) and scope["query_string"]:
            pairs = scope["query_string"].split(b"&")
            kept = [pair for pair in pairs if _has_value(pair)]
            if len(kept) != len(pairs):
                scope = {**scope, "query_string": b"&".join(kept)}
        await self.app(scope, receive, send)


def _has_value(pair: bytes) -> bool:
    """``q=%20`` and ``shop_id=`` are empty; the pair is kept byte for byte otherwise."""
    _, _, value = pair.partition(b"=")
    return bool(unquote_plus(value.decode("latin-1")).strip())


def describe_invalid(errors: Iterable[dict[str, Any]]) -> str:
    """``类型「abc」不是可选的值`` for each bad value: the console's 422 page, without pydantic's English."""
    parts = []
    for error in errors:
        name = str(error["loc"][-1]) if error.get("loc") else ""
        label = FIELD_LABELS.get(name, "输入")
        reason = REASONS.get(error.get("type", ""), "格式不正确").format(**(error.get("ctx") or {}))
        value = error.get("input")
        shown = f"「{value}」" if isinstance(value, str | int) and str(value) else ""
        parts.append(f"{label}{shown}{reason}")
    return ";".join(parts) or "输入有误"


def export_link(request: Request) -> str:
    """The list's Excel export: the same filters, every page (``export=xlsx``)."""
    kept = [
        (k, v) for k, v in request.query_params.multi_items() if k not in ("page", "size", "export") and v
    ]
    return f"{request.url.path}?{urlencode([*kept, ('export', 'xlsx')])}"


def page_link(request: Request, page: int) -> str:
    """The same list with every filter kept and another page number: ``/console/returns?status=open&page=3``
    (a path, not ``?…``, so a row fragment htmx swapped in links to its list, not to the page around it)."""
    kept = [(key, value) for key, value in request.query_params.multi_items() if key != "page" and value]
    return f"{request.url.path}?{urlencode([*kept, ('page', str(page))])}"
