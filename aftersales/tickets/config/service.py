"""Configuration rules: taxonomy, SLA policies, shifts and roster, routing rules, groups and bots.

Changes to policies apply to tickets whose clock starts afterwards; running clocks keep the
deadlines they were given (an agent's countdown never jumps under their feet).
"""

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from aftersales.kit.errors import ConflictError, InvalidInputError, NotFoundError
from aftersales.tickets import schemas
from aftersales.tickets.config import repository
from aftersales.tickets.config.defaults import GROUPS
from aftersales.tickets.models import (
    OPEN_STATUSES,
    GroupBot,
    Handoff,
    RosterEntry,
    RoutingRule,
    Shift,
    SlaPolicy,
    TaxonomyNode,
    Ticket,
    TicketGroup,
)
from aftersales.tickets.service import group_by_code
from aftersales.tickets.shifts import service as shift_service


def _get(session: Session, model: Any, row_id: int, label: str) -> Any:
    row = session.get(model, row_id)
    if row is None:
        raise NotFoundError(f"{label}不存在: {row_id}")
    return row


def _refuse_in_use(label: str, uses: dict[str, int], hint: str = "") -> None:
    """Deleting what other rows still point at would lose history: 409 naming what uses it."""
    used = [f"{name} {n}" for name, n in uses.items() if n]
    if used:
        raise ConflictError(f"{label}仍在使用({'、'.join(used)}),不能删除" + hint)


def _flush_unique(session: Session, message: str) -> None:
    """A duplicate is a 409 with a Chinese message, not a 500."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise ConflictError(message) from None


# ---- taxonomy -------------------------------------------------------------------------------


def add_taxonomy_node(session: Session, *, data: schemas.TaxonomyCreate) -> TaxonomyNode:
    parent = _get(session, TaxonomyNode, data.parent_id, "上级分类") if data.parent_id else None
    if parent is not None and parent.level >= 3:
        raise InvalidInputError("parent_id", "分类最多三级")
    node = TaxonomyNode(
        parent_id=parent.id if parent else None,
        level=parent.level + 1 if parent else 1,
        name=data.name,
        path=f"{parent.path}/{data.name}" if parent else data.name,
        position=data.position,
        is_active=True,
    )
    session.add(node)
    _flush_unique(session, f"分类已存在: {node.path}")
    return node


def update_taxonomy_node(session: Session, *, node_id: int, data: schemas.TaxonomyUpdate) -> TaxonomyNode:
    """Renaming keeps existing tickets' text (they record what was chosen then); deactivating hides it."""
    node: TaxonomyNode = _get(session, TaxonomyNode, node_id, "分类")
    if data.position is not None:
        node.position = data.position
    if data.is_active is not None:
        node.is_active = data.is_active
    if data.name and data.name != node.name:
        old_path = node.path
        node.name = data.name
        node.path = old_path.rsplit("/", 1)[0] + "/" + data.name if "/" in old_path else data.name
        for child in repository.taxonomy_below(session, old_path):
            child.path = node.path + child.path[len(old_path) :]
    _flush_unique(session, f"分类已存在: {node.path}")
    return node


def delete_taxonomy_node(session: Session, *, node_id: int) -> None:
    """Only an unused leaf goes; a node tickets were filed under is deactivated instead."""
    node: TaxonomyNode = _get(session, TaxonomyNode, node_id, "分类")
    columns = (Ticket.category, Ticket.subcategory, Ticket.detail)
    filed = [column == part for column, part in zip(columns, node.path.split("/"), strict=False)]
    uses = {
        "下级分类": repository.count(session, TaxonomyNode, TaxonomyNode.parent_id == node.id),
        "工单": repository.count(session, Ticket, *filed),
    }
    _refuse_in_use("分类", uses, ",可改为停用")
    session.delete(node)
    session.flush()


def taxonomy_tree(session: Session) -> dict[str, dict[str, list[str]]]:
    """Active categories → subcategories → details, for the create form."""
    tree: dict[str, dict[str, list[str]]] = {}
    for node in repository.taxonomy(session, active_only=True):
        parts = node.path.split("/")
        if node.level == 1:
            tree.setdefault(parts[0], {})
        elif node.level == 2 and parts[0] in tree:
            tree[parts[0]].setdefault(parts[1], [])
        elif node.level == 3 and parts[1] in tree.get(parts[0], {}):
            tree[parts[0]][parts[1]].append(parts[2])
    return tree


# ---- SLA policies ---------------------------------------------------------------------------


def save_sla_policy(
    session: Session, *, data: schemas.SlaPolicyIn, policy_id: int | None = None
) -> SlaPolicy:
    try:
        columns = data.columns()
    except ValueError as exc:
        raise InvalidInputError("business_end", str(exc)) from None
    if not (columns["resolution_same_day"] or columns["resolution_minutes"]):
        raise InvalidInputError("resolution_minutes", "需要解决时限(分钟)或勾选当日解决")
    policy = _get(session, SlaPolicy, policy_id, "SLA 策略") if policy_id else SlaPolicy()
    for name, value in columns.items():
        setattr(policy, name, value)
    session.add(policy)
    _flush_unique(session, "该店铺与工单类型已有 SLA 策略")
    return policy


def delete_sla_policy(session: Session, *, policy_id: int) -> None:
    policy = _get(session, SlaPolicy, policy_id, "SLA 策略")
    if policy.shop_id is None and policy.ticket_type is None:
        raise ConflictError("默认 SLA 策略不能删除,可修改其时限")
    session.delete(policy)
    session.flush()


# ---- shifts and roster ----------------------------------------------------------------------


def save_shift(session: Session, *, data: schemas.ShiftIn, shift_id: int | None = None) -> Shift:
    start, end = (int(t.split(":")[0]) * 60 + int(t.split(":")[1]) for t in (data.start, data.end))
    if not 0 <= start < end <= 24 * 60:
        raise InvalidInputError("end", "下班时间应晚于上班时间,且不超过 24:00")
    shift = _get(session, Shift, shift_id, "班次") if shift_id else Shift()
    shift.code, shift.name, shift.start_minute, shift.end_minute = data.code, data.name, start, end
    session.add(shift)
    _flush_unique(session, f"班次代码已存在: {data.code}")
    return shift


def delete_shift(session: Session, *, shift_id: int) -> None:
    shift: Shift = _get(session, Shift, shift_id, "班次")
    uses = {
        "排班": repository.count(session, RosterEntry, RosterEntry.shift_id == shift.id),
        "未结工单": repository.count(
            session, Ticket, Ticket.shift_id == shift.id, Ticket.status.in_(OPEN_STATUSES)
        ),
        "交接记录": repository.count(
            session, Handoff, (Handoff.from_shift_id == shift.id) | (Handoff.to_shift_id == shift.id)
        ),
    }
    _refuse_in_use("班次", uses)
    session.delete(shift)
    session.flush()


def set_roster(session: Session, *, user_id: int, shift_id: int | None) -> None:
    from aftersales.auth.models import User

    _get(session, User, user_id, "用户")
    if shift_id is not None:
        _get(session, Shift, shift_id, "班次")
    shift_service.set_roster(session, user_id=user_id, shift_id=shift_id)


# ---- routing rules --------------------------------------------------------------------------


def save_routing_rule(
    session: Session, *, data: schemas.RoutingRuleIn, rule_id: int | None = None
) -> RoutingRule:
    for field in ("set_group_code", "cc_group_code"):
        code = getattr(data, field)
        if code and repository.group_id_of(session, code) is None:
            raise InvalidInputError(field, f"处理组不存在: {code}")
    rule = _get(session, RoutingRule, rule_id, "分派规则") if rule_id else RoutingRule()
    for name, value in data.model_dump().items():
        setattr(rule, name, value)
    session.add(rule)
    session.flush()
    return rule


def delete_routing_rule(session: Session, *, rule_id: int) -> None:
    session.delete(_get(session, RoutingRule, rule_id, "分派规则"))
    session.flush()


# ---- groups and bots ------------------------------------------------------------------------


def create_group(session: Session, *, data: schemas.GroupIn) -> TicketGroup:
    group = TicketGroup(code=data.code, name=data.name, kind=data.kind)
    session.add(group)
    _flush_unique(session, f"处理组代码已存在: {data.code}")
    return group


def update_group(session: Session, *, group_code: str, data: schemas.GroupUpdate) -> TicketGroup:
    group = group_by_code(session, group_code)
    for name, value in data.model_dump(exclude_none=True).items():
        setattr(group, name, value)
    session.flush()
    return group


BUILT_IN_GROUPS = frozenset(code for code, _, _ in GROUPS)


def delete_group(session: Session, *, group_code: str) -> None:
    """Built-in groups (routing defaults, departments) stay; others go once nothing points at them."""
    group = group_by_code(session, group_code)
    if group.code in BUILT_IN_GROUPS:
        raise ConflictError(f"内置处理组不能删除: {group.code}")
    rules = (RoutingRule.set_group_code == group.code) | (RoutingRule.cc_group_code == group.code)
    uses = {
        "工单": repository.count(session, Ticket, Ticket.group_id == group.id),
        "机器人": repository.count(
            session, GroupBot, GroupBot.group_id == group.id, GroupBot.is_active.is_(True)
        ),
        "分派规则": repository.count(session, RoutingRule, rules),
    }
    _refuse_in_use("处理组", uses)
    session.delete(group)
    session.flush()


def bots(session: Session, *, group_code: str) -> list[GroupBot]:
    return repository.bots_of(session, group_by_code(session, group_code).id)


def _check_bot_url(channel: str, url: str) -> None:
    if channel == "dingtalk" and "access_token=" not in url:
        raise InvalidInputError("url", "钉钉机器人地址应包含 access_token")


def add_bot(session: Session, *, group_code: str, data: schemas.BotIn) -> GroupBot:
    _check_bot_url(data.channel, data.url)
    bot = GroupBot(group_id=group_by_code(session, group_code).id, is_active=True, **data.model_dump())
    session.add(bot)
    session.flush()
    return bot


def update_bot(session: Session, *, bot_id: int, data: schemas.BotUpdate) -> GroupBot:
    bot: GroupBot = _get(session, GroupBot, bot_id, "机器人")
    changes = data.model_dump(exclude_none=True)
    if "secret" in changes:
        changes["secret"] = changes["secret"] or None
    for name, value in changes.items():
        setattr(bot, name, value)
    _check_bot_url(bot.channel, bot.url)
    session.flush()
    return bot


def remove_bot(session: Session, *, bot_id: int) -> None:
    bot = _get(session, GroupBot, bot_id, "机器人")
    bot.is_active = False
    session.flush()


def bot_read(bot: GroupBot) -> schemas.BotRead:
    return schemas.BotRead.model_validate(
        {
            **{c: getattr(bot, c) for c in ("id", "group_id", "channel", "name", "url", "is_active")},
            "has_secret": bool(bot.secret),
        }
    )
