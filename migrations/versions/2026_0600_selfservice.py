"""selfservice: portal access codes and lock-outs, portal requests, steps, uploads, return tasks,
bot exchanges, quick replies and their uses.

Revision ID: 0600
Revises: 0001
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import aftersales.kit.types

revision: str = "0600"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("selfservice",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('quick_replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=True),
    sa.Column('scenario', sa.String(length=32), nullable=False, comment="a bot intent code, or 'general'"),
    sa.Column('shortcut', sa.String(length=32), nullable=False, comment='typed as /shortcut in the chat box'),
    sa.Column('title', sa.String(length=64), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('keywords', sa.String(length=500), nullable=False, comment='space-separated search words'),
    sa.Column('usage_count', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_quick_replies_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quick_replies')),
    sa.UniqueConstraint('shortcut', name=op.f('uq_quick_replies_shortcut'))
    )
    with op.batch_alter_table('quick_replies', schema=None) as batch_op:
        batch_op.create_index('ix_quick_replies_scenario', ['scenario'], unique=False)

    op.create_table('bot_exchanges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('session_key', sa.String(length=128), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('intent', sa.String(length=32), nullable=True),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('handed_over', sa.Boolean(), nullable=False),
    sa.Column('handover_reason', sa.String(length=32), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('asked_at', aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_bot_exchanges_order_id_orders'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_bot_exchanges_shop_id_shops')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bot_exchanges'))
    )
    with op.batch_alter_table('bot_exchanges', schema=None) as batch_op:
        batch_op.create_index('ix_bot_exchanges_session_key', ['session_key'], unique=False)
        batch_op.create_index('ix_bot_exchanges_shop_id_asked_at', ['shop_id', 'asked_at'], unique=False)

    op.create_table('portal_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('sent_at', aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('failed_attempts', sa.Integer(), nullable=False),
    sa.Column('consumed_at', aftersales.kit.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_portal_codes_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_codes'))
    )
    with op.batch_alter_table('portal_codes', schema=None) as batch_op:
        batch_op.create_index('ix_portal_codes_order_id_sent_at', ['order_id', 'sent_at'], unique=False)

    op.create_table('portal_lockouts',
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('window_started_at', aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('locked_until', aftersales.kit.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_portal_lockouts_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_portal_lockouts'))
    )
    op.create_table('portal_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('return', 'exchange', 'refund', 'address_change', 'invoice', 'installation', 'delay_shipping', 'missing_item', name='portal_request_kind', native_enum=False, length=24), nullable=False),
    sa.Column('status', sa.Enum('submitted', 'processing', 'completed', 'rejected', name='portal_request_status', native_enum=False, length=24), nullable=False),
    sa.Column('reason', sa.String(length=64), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('return_method', sa.Enum('pickup', 'self_send', 'runner', name='portal_return_method', native_enum=False, length=24), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('return_request_id', sa.Integer(), nullable=True),
    sa.Column('expected_by', aftersales.kit.types.UTCDateTime(timezone=True), nullable=True, comment="from the ticket's SLA"),
    sa.Column('created_at', aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_portal_requests_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_portal_requests_shop_id_shops')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_requests'))
    )
    with op.batch_alter_table('portal_requests', schema=None) as batch_op:
        batch_op.create_index('ix_portal_requests_order_id_created_at', ['order_id', 'created_at'], unique=False)
        batch_op.create_index('ix_portal_requests_status_created_at', ['status', 'created_at'], unique=False)
        batch_op.create_index('ix_portal_requests_ticket_id', ['ticket_id'], unique=False)

    op.create_table('quick_reply_uses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quick_reply_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('used_at', aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_quick_reply_uses_order_id_orders'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['quick_reply_id'], ['quick_replies.id'], name=op.f('fk_quick_reply_uses_quick_reply_id_quick_replies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_quick_reply_uses_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quick_reply_uses'))
    )
    with op.batch_alter_table('quick_reply_uses', schema=None) as batch_op:
        batch_op.create_index('ix_quick_reply_uses_quick_reply_id_used_at', ['quick_reply_id', 'used_at'], unique=False)

    op.create_table('portal_request_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('submitted', 'processing', 'completed', 'rejected', name='portal_step_status', native_enum=False, length=24), nullable=False),
    sa.Column('message', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['portal_requests.id'], name=op.f('fk_portal_request_steps_request_id_portal_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_request_steps'))
    )
    with op.batch_alter_table('portal_request_steps', schema=None) as batch_op:
        batch_op.create_index('ix_portal_request_steps_request_id_occurred_at', ['request_id', 'occurred_at'], unique=False)

    op.create_table('portal_return_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.Enum('pickup', 'self_send', 'runner', name='portal_task_method', native_enum=False, length=24), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('due_at', aftersales.kit.types.UTCDateTime(timezone=True), nullable=True, comment='pickup slot start, or when to chase'),
    sa.Column('address', sa.String(length=255), nullable=True, comment='where to collect, or where to send to'),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('created_at', aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['portal_requests.id'], name=op.f('fk_portal_return_tasks_request_id_portal_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_return_tasks')),
    sa.UniqueConstraint('request_id', name=op.f('uq_portal_return_tasks_request_id'))
    )
    with op.batch_alter_table('portal_return_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_portal_return_tasks_status_due_at', ['status', 'due_at'], unique=False)

    op.create_table('portal_uploads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('stored_name', sa.String(length=128), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=True),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_portal_uploads_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['request_id'], ['portal_requests.id'], name=op.f('fk_portal_uploads_request_id_portal_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_uploads')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_portal_uploads_stored_name'))
    )
    with op.batch_alter_table('portal_uploads', schema=None) as batch_op:
        batch_op.create_index('ix_portal_uploads_request_id', ['request_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('portal_uploads', schema=None) as batch_op:
        batch_op.drop_index('ix_portal_uploads_request_id')

    op.drop_table('portal_uploads')
    with op.batch_alter_table('portal_return_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_portal_return_tasks_status_due_at')

    op.drop_table('portal_return_tasks')
    with op.batch_alter_table('portal_request_steps', schema=None) as batch_op:
        batch_op.drop_index('ix_portal_request_steps_request_id_occurred_at')

    op.drop_table('portal_request_steps')
    with op.batch_alter_table('quick_reply_uses', schema=None) as batch_op:
        batch_op.drop_index('ix_quick_reply_uses_quick_reply_id_used_at')

    op.drop_table('quick_reply_uses')
    with op.batch_alter_table('portal_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_portal_requests_ticket_id')
        batch_op.drop_index('ix_portal_requests_status_created_at')
        batch_op.drop_index('ix_portal_requests_order_id_created_at')

    op.drop_table('portal_requests')
    op.drop_table('portal_lockouts')
    with op.batch_alter_table('portal_codes', schema=None) as batch_op:
        batch_op.drop_index('ix_portal_codes_order_id_sent_at')

    op.drop_table('portal_codes')
    with op.batch_alter_table('bot_exchanges', schema=None) as batch_op:
        batch_op.drop_index('ix_bot_exchanges_shop_id_asked_at')
        batch_op.drop_index('ix_bot_exchanges_session_key')

    op.drop_table('bot_exchanges')
    with op.batch_alter_table('quick_replies', schema=None) as batch_op:
        batch_op.drop_index('ix_quick_replies_scenario')

    op.drop_table('quick_replies')
