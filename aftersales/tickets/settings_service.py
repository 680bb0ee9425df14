"""Configuration rules: taxonomy, SLA policies, shifts and roster, routing rules, groups and bots, VIP.

Changes to policies apply to tickets whose clock starts afterwards; running clocks keep the
deadlines they were given (an agent's countdown never jumps under their feet).
"""

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from aftersales.kit.errors import ConflictError, InvalidInputError, NotFoundError
from aftersales.tickets import schemas, shifts
from aftersales.tickets.models import (
    GroupBot,
    RoutingRule,
    Shift,
    SlaPolicy,
    TaxonomyNode,
    TicketGroup,
    TicketSettings,
)
from aftersales.tickets.service import group_by_code, settings


def _get(session: Session, model: Any, row_id: int, label: str) -> Any:
    row = session.get(model, row_id)
    if row is None:
        raise NotFoundError(f"{label}不存在: {row_id}")
    return row


def _flush_unique(session: Session, message: str) -> None:
    """A duplicate is a 409 with a Chinese message, not a 500."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise ConflictError(message) from None


# ---- taxonomy -------------------------------------------------------------------------------


def taxonomy(session: Session, *, active_only: bool = False) -> list[TaxonomyNode]:
    query = select(TaxonomyNode).order_by(TaxonomyNode.level, TaxonomyNode.position, TaxonomyNode.id)
    if active_only:
        query = query.where(TaxonomyNode.is_active.is_(True))
    return list(session.scalars(query))


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
        for child in session.scalars(
            select(TaxonomyNode).where(TaxonomyNode.path.startswith(old_path + "/"))
        ):
            child.path = node.path + child.path[len(old_path) :]
    _flush_unique(session, f"分类已存在: {node.path}")
    return node


def taxonomy_tree(session: Session) -> dict[str, dict[str, list[str]]]:
    """Active categories → subcategories → details, for the create form."""
    tree: dict[str, dict[str, list[str]]] = {}
    for node in taxonomy(session, active_only=True):
        parts = node.path.split("/")
        if node.level == 1:
            tree.setdefault(parts[0], {})
        elif node.level == 2 and parts[0] in tree:
            tree[parts[0]].setdefault(parts[1], [])
        elif node.level == 3 and parts[1] in tree.get(parts[0], {}):
            tree[parts[0]][parts[1]].append(parts[2])
    return tree


# ---- SLA policies ---------------------------------------------------------------------------


def sla_policies(session: Session) -> list[SlaPolicy]:
    return list(session.scalars(select(SlaPolicy).order_by(SlaPolicy.shop_id.is_not(None), SlaPolicy.id)))


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


def set_roster(session: Session, *, user_id: int, shift_id: int | None) -> None:
    from aftersales.auth.models import User

    _get(session, User, user_id, "用户")
    if shift_id is not None:
        _get(session, Shift, shift_id, "班次")
    shifts.set_roster(session, user_id=user_id, shift_id=shift_id)


# ---- routing rules --------------------------------------------------------------------------


def routing_rules(session: Session) -> list[RoutingRule]:
    return list(session.scalars(select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id)))


def save_routing_rule(
    session: Session, *, data: schemas.RoutingRuleIn, rule_id: int | None = None
) -> RoutingRule:
    for field in ("set_group_code", "cc_group_code"):
        code = getattr(data, field)
        if code and session.scalar(select(TicketGroup.id).where(TicketGroup.code == code)) is None:
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


def groups(session: Session) -> list[TicketGroup]:
    return list(session.scalars(select(TicketGroup).order_by(TicketGroup.id)))


def create_group(session: Session, *, data: schemas.GroupIn) -> TicketGroup:
    group = TicketGroup(code=data.code, name=data.name, kind=data.kind)
    session.add(group)
    _flush_unique(session, f"处理组代码已存在: {data.code}")
    return group


def bots(session: Session, *, group_code: str) -> list[GroupBot]:
    group = group_by_code(session, group_code)
    return list(session.scalars(select(GroupBot).where(GroupBot.group_id == group.id).order_by(GroupBot.id)))


def add_bot(session: Session, *, group_code: str, data: schemas.BotIn) -> GroupBot:
    if data.channel == "dingtalk" and "access_token=" not in data.url:
        raise InvalidInputError("url", "钉钉机器人地址应包含 access_token")
    bot = GroupBot(group_id=group_by_code(session, group_code).id, is_active=True, **data.model_dump())
    session.add(bot)
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


# ---- VIP rule -------------------------------------------------------------------------------


def save_vip_rule(session: Session, *, data: schemas.VipRuleIn) -> TicketSettings:
    row = settings(session)
    for name, value in data.model_dump().items():
        setattr(row, name, value)
    session.flush()
    return row


def group_counts(session: Session) -> dict[int, int]:
    from aftersales.tickets.models import OPEN_STATUSES, Ticket

    rows = session.execute(
        select(Ticket.group_id, func.count())
        .where(Ticket.status.in_(OPEN_STATUSES))
        .group_by(Ticket.group_id)
    )
    return {g: n for g, n in rows if g is not None}
