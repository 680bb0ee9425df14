"""The rating funnel (邀评, seed 000): invite after service, record ratings, recover and re-rate.

Every resolved ticket and finished chat becomes one ``RatingInvitation`` row whether or not an
invitation goes out (no buyer to write to, or the buyer was invited in the last day), so the
invite rate has a denominator. Invitations leave through the outbox to the platform IM. A
negative rating on a chat opens a recovery form CC'd to the group's bot; when the form is closed
as recovered, the customer is invited to rate again and the change is counted.
"""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.auth.models import User
from aftersales.catalog.models import Shop
from aftersales.kit.refs import require_refs
from aftersales.kit.time import utcnow
from aftersales.kit.upsert import insert_ignore
from aftersales.messaging.customer_channels import im_destination
from aftersales.messaging.service import queue_message
from aftersales.orders.models import Customer, Order
from aftersales.reviews import repository
from aftersales.reviews.errors import (
    AlreadyRatedError,
    InvitationNotFoundError,
    NotInvitedError,
    RecoveryClosedError,
    RecoveryNotFoundError,
)
from aftersales.reviews.models import InvitationKind, RatingInvitation, RatingRecovery, RecoveryStatus
from aftersales.reviews.schemas import FunnelRow
from aftersales.reviews.tickets_link import tickets_service

INVITE_COOLDOWN = timedelta(hours=24)
"""A buyer gets at most one invitation a day: more reads as pestering and lowers ratings."""
SATISFIED_MIN_STARS = 4
NEGATIVE_MAX_STARS = 2
RECOVERY_GROUP = "aftersales"

INVITE_TEXT = "亲,本次服务已处理完毕,您对{who}的服务满意吗?回复 1-5 为我们打分(5 分最满意),感谢您的支持!"
REINVITE_TEXT = "亲,您之前反馈的问题已为您处理:{solution}。如果现在满意了,麻烦回复 1-5 重新为我们打分,谢谢!"


def register_service(
    session: Session,
    *,
    kind: InvitationKind,
    subject_key: str,
    shop_id: int,
    eligible_at: datetime | None = None,
    ticket_id: int | None = None,
    group_code: str | None = None,
    agent_id: int | None = None,
    customer_id: int | None = None,
    order_id: int | None = None,
) -> RatingInvitation:
    """Record a finished service and invite its customer unless a rule says not to; idempotent by key."""
    now = utcnow()
    row = {
        "kind": kind,
        "subject_key": subject_key,
        "ticket_id": ticket_id,
        "shop_id": shop_id,
        "group_code": group_code,
        "agent_id": agent_id,
        "customer_id": customer_id,
        "order_id": order_id,
        "eligible_at": eligible_at or now,
    }
    insert_ignore(session, RatingInvitation, [row], conflict_columns=("subject_key",))
    invitation = session.scalars(
        select(RatingInvitation).where(RatingInvitation.subject_key == subject_key)
    ).one()
    if invitation.invited_at is None and invitation.skip_reason is None:
        _invite(session, invitation, min(now, invitation.eligible_at))
    session.flush()
    return invitation


def _invite(session: Session, invitation: RatingInvitation, at: datetime) -> None:
    """Sent as the service ends; backfilled services (imports, the demo) keep their own time."""
    destination = _buyer_destination(session, invitation)
    if destination is None:
        invitation.skip_reason = "无买家账号"
        return
    assert invitation.customer_id is not None
    if repository.recently_invited(
        session, customer_id=invitation.customer_id, since=at - INVITE_COOLDOWN, until=at + INVITE_COOLDOWN
    ):
        invitation.skip_reason = "24小时内已邀评"
        return
    who = "售后客服" if invitation.kind == InvitationKind.TICKET else "客服"
    queue_message(
        session,
        channel="platform_im",
        destination=destination,
        payload={
            "text": INVITE_TEXT.format(who=who),
            "kind": "rating_invitation",
            "invitation_id": invitation.id,
        },
        idempotency_key=f"reviews:invite:{invitation.id}",
        subject=("rating_invitation", invitation.id),
    )
    invitation.invited_at = at


def _buyer_destination(session: Session, invitation: RatingInvitation) -> str | None:
    customer_id = invitation.customer_id
    if customer_id is None and invitation.order_id is not None:
        order = session.get(Order, invitation.order_id)
        customer_id = order.customer_id if order else None
        invitation.customer_id = customer_id
    if customer_id is None:
        return None
    customer = session.get_one(Customer, customer_id)
    shop = session.get_one(Shop, invitation.shop_id)
    return im_destination(str(customer.platform), shop.code, customer.source_id)


def invite_after_ticket(session: Session, *, ticket_id: int) -> RatingInvitation:
    """The ``TicketResolved`` reaction: the ticket's shop, customer, assignee and group."""
    from aftersales.tickets.models import Ticket, TicketGroup

    ticket = session.get_one(Ticket, ticket_id)
    group = session.get(TicketGroup, ticket.group_id) if ticket.group_id else None
    return register_service(
        session,
        kind=InvitationKind.TICKET,
        subject_key=f"ticket:{ticket.id}",
        shop_id=ticket.shop_id,
        ticket_id=ticket.id,
        group_code=group.code if group else None,
        agent_id=ticket.assignee_id,
        customer_id=ticket.customer_id,
        order_id=ticket.order_id,
    )


def invite_after_chat(
    session: Session,
    *,
    shop_id: int,
    session_key: str,
    agent_id: int | None = None,
    customer_id: int | None = None,
    order_id: int | None = None,
    group_code: str | None = RECOVERY_GROUP,
    finished_at: datetime | None = None,
) -> RatingInvitation:
    require_refs(
        session,
        {
            "shop_id": (Shop, shop_id),
            "agent_id": (User, agent_id),
            "customer_id": (Customer, customer_id),
            "order_id": (Order, order_id),
        },
    )
    return register_service(
        session,
        kind=InvitationKind.CHAT,
        subject_key=f"chat:{shop_id}:{session_key}",
        shop_id=shop_id,
        group_code=group_code,
        agent_id=agent_id,
        customer_id=customer_id,
        order_id=order_id,
        eligible_at=finished_at,
    )


CHAT_IDLE = timedelta(minutes=30)
"""A chat counts as finished when nobody has written for this long (platforms close it about then)."""
CHAT_LOOKBACK = timedelta(days=3)
CHATS_PER_RUN = 2000


def invite_finished_chats(session: Session, *, now: datetime | None = None) -> int:
    """Register every chat an agent served that went quiet, once; returns how many were new.

    The buyer is the chat's customer (from its order or the buyer account); the group is the agent's
    (``repository.agent_groups``), the after-sales group for an agent with no tickets yet."""
    now = now or utcnow()
    chats = repository.finished_chats_without_invitation(
        session, idle_since=now - CHAT_IDLE, not_before=now - CHAT_LOOKBACK, limit=CHATS_PER_RUN
    )
    groups = repository.agent_groups(session, {chat.agent_id for chat in chats})
    for chat in chats:
        invite_after_chat(
            session,
            shop_id=chat.shop_id,
            session_key=chat.session_key,
            agent_id=chat.agent_id,
            customer_id=chat.customer_id,
            order_id=chat.order_id,
            group_code=groups.get(chat.agent_id, RECOVERY_GROUP),
            finished_at=chat.ended_at,
        )
    return len(chats)


def get_invitation(session: Session, invitation_id: int) -> RatingInvitation:
    invitation = session.get(RatingInvitation, invitation_id)
    if invitation is None:
        raise InvitationNotFoundError(invitation_id)
    return invitation


def record_rating(
    session: Session, *, invitation_id: int, stars: int, comment: str | None = None
) -> RatingInvitation:
    """The customer's answer: a first rating, or a re-rating after a recovery (counted separately)."""
    invitation = get_invitation(session, invitation_id)
    now = utcnow()
    if invitation.invited_at is None:
        raise NotInvitedError()
    if invitation.rated_at is None:
        invitation.rated_at, invitation.stars, invitation.final_stars = now, stars, stars
        invitation.comment = comment
        if invitation.kind == InvitationKind.CHAT and stars <= NEGATIVE_MAX_STARS:
            open_recovery(session, invitation)
    elif invitation.reinvited_at is not None and invitation.rerated_at is None:
        invitation.rerated_at, invitation.final_stars = now, stars
    else:
        raise AlreadyRatedError()
    if invitation.ticket_id is not None:
        tickets_service().record_rating(session, ticket_id=invitation.ticket_id, stars=stars, comment=comment)
    session.flush()
    return invitation


def open_recovery(session: Session, invitation: RatingInvitation) -> RatingRecovery:
    """Seed 000's follow-up form: shop, order, problem; CC'd to the group bot for a quick call-back."""
    group = invitation.group_code or RECOVERY_GROUP
    recovery = RatingRecovery(
        invitation_id=invitation.id,
        shop_id=invitation.shop_id,
        order_id=invitation.order_id,
        group_code=group,
        problem=invitation.comment or f"顾客给出 {invitation.stars} 星评价,未留言",
        status=RecoveryStatus.OPEN,
        data={"stars": invitation.stars, "agent_id": invitation.agent_id},
    )
    session.add(recovery)
    session.flush()
    tickets_service().notify_group(
        session,
        group_code=group,
        text=_recovery_text(session, recovery, invitation),
        idempotency_key=f"reviews:recovery:{recovery.id}",
        subject=("rating_recovery", recovery.id),
    )
    return recovery


def _recovery_text(session: Session, recovery: RatingRecovery, invitation: RatingInvitation) -> str:
    shop = session.get_one(Shop, recovery.shop_id)
    order = session.get(Order, recovery.order_id) if recovery.order_id else None
    agent = session.get(User, invitation.agent_id) if invitation.agent_id else None
    lines = [
        "【差评挽回】请尽快联系顾客协商处理",
        f"店铺: {shop.name}",
        f"订单号: {order.source_id if order else '无'}",
        f"评分: {'★' * (invitation.stars or 0)}",
        f"问题: {recovery.problem}",
        f"接待客服: {agent.display_name if agent else '未知'}",
    ]
    return "\n".join(lines)


def get_recovery(session: Session, recovery_id: int) -> RatingRecovery:
    recovery = session.get(RatingRecovery, recovery_id)
    if recovery is None:
        raise RecoveryNotFoundError(recovery_id)
    return recovery


def recovery_for(session: Session, *, invitation_id: int) -> RatingRecovery | None:
    return session.scalar(select(RatingRecovery).where(RatingRecovery.invitation_id == invitation_id))


def close_recovery(
    session: Session, *, recovery_id: int, solution: str, recovered: bool, actor: User
) -> RatingRecovery:
    """Record what was done; a recovered customer is invited to re-rate through the outbox."""
    recovery = get_recovery(session, recovery_id)
    if recovery.status != RecoveryStatus.OPEN:
        raise RecoveryClosedError()
    recovery.solution = solution
    recovery.status = RecoveryStatus.RECOVERED if recovered else RecoveryStatus.FAILED
    recovery.handled_by = actor.id
    recovery.closed_at = utcnow()
    if recovered:
        _reinvite(session, get_invitation(session, recovery.invitation_id), solution)
    session.flush()
    tickets_service().notify_group(
        session,
        group_code=recovery.group_code,
        text=f"【差评挽回】{recovery.status.label}(挽回单 #{recovery.id})\n解决方案: {solution}\n"
        f"处理人: {actor.display_name}",
        idempotency_key=f"reviews:recovery-closed:{recovery.id}",
        subject=("rating_recovery", recovery.id),
    )
    return recovery


def _reinvite(session: Session, invitation: RatingInvitation, solution: str) -> None:
    destination = _buyer_destination(session, invitation)
    if destination is None:
        return
    queue_message(
        session,
        channel="platform_im",
        destination=destination,
        payload={
            "text": REINVITE_TEXT.format(solution=solution),
            "kind": "rating_reinvitation",
            "invitation_id": invitation.id,
        },
        idempotency_key=f"reviews:reinvite:{invitation.id}",
        subject=("rating_invitation", invitation.id),
    )
    invitation.reinvited_at = utcnow()


def open_recoveries(
    session: Session, *, status: RecoveryStatus | None = RecoveryStatus.OPEN
) -> list[RatingRecovery]:
    statement = select(RatingRecovery).order_by(RatingRecovery.created_at.desc()).limit(500)
    if status is not None:
        statement = statement.where(RatingRecovery.status == status)
    return list(session.scalars(statement))


def funnel(
    session: Session, *, by: str = "shop", since: datetime | None = None, until: datetime | None = None
) -> list[FunnelRow]:
    """Invite, rating, satisfaction and negative rates per shop, group or agent; re-ratings counted."""
    labels = _labels(session, by)
    rows = []
    for (
        key,
        eligible,
        invited,
        rated,
        satisfied,
        negative,
        rerated,
        improved,
        final_ok,
    ) in repository.funnel_counts(session, by=by, since=since, until=until):
        rows.append(
            FunnelRow(
                key=str(key) if key is not None else "",
                label=labels.get(key, "未分配") if key is not None else "未分配",
                eligible=eligible,
                invited=int(invited or 0),
                rated=int(rated or 0),
                satisfied=int(satisfied or 0),
                negative=int(negative or 0),
                rerated=int(rerated or 0),
                improved=int(improved or 0),
                final_satisfied=int(final_ok or 0),
                invite_rate=_rate(invited, eligible),
                rating_rate=_rate(rated, invited),
                satisfaction_rate=_rate(satisfied, rated),
                negative_rate=_rate(negative, rated),
                final_satisfaction_rate=_rate(final_ok, rated),
            )
        )
    return rows


def _rate(part: Any, whole: Any) -> float | None:
    return round(int(part or 0) / int(whole), 4) if whole else None


def _labels(session: Session, by: str) -> dict[Any, str]:
    if by == "shop":
        return dict(session.execute(select(Shop.id, Shop.name)).all())
    if by == "agent":
        return dict(session.execute(select(User.id, User.display_name)).all())
    try:
        from aftersales.tickets.models import TicketGroup
    except ImportError:
        return {}
    return dict(session.execute(select(TicketGroup.code, TicketGroup.name)).all())
