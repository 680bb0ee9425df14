"""chatqc: chats imported without times (chat_sessions.times_known); checkpoints that cannot be
measured (qc_findings.auto_passed / final_passed NULL = 无法计算)

Revision ID: 0900chatqc
Revises: 0800
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0900chatqc"
down_revision: str | Sequence[str] | None = "0800"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0450"


def upgrade() -> None:
    with op.batch_alter_table("chat_sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "times_known",
                sa.Boolean(),
                server_default=sa.true(),
                nullable=False,
                comment="false when an export gave only the order of messages: times are placeholders, "
                "response times cannot be computed",
            )
        )
    with op.batch_alter_table("qc_findings", schema=None) as batch_op:
        batch_op.alter_column(
            "auto_passed",
            existing_type=sa.Boolean(),
            nullable=True,
            comment="what the machine decided; NULL when it cannot be measured (无法计算)",
            existing_comment="what the machine decided",
        )
        batch_op.alter_column("final_passed", existing_type=sa.Boolean(), nullable=True)


def downgrade() -> None:
    op.execute("UPDATE qc_findings SET auto_passed = true WHERE auto_passed IS NULL")
    op.execute("UPDATE qc_findings SET final_passed = true WHERE final_passed IS NULL")
    with op.batch_alter_table("qc_findings", schema=None) as batch_op:
        batch_op.alter_column("final_passed", existing_type=sa.Boolean(), nullable=False)
        batch_op.alter_column(
            "auto_passed",
            existing_type=sa.Boolean(),
            nullable=False,
            comment="what the machine decided",
            existing_comment="what the machine decided; NULL when it cannot be measured (无法计算)",
        )
    with op.batch_alter_table("chat_sessions", schema=None) as batch_op:
        batch_op.drop_column("times_known")
