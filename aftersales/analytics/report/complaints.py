"""投诉工单分析 (seed 001 §售后机器人辅助): complaints by problem category and subcategory, the
department each points to, how many were resolved and how fast."""

from sqlalchemy import ColumnElement, func
from sqlalchemy.orm import Session

from aftersales.analytics.dimensions import TICKETS
from aftersales.analytics.report import repository
from aftersales.analytics.report.attribution import top_items
from aftersales.analytics.results import Analysis, DataTable, number, percent, rate
from aftersales.analytics.scope import Scope
from aftersales.kit.sqltime import seconds_between
from aftersales.tickets.models import TicketType

# Where a complaint's category sends it (seed 001: 产品、物流、服务源头问题).
CATEGORY_OWNERS = {"商品问题": "产品部", "物流问题": "物流部", "服务问题": "客服部"}


def _owner(category: str) -> str:
    return CATEGORY_OWNERS.get(category, "运营部")


def complaint_tickets(session: Session, scope: Scope) -> Analysis:
    """投诉工单: complaints per category / subcategory with resolution, and the source departments."""
    analysis = Analysis("complaints", "投诉工单分析")
    hours: ColumnElement[float] = seconds_between(session, TICKETS.c.resolved_at, TICKETS.c.created_at) / 3600
    rows = repository.ticket_rows(
        session,
        scope,
        {"n": func.count(), "resolved": func.count(TICKETS.c.resolved_at), "hours": func.avg(hours)},
        by={"category": TICKETS.c.category, "subcategory": TICKETS.c.subcategory},
        where=(TICKETS.c.type == TicketType.COMPLAINT,),
    )
    total = sum(int(r["n"]) for r in rows)
    table = DataTable(
        "complaints",
        "投诉分布",
        ["分类", "子分类", "源头部门", "投诉数", "占投诉", "已解决", "解决率", "平均解决(小时)"],
    )
    owners: dict[str, int] = {}
    unresolved: dict[str, int] = {}
    for row in sorted(rows, key=lambda r: (-int(r["n"]), str(r["category"]), str(r["subcategory"]))):
        category, n, done = str(row["category"]), int(row["n"]), int(row["resolved"])
        table.rows.append(
            [
                category,
                row["subcategory"] or "—",
                _owner(category),
                n,
                percent(rate(n, total)),
                done,
                percent(rate(done, n)),
                number(None if row["hours"] is None else round(float(row["hours"]), 1)),
            ]
        )
        owners[_owner(category)] = owners.get(_owner(category), 0) + n
        label = f"{category}/{row['subcategory']}" if row["subcategory"] else category
        unresolved[label] = unresolved.get(label, 0) + n - done
    analysis.tables.append(table)
    analysis.findings.append(f"投诉工单 {total} 张")
    _causes(analysis, table, owners, unresolved, total)
    return analysis


def _causes(
    analysis: Analysis, table: DataTable, owners: dict[str, int], unresolved: dict[str, int], total: int
) -> None:
    if not total:
        return
    first = table.rows[0]
    analysis.causes.append(f"投诉最多的是「{first[0]}/{first[1]}」,{first[3]} 张(占 {first[4]})")
    shares = "、".join(f"{owner} {percent(rate(n, total))}" for owner, n in top_items(owners))
    analysis.causes.append(f"按源头:{shares}")
    open_items = [(k, n) for k, n in top_items(unresolved) if n]
    if open_items:
        analysis.causes.append("未解决投诉集中在" + "、".join(f"「{k}」({n} 张)" for k, n in open_items))
    owner = top_items(owners, 1)[0][0]
    analysis.action = f"向{owner}反馈 TOP 投诉原因并约定整改时限;未解决投诉由组长每日跟进至关闭"


def type_causes(types: list[tuple[str, int]], labels: dict[str, str]) -> list[str]:
    """工单类型分析's sentence: the after-sales needs that dominate, with their shares."""
    total = sum(n for _t, n in types)
    if not total:
        return []
    top = sorted(types, key=lambda t: (-t[1], t[0]))[:3]
    shares = "、".join(f"「{labels.get(t, t)}」{percent(rate(n, total))}" for t, n in top)
    return [f"售后需求以{shares}为主"]
