"""qc: checkpoints settings, message analyses, session results, findings, overrules, alerts, VOC

Revision ID: 0450
Revises: 0400
Create Date: 2026-11-25 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import aftersales.kit.types

revision: str = "0450"
down_revision: str | Sequence[str] | None = "0400"
branch_labels: str | Sequence[str] | None = ("qc",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "qc_checkpoint_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column(
            "params",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("updated_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.id"],
            name=op.f("fk_qc_checkpoint_settings_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qc_checkpoint_settings")),
        sa.UniqueConstraint("shop_id", "code", name=op.f("uq_qc_checkpoint_settings_shop_id_code")),
    )
    op.create_table(
        "qc_shop_settings",
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("pass_score", sa.Integer(), nullable=False),
        sa.Column("alert_group_code", sa.String(length=32), nullable=False),
        sa.Column("high_alert_group_code", sa.String(length=32), nullable=True),
        sa.Column("updated_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_qc_shop_settings_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("shop_id", name=op.f("pk_qc_shop_settings")),
    )
    op.create_table(
        "qc_session_results",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("started_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("emotion_polarity", sa.String(length=8), nullable=False),
        sa.Column("emotion_label", sa.String(length=8), nullable=False),
        sa.Column("negative_messages", sa.Integer(), nullable=False),
        sa.Column("risk_level", sa.String(length=8), nullable=True),
        sa.Column("risk_count", sa.Integer(), nullable=False),
        sa.Column(
            "failed_checkpoints",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("inspected_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["users.id"], name=op.f("fk_qc_session_results_agent_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["chat_sessions.id"],
            name=op.f("fk_qc_session_results_session_id_chat_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_qc_session_results_shop_id_shops")),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_qc_session_results")),
    )
    op.create_index(
        "ix_qc_session_results_agent_id_started_at",
        "qc_session_results",
        ["agent_id", "started_at"],
        unique=False,
    )
    op.create_index(
        "ix_qc_session_results_shop_id_started_at",
        "qc_session_results",
        ["shop_id", "started_at"],
        unique=False,
    )
    op.create_index("ix_qc_session_results_started_at", "qc_session_results", ["started_at"], unique=False)
    op.create_table(
        "qc_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column(
            "kinds",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("phrase", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open", "acknowledged", "handling", "closed", name="alertstatus", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("raised_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("escalated_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.Column("handling_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("handling_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("notified", sa.Integer(), nullable=False, comment="group bots reached"),
        sa.ForeignKeyConstraint(
            ["acknowledged_by_id"], ["users.id"], name=op.f("fk_qc_alerts_acknowledged_by_id_users")
        ),
        sa.ForeignKeyConstraint(["closed_by_id"], ["users.id"], name=op.f("fk_qc_alerts_closed_by_id_users")),
        sa.ForeignKeyConstraint(
            ["handling_by_id"], ["users.id"], name=op.f("fk_qc_alerts_handling_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["chat_messages.id"],
            name=op.f("fk_qc_alerts_message_id_chat_messages"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["chat_sessions.id"],
            name=op.f("fk_qc_alerts_session_id_chat_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_qc_alerts_shop_id_shops")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qc_alerts")),
        sa.UniqueConstraint("session_id", name=op.f("uq_qc_alerts_session_id")),
    )
    op.create_index("ix_qc_alerts_shop_id_raised_at", "qc_alerts", ["shop_id", "raised_at"], unique=False)
    op.create_index("ix_qc_alerts_status_raised_at", "qc_alerts", ["status", "raised_at"], unique=False)
    op.create_table(
        "qc_findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column(
            "area",
            sa.Enum(
                "basic", "competence", "emotion", "risk", "voc", name="area", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("auto_passed", sa.Boolean(), nullable=False, comment="what the machine decided"),
        sa.Column("final_passed", sa.Boolean(), nullable=False, comment="after any overrule"),
        sa.Column("message_id", sa.Integer(), nullable=True, comment="evidence message"),
        sa.Column("evidence", sa.String(length=200), nullable=True, comment="the phrase to highlight"),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("overruled", sa.Boolean(), nullable=False),
        sa.Column("overruled_by_id", sa.Integer(), nullable=True),
        sa.Column("overruled_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("overrule_reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["chat_messages.id"],
            name=op.f("fk_qc_findings_message_id_chat_messages"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["overruled_by_id"], ["users.id"], name=op.f("fk_qc_findings_overruled_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["chat_sessions.id"],
            name=op.f("fk_qc_findings_session_id_chat_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qc_findings")),
        sa.UniqueConstraint("session_id", "code", name=op.f("uq_qc_findings_session_id_code")),
    )
    op.create_index("ix_qc_findings_code_final_passed", "qc_findings", ["code", "final_passed"], unique=False)
    op.create_table(
        "qc_message_analyses",
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("polarity", sa.String(length=8), nullable=False),
        sa.Column("label", sa.String(length=8), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("risk_level", sa.String(length=8), nullable=True),
        sa.Column(
            "risks",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("model_version", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["chat_messages.id"],
            name=op.f("fk_qc_message_analyses_message_id_chat_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["chat_sessions.id"],
            name=op.f("fk_qc_message_analyses_session_id_chat_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_qc_message_analyses")),
    )
    op.create_index("ix_qc_message_analyses_session_id", "qc_message_analyses", ["session_id"], unique=False)
    op.create_table(
        "qc_voc_mentions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("sku_id", sa.Integer(), nullable=True),
        sa.Column("topic", sa.String(length=16), nullable=False),
        sa.Column("keyword", sa.String(length=32), nullable=False),
        sa.Column("mentioned_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["chat_messages.id"],
            name=op.f("fk_qc_voc_mentions_message_id_chat_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["chat_sessions.id"],
            name=op.f("fk_qc_voc_mentions_session_id_chat_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_qc_voc_mentions_shop_id_shops")),
        sa.ForeignKeyConstraint(["sku_id"], ["skus.id"], name=op.f("fk_qc_voc_mentions_sku_id_skus")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qc_voc_mentions")),
        sa.UniqueConstraint("message_id", "keyword", name=op.f("uq_qc_voc_mentions_message_id_keyword")),
    )
    op.create_index(
        "ix_qc_voc_mentions_shop_id_mentioned_at",
        "qc_voc_mentions",
        ["shop_id", "mentioned_at"],
        unique=False,
    )
    op.create_index(
        "ix_qc_voc_mentions_sku_id_mentioned_at", "qc_voc_mentions", ["sku_id", "mentioned_at"], unique=False
    )
    op.create_table(
        "qc_overrules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("old_passed", sa.Boolean(), nullable=False),
        sa.Column("new_passed", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["qc_findings.id"],
            name=op.f("fk_qc_overrules_finding_id_qc_findings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["chat_sessions.id"],
            name=op.f("fk_qc_overrules_session_id_chat_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_qc_overrules_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qc_overrules")),
    )
    op.create_index("ix_qc_overrules_finding_id", "qc_overrules", ["finding_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_qc_overrules_finding_id", table_name="qc_overrules")
    op.drop_index("ix_qc_voc_mentions_sku_id_mentioned_at", table_name="qc_voc_mentions")
    op.drop_index("ix_qc_voc_mentions_shop_id_mentioned_at", table_name="qc_voc_mentions")
    op.drop_index("ix_qc_message_analyses_session_id", table_name="qc_message_analyses")
    op.drop_index("ix_qc_findings_code_final_passed", table_name="qc_findings")
    op.drop_index("ix_qc_alerts_status_raised_at", table_name="qc_alerts")
    op.drop_index("ix_qc_alerts_shop_id_raised_at", table_name="qc_alerts")
    op.drop_index("ix_qc_session_results_started_at", table_name="qc_session_results")
    op.drop_index("ix_qc_session_results_shop_id_started_at", table_name="qc_session_results")
    op.drop_index("ix_qc_session_results_agent_id_started_at", table_name="qc_session_results")
    op.drop_table("qc_overrules")
    op.drop_table("qc_voc_mentions")
    op.drop_table("qc_message_analyses")
    op.drop_table("qc_findings")
    op.drop_table("qc_alerts")
    op.drop_table("qc_session_results")
    op.drop_table("qc_shop_settings")
    op.drop_table("qc_checkpoint_settings")
