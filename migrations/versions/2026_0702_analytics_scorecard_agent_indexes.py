"""analytics: agent-first covering indexes for the scorecard's GROUP BY agent over a range.

With 0701's time-first indexes SQLite reads the range and then sorts all of it (700,000 entries a
month) into a temporary B-tree for the GROUP BY, and tickets still visit the table per row. These
indexes lead with the agent and hold the time and the measured columns, so the aggregation reads
one index in agent order with no sort and no table visit (the scorecard names them on SQLite).

Revision ID: 0702
Revises: 0701
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0702"
down_revision: str | Sequence[str] | None = "0701"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = ("0100",)

INDEXES = {
    "ix_chat_sessions_scorecard_agent": (
        "chat_sessions",
        ["agent_id", "started_at", "first_response_seconds", "avg_response_seconds"],
    ),
    "ix_tickets_scorecard_agent": (
        "tickets",
        ["assignee_id", "created_at", "first_responded_at", "resolved_at", "reopened_count", "sla_breached"],
    ),
    "ix_rating_invitations_scorecard_agent": (
        "rating_invitations",
        ["agent_id", "eligible_at", "invited_at", "stars", "final_stars"],
    ),
    "ix_qc_session_results_scorecard_agent": ("qc_session_results", ["agent_id", "started_at", "score"]),
}


def upgrade() -> None:
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, (table, _columns) in reversed(INDEXES.items()):
        op.drop_index(name, table_name=table)
