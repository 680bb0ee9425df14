"""analytics: covering indexes for the scorecard's per-agent aggregations over a date range.

The scorecard groups every chat, rating invitation and QC result of the range by agent; with only
the time index SQLite looks each row up in the table (200,000 chats a month). These indexes hold the
time, the agent and the measured columns, so the aggregation reads the index alone.

Revision ID: 0701
Revises: 0700
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0701"
down_revision: str | Sequence[str] | None = "0700"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = ("0450", "0500")

INDEXES = {
    "ix_chat_sessions_scorecard": (
        "chat_sessions",
        ["started_at", "agent_id", "first_response_seconds", "avg_response_seconds"],
    ),
    "ix_rating_invitations_scorecard": (
        "rating_invitations",
        ["eligible_at", "agent_id", "invited_at", "stars", "final_stars"],
    ),
    "ix_qc_session_results_scorecard": ("qc_session_results", ["started_at", "agent_id", "score"]),
}


def upgrade() -> None:
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, (table, _columns) in reversed(INDEXES.items()):
        op.drop_index(name, table_name=table)
