"""Customer history beside a ticket: earlier orders and tickets, spend, and the VIP mark."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.orders.models import Order
from aftersales.orders.schemas import OrderRead
from aftersales.tickets import repository
from aftersales.tickets.models import Ticket
from aftersales.tickets.schemas import CustomerHistory, TicketRead
from aftersales.tickets.service import is_vip_customer


def customer_history(session: Session, *, ticket: Ticket, reveal: bool) -> CustomerHistory:
    """Orders are masked unless the reader may see PII (same rule as the order pages)."""
    customer_id = ticket.customer_id
    if customer_id is None:
        return CustomerHistory(
            customer_id=None, is_vip=False, ticket_count=0, paid_fen=0, orders=[], tickets=[]
        )
    orders = repository.customer_orders(session, customer_id)
    tickets = repository.customer_tickets(session, customer_id, exclude=ticket.id)
    count = session.scalar(select(func.count(Ticket.id)).where(Ticket.customer_id == customer_id)) or 0
    paid = session.scalar(
        select(func.coalesce(func.sum(Order.paid_fen), 0)).where(Order.customer_id == customer_id)
    )
    return CustomerHistory(
        customer_id=customer_id,
        is_vip=ticket.is_vip or is_vip_customer(session, customer_id),
        ticket_count=count,
        paid_fen=int(paid or 0),
        orders=[OrderRead.for_reader(o, reveal=reveal).model_dump(mode="json") for o in orders],
        tickets=[TicketRead.model_validate(t) for t in tickets],
    )
