"""Tickets API: tickets (CRUD, transitions, comments, search), feedback, handoffs, and configuration.

Agents work tickets; supervisors change policies, shifts and rules; admins manage groups and bots.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from aftersales.auth.deps import RequireAdmin, RequireAgent, RequireSupervisor, SessionDep
from aftersales.kit.errors import NotFoundError
from aftersales.kit.pagination import Page, PageDep, paginate_rows
from aftersales.kit.time import SHANGHAI, utcnow
from aftersales.tickets import feedback, repository, schemas, service
from aftersales.tickets.collab_api import router as collab_router
from aftersales.tickets.config import repository as config_repository
from aftersales.tickets.config import service as config
from aftersales.tickets.history import customer_history
from aftersales.tickets.models import TicketStatus
from aftersales.tickets.repository import QueueFilter, QueueSort, SlaState
from aftersales.tickets.shifts import handoff as handoffs
from aftersales.tickets.shifts import repository as shift_repository

router = APIRouter(tags=["tickets"])
router.include_router(collab_router)  # group robots' callbacks and photo links (collab_api.py)


# ---- tickets --------------------------------------------------------------------------------


@router.get("/api/tickets", response_model=Page[schemas.QueueRow])
def list_tickets(
    session: SessionDep,
    user: RequireAgent,
    page: PageDep,
    status: Annotated[list[TicketStatus] | None, Query()] = None,
    sla: SlaState | None = None,
    shift_id: int | None = None,
    group_id: int | None = None,
    assignee_id: int | None = None,
    mine: bool = False,
    handed_to_me: bool = False,
    follow_up_due: bool = False,
    type: str | None = None,
    category: str | None = None,
    shop_id: int | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    sort: QueueSort = QueueSort.SLA,
    desc: bool = False,
) -> Page[schemas.QueueRow]:
    """The queue and search: SLA state per row comes from the database."""
    filters = QueueFilter(
        statuses=status,
        sla=sla,
        shift_id=shift_id,
        group_id=group_id,
        assignee_id=user.id if mine else assignee_id,
        handed_to=user.id if handed_to_me else None,
        follow_up_due=follow_up_due,
        type=type,
        category=category,
        shop_id=shop_id,
        q=q,
        sort=sort,
        descending=desc,
    )
    statement = repository.queue(filters, now=utcnow())
    rows, total = paginate_rows(session, statement, page)
    items = [
        schemas.QueueRow.model_validate(
            {**schemas.TicketRead.model_validate(t).model_dump(), "sla_state": state}
        )
        for t, state in rows
    ]
    return Page(items=items, total=total, page=page.page, size=page.size)


@router.post("/api/tickets", response_model=schemas.TicketRead, status_code=201)
def create_ticket(session: SessionDep, user: RequireAgent, data: schemas.TicketCreate) -> schemas.TicketRead:
    ticket = service.create_ticket(session, **data.model_dump(), actor_id=user.id)
    return schemas.TicketRead.model_validate(ticket)


@router.get("/api/tickets/{ticket_id}", response_model=schemas.TicketDetail)
def read_ticket(session: SessionDep, user: RequireAgent, ticket_id: int) -> schemas.TicketDetail:
    ticket = service.get_ticket(session, ticket_id)
    timeline = [schemas.TimelineRead.model_validate(e) for e in repository.timeline(session, ticket_id)]
    return schemas.TicketDetail.model_validate(
        {**schemas.TicketRead.model_validate(ticket).model_dump(), "timeline": timeline}
    )


@router.patch("/api/tickets/{ticket_id}", response_model=schemas.TicketRead)
def update_ticket(
    session: SessionDep, user: RequireAgent, ticket_id: int, data: schemas.TicketUpdate
) -> schemas.TicketRead:
    changes = data.model_dump(exclude_unset=True)
    ticket = service.update_fields(session, ticket_id=ticket_id, actor_id=user.id, **changes)
    return schemas.TicketRead.model_validate(ticket)


@router.post("/api/tickets/{ticket_id}/transitions", response_model=schemas.TicketRead)
def transition(
    session: SessionDep, user: RequireAgent, ticket_id: int, data: schemas.TransitionIn
) -> schemas.TicketRead:
    ticket = service.transition(session, ticket_id=ticket_id, to=data.to, actor_id=user.id, note=data.note)
    return schemas.TicketRead.model_validate(ticket)


@router.post("/api/tickets/{ticket_id}/comments", response_model=schemas.TimelineRead, status_code=201)
def comment(
    session: SessionDep, user: RequireAgent, ticket_id: int, data: schemas.CommentIn
) -> schemas.TimelineRead:
    entry = service.add_comment(
        session, ticket_id=ticket_id, actor_id=user.id, text=data.text, internal=data.internal
    )
    return schemas.TimelineRead.model_validate(entry)


@router.post("/api/tickets/{ticket_id}/assign", response_model=schemas.TicketRead)
def assign(
    session: SessionDep, user: RequireAgent, ticket_id: int, data: schemas.AssignIn
) -> schemas.TicketRead:
    ticket = service.assign(
        session,
        ticket_id=ticket_id,
        actor_id=user.id,
        assignee_id=data.assignee_id,
        group_code=data.group_code,
    )
    return schemas.TicketRead.model_validate(ticket)


@router.post("/api/tickets/{ticket_id}/follow-up", response_model=schemas.TicketRead)
def follow_up(
    session: SessionDep, user: RequireAgent, ticket_id: int, data: schemas.FollowUpIn
) -> schemas.TicketRead:
    ticket = service.schedule_follow_up(
        session, ticket_id=ticket_id, actor_id=user.id, at=data.at, note=data.note
    )
    return schemas.TicketRead.model_validate(ticket)


@router.post("/api/tickets/{ticket_id}/rating", response_model=schemas.TicketRead)
def rate(
    session: SessionDep, user: RequireAgent, ticket_id: int, data: schemas.RatingIn
) -> schemas.TicketRead:
    ticket = service.record_rating(session, ticket_id=ticket_id, stars=data.stars, comment=data.comment)
    return schemas.TicketRead.model_validate(ticket)


@router.get("/api/tickets/{ticket_id}/history", response_model=schemas.CustomerHistory)
def history(session: SessionDep, user: RequireAgent, ticket_id: int) -> schemas.CustomerHistory:
    ticket = service.get_ticket(session, ticket_id)
    return customer_history(session, ticket=ticket, reveal=user.may_see_pii)


@router.post("/api/tickets/{ticket_id}/feedback", response_model=schemas.FeedbackRead, status_code=201)
def raise_feedback(
    session: SessionDep, user: RequireAgent, ticket_id: int, data: schemas.FeedbackCreate
) -> schemas.FeedbackRead:
    item = feedback.raise_feedback(
        session,
        ticket_id=ticket_id,
        department=data.department,
        content=data.content,
        sku_code=data.sku_code,
        actor_id=user.id,
    )
    return schemas.FeedbackRead.model_validate(item)


# ---- feedback board -------------------------------------------------------------------------


@router.get("/api/ticket-feedback", response_model=list[schemas.FeedbackRead])
def feedback_board(
    session: SessionDep, user: RequireAgent, department: str | None = None, open_only: bool = True
) -> list[schemas.FeedbackRead]:
    items = repository.feedback_board(session, department=department, open_only=open_only)
    return [schemas.FeedbackRead.model_validate(i) for i in items]


@router.post("/api/ticket-feedback/{feedback_id}/acknowledge", response_model=schemas.FeedbackRead)
def acknowledge_feedback(session: SessionDep, user: RequireAgent, feedback_id: int) -> schemas.FeedbackRead:
    item = feedback.acknowledge_feedback(session, feedback_id=feedback_id, actor_id=user.id)
    return schemas.FeedbackRead.model_validate(item)


@router.post("/api/ticket-feedback/{feedback_id}/close", response_model=schemas.FeedbackRead)
def close_feedback(session: SessionDep, user: RequireAgent, feedback_id: int) -> schemas.FeedbackRead:
    item = feedback.close_feedback(session, feedback_id=feedback_id, actor_id=user.id)
    return schemas.FeedbackRead.model_validate(item)


@router.post("/api/ticket-feedback/{feedback_id}/answer", response_model=schemas.FeedbackRead)
def answer_feedback(
    session: SessionDep, user: RequireAgent, feedback_id: int, data: schemas.FeedbackAnswer
) -> schemas.FeedbackRead:
    item = feedback.answer_feedback(session, feedback_id=feedback_id, answer=data.answer, actor_id=user.id)
    return schemas.FeedbackRead.model_validate(item)


# ---- handoffs -------------------------------------------------------------------------------


@router.get("/api/ticket-handoffs", response_model=list[schemas.HandoffRead])
def my_handoffs(session: SessionDep, user: RequireAgent) -> list[schemas.HandoffRead]:
    """What was handed to me and not yet acknowledged ("handed to me" comes first)."""
    return [
        schemas.HandoffRead.model_validate(h) for h in repository.pending_handoffs(session, user_id=user.id)
    ]


@router.post("/api/ticket-handoffs/{handoff_id}/ack", response_model=schemas.HandoffRead)
def acknowledge_handoff(session: SessionDep, user: RequireAgent, handoff_id: int) -> schemas.HandoffRead:
    handoff = handoffs.acknowledge(session, handoff_id=handoff_id, user_id=user.id)
    if handoff is None:
        raise NotFoundError(f"交接记录不存在: {handoff_id}")
    return schemas.HandoffRead.model_validate(handoff)


@router.post("/api/ticket-handoffs/run", response_model=dict[str, int])
def run_handoff(session: SessionDep, user: RequireSupervisor, data: schemas.HandoffRun) -> dict[str, int]:
    """交班 now: the supervisor closes a shift early (the job does it at the shift's end)."""
    shift = shift_repository.shift_by_code(session, data.shift_code)
    if shift is None:
        raise NotFoundError(f"班次不存在: {data.shift_code}")
    day = utcnow().astimezone(SHANGHAI).date()
    return {"handed_off": handoffs.hand_off(session, shift_id=shift.id, day=day)}


# ---- taxonomy -------------------------------------------------------------------------------


@router.get("/api/ticket-taxonomy", response_model=list[schemas.TaxonomyRead])
def list_taxonomy(session: SessionDep, user: RequireAgent) -> list[schemas.TaxonomyRead]:
    return [schemas.TaxonomyRead.model_validate(n) for n in config_repository.taxonomy(session)]


@router.post("/api/ticket-taxonomy", response_model=schemas.TaxonomyRead, status_code=201)
def add_taxonomy(
    session: SessionDep, user: RequireSupervisor, data: schemas.TaxonomyCreate
) -> schemas.TaxonomyRead:
    return schemas.TaxonomyRead.model_validate(config.add_taxonomy_node(session, data=data))


@router.patch("/api/ticket-taxonomy/{node_id}", response_model=schemas.TaxonomyRead)
def update_taxonomy(
    session: SessionDep, user: RequireSupervisor, node_id: int, data: schemas.TaxonomyUpdate
) -> schemas.TaxonomyRead:
    return schemas.TaxonomyRead.model_validate(
        config.update_taxonomy_node(session, node_id=node_id, data=data)
    )


@router.delete("/api/ticket-taxonomy/{node_id}", status_code=204)
def delete_taxonomy(session: SessionDep, user: RequireSupervisor, node_id: int) -> Response:
    config.delete_taxonomy_node(session, node_id=node_id)
    return Response(status_code=204)


# ---- SLA policies ---------------------------------------------------------------------------


@router.get("/api/sla-policies", response_model=list[schemas.SlaPolicyRead])
def list_policies(session: SessionDep, user: RequireAgent) -> list[schemas.SlaPolicyRead]:
    return [schemas.SlaPolicyRead.model_validate(p) for p in config_repository.sla_policies(session)]


@router.post("/api/sla-policies", response_model=schemas.SlaPolicyRead, status_code=201)
def create_policy(
    session: SessionDep, user: RequireSupervisor, data: schemas.SlaPolicyIn
) -> schemas.SlaPolicyRead:
    return schemas.SlaPolicyRead.model_validate(config.save_sla_policy(session, data=data))


@router.put("/api/sla-policies/{policy_id}", response_model=schemas.SlaPolicyRead)
def update_policy(
    session: SessionDep, user: RequireSupervisor, policy_id: int, data: schemas.SlaPolicyIn
) -> schemas.SlaPolicyRead:
    return schemas.SlaPolicyRead.model_validate(
        config.save_sla_policy(session, data=data, policy_id=policy_id)
    )


@router.delete("/api/sla-policies/{policy_id}", status_code=204)
def delete_policy(session: SessionDep, user: RequireSupervisor, policy_id: int) -> Response:
    config.delete_sla_policy(session, policy_id=policy_id)
    return Response(status_code=204)


# ---- shifts and roster ----------------------------------------------------------------------


@router.get("/api/shifts", response_model=list[schemas.ShiftRead])
def list_shifts(session: SessionDep, user: RequireAgent) -> list[schemas.ShiftRead]:
    return [schemas.ShiftRead.model_validate(s) for s in shift_repository.all_shifts(session)]


@router.post("/api/shifts", response_model=schemas.ShiftRead, status_code=201)
def create_shift(session: SessionDep, user: RequireSupervisor, data: schemas.ShiftIn) -> schemas.ShiftRead:
    return schemas.ShiftRead.model_validate(config.save_shift(session, data=data))


@router.put("/api/shifts/{shift_id}", response_model=schemas.ShiftRead)
def update_shift(
    session: SessionDep, user: RequireSupervisor, shift_id: int, data: schemas.ShiftIn
) -> schemas.ShiftRead:
    return schemas.ShiftRead.model_validate(config.save_shift(session, data=data, shift_id=shift_id))


@router.delete("/api/shifts/{shift_id}", status_code=204)
def delete_shift(session: SessionDep, user: RequireSupervisor, shift_id: int) -> Response:
    config.delete_shift(session, shift_id=shift_id)
    return Response(status_code=204)


@router.get("/api/shifts/roster", response_model=list[schemas.RosterRead])
def list_roster(session: SessionDep, user: RequireAgent) -> list[schemas.RosterRead]:
    return [schemas.RosterRead.model_validate(e) for e in config_repository.roster(session)]


@router.put("/api/shifts/roster/{user_id}", status_code=204)
def put_roster(
    session: SessionDep, user: RequireSupervisor, user_id: int, data: schemas.RosterIn
) -> Response:
    config.set_roster(session, user_id=user_id, shift_id=data.shift_id)
    return Response(status_code=204)


# ---- routing rules --------------------------------------------------------------------------


@router.get("/api/routing-rules", response_model=list[schemas.RoutingRuleRead])
def list_rules(session: SessionDep, user: RequireAgent) -> list[schemas.RoutingRuleRead]:
    return [schemas.RoutingRuleRead.model_validate(r) for r in config_repository.routing_rules(session)]


@router.post("/api/routing-rules", response_model=schemas.RoutingRuleRead, status_code=201)
def create_rule(
    session: SessionDep, user: RequireSupervisor, data: schemas.RoutingRuleIn
) -> schemas.RoutingRuleRead:
    return schemas.RoutingRuleRead.model_validate(config.save_routing_rule(session, data=data))


@router.put("/api/routing-rules/{rule_id}", response_model=schemas.RoutingRuleRead)
def update_rule(
    session: SessionDep, user: RequireSupervisor, rule_id: int, data: schemas.RoutingRuleIn
) -> schemas.RoutingRuleRead:
    return schemas.RoutingRuleRead.model_validate(
        config.save_routing_rule(session, data=data, rule_id=rule_id)
    )


@router.delete("/api/routing-rules/{rule_id}", status_code=204)
def delete_rule(session: SessionDep, user: RequireSupervisor, rule_id: int) -> Response:
    config.delete_routing_rule(session, rule_id=rule_id)
    return Response(status_code=204)


# ---- groups and bots ------------------------------------------------------------------------


@router.get("/api/ticket-groups", response_model=list[schemas.GroupRead])
def list_groups(session: SessionDep, user: RequireAgent) -> list[schemas.GroupRead]:
    return [schemas.GroupRead.model_validate(g) for g in config_repository.groups(session)]


@router.post("/api/ticket-groups", response_model=schemas.GroupRead, status_code=201)
def create_group(session: SessionDep, user: RequireAdmin, data: schemas.GroupIn) -> schemas.GroupRead:
    return schemas.GroupRead.model_validate(config.create_group(session, data=data))


@router.patch("/api/ticket-groups/{group_code}", response_model=schemas.GroupRead)
def update_group(
    session: SessionDep, user: RequireAdmin, group_code: str, data: schemas.GroupUpdate
) -> schemas.GroupRead:
    return schemas.GroupRead.model_validate(config.update_group(session, group_code=group_code, data=data))


@router.delete("/api/ticket-groups/{group_code}", status_code=204)
def delete_group(session: SessionDep, user: RequireAdmin, group_code: str) -> Response:
    config.delete_group(session, group_code=group_code)
    return Response(status_code=204)


@router.get("/api/ticket-groups/{group_code}/bots", response_model=list[schemas.BotRead])
def list_bots(session: SessionDep, user: RequireSupervisor, group_code: str) -> list[schemas.BotRead]:
    return [config.bot_read(b) for b in config.bots(session, group_code=group_code)]


@router.post("/api/ticket-groups/{group_code}/bots", response_model=schemas.BotRead, status_code=201)
def add_bot(session: SessionDep, user: RequireAdmin, group_code: str, data: schemas.BotIn) -> schemas.BotRead:
    return config.bot_read(config.add_bot(session, group_code=group_code, data=data))


@router.patch("/api/ticket-bots/{bot_id}", response_model=schemas.BotRead)
def update_bot(
    session: SessionDep, user: RequireAdmin, bot_id: int, data: schemas.BotUpdate
) -> schemas.BotRead:
    return config.bot_read(config.update_bot(session, bot_id=bot_id, data=data))


@router.delete("/api/ticket-bots/{bot_id}", status_code=204)
def remove_bot(session: SessionDep, user: RequireAdmin, bot_id: int) -> Response:
    config.remove_bot(session, bot_id=bot_id)
    return Response(status_code=204)
