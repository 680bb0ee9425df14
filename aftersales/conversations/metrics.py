"""Response-time arithmetic across customer, bot and agent turns (pure functions, no database).

* A customer starts waiting with the first message after the last human reply; bot replies do
  not end the wait (a bot's answer is not the agent's first response, seed 001 纯机 vs 人工).
* An agent reply ends the wait: its response time is reply time minus wait start.
* First response time is therefore the first agent reply after the customer's first message.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from aftersales.conversations.models import Handling, Sender


@dataclass(frozen=True)
class Turn:
    sender: Sender
    sent_at: datetime


@dataclass
class SessionMetrics:
    started_at: datetime
    ended_at: datetime
    first_customer_at: datetime | None = None
    first_response_seconds: int | None = None
    avg_response_seconds: int | None = None
    max_response_seconds: int | None = None
    responses: int = 0
    customer_messages: int = 0
    agent_messages: int = 0
    bot_messages: int = 0
    handling: Handling = Handling.UNANSWERED
    transferred_at: datetime | None = None
    reply_seconds: list[int | None] = field(default_factory=list)


def _seconds(later: datetime, earlier: datetime) -> int:
    return max(0, round((later - earlier).total_seconds()))


def compute(
    turns: Sequence[Turn], handed_over_at: datetime | None = None, *, timed: bool = True
) -> SessionMetrics:
    """Metrics of one session's messages, given in sending order; ``reply_seconds`` is per turn.

    ``handed_over_at`` is the bot's own transfer marker: the session counts as transferred from
    then on, even before (or without) an agent's message. ``timed=False`` (an export with only the
    order of messages) counts the messages but leaves every response time unknown.
    """
    if not turns:
        raise ValueError("a session has at least one message")
    metrics = SessionMetrics(started_at=turns[0].sent_at, ended_at=turns[-1].sent_at)
    waiting_since: datetime | None = None
    waits: list[int] = []
    for turn in turns:
        reply: int | None = None
        if turn.sender is Sender.CUSTOMER:
            metrics.customer_messages += 1
            metrics.first_customer_at = metrics.first_customer_at or turn.sent_at
            waiting_since = waiting_since or turn.sent_at
        elif turn.sender is Sender.BOT:
            metrics.bot_messages += 1
        else:
            metrics.agent_messages += 1
            if metrics.agent_messages == 1 and metrics.bot_messages:
                metrics.transferred_at = turn.sent_at
            if waiting_since is not None and timed:
                reply = _seconds(turn.sent_at, waiting_since)
                waits.append(reply)
                waiting_since = None
        metrics.reply_seconds.append(reply)
    if handed_over_at is not None and metrics.bot_messages:
        metrics.transferred_at = min(filter(None, (metrics.transferred_at, handed_over_at)))
    _summarise(metrics, turns, waits, timed)
    return metrics


def _summarise(metrics: SessionMetrics, turns: Sequence[Turn], waits: list[int], timed: bool) -> None:
    first_agent = next((t.sent_at for t in turns if t.sender is Sender.AGENT), None)
    if timed and first_agent and metrics.first_customer_at and first_agent >= metrics.first_customer_at:
        metrics.first_response_seconds = _seconds(first_agent, metrics.first_customer_at)
    if waits:
        metrics.responses = len(waits)
        metrics.avg_response_seconds = round(sum(waits) / len(waits))
        metrics.max_response_seconds = max(waits)
    metrics.handling = _handling(metrics)


def _handling(metrics: SessionMetrics) -> Handling:
    if metrics.bot_messages and metrics.transferred_at:
        return Handling.TRANSFERRED
    if metrics.agent_messages:
        return Handling.HUMAN
    if metrics.bot_messages:
        return Handling.BOT_ONLY
    return Handling.UNANSWERED
