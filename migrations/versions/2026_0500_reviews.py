"""reviews: reviews, reply drafts, reviewer marks, VOC topics, rating invitations and recoveries

Revision ID: 0500
Revises: 0001
Create Date: 2026-11-25 16:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text  # noqa: F401  (JSONB(astext_type=Text()))
from sqlalchemy.dialects import postgresql  # noqa: F401

import aftersales.kit.types

revision: str = "0500"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("reviews",)
depends_on: str | Sequence[str] | None = ("0100",)


def upgrade() -> None:
    op.create_table('reviewer_marks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.Enum('taobao', 'tmall', 'jd', 'douyin', 'pdd', 'own', name='platform', native_enum=False, length=16), nullable=False),
    sa.Column('buyer', sa.String(length=128), nullable=False),
    sa.Column('negative_reviews', sa.Integer(), nullable=False),
    sa.Column('distinct_orders', sa.Integer(), nullable=False),
    sa.Column('compensation_demands', sa.Integer(), nullable=False),
    sa.Column('is_professional', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.String(length=255), nullable=False),
    sa.Column('marked_by', sa.Integer(), nullable=True),
    sa.Column('marked_at', aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['marked_by'], ['users.id'], name=op.f('fk_reviewer_marks_marked_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviewer_marks')),
    sa.UniqueConstraint('platform', 'buyer', name=op.f('uq_reviewer_marks_platform_buyer'))
    )
    op.create_table('rating_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('ticket', 'chat', name='invitationkind', native_enum=False, length=24), nullable=False),
    sa.Column('subject_key', sa.String(length=128), nullable=False, comment='ticket:<id> or chat:<session key>'),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('group_code', sa.String(length=32), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('eligible_at', aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('invited_at', aftersales.kit.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('skip_reason', sa.String(length=64), nullable=True),
    sa.Column('rated_at', aftersales.kit.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('stars', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('reinvited_at', aftersales.kit.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('rerated_at', aftersales.kit.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('final_stars', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['agent_id'], ['users.id'], name=op.f('fk_rating_invitations_agent_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_rating_invitations_customer_id_customers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_rating_invitations_order_id_orders'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_rating_invitations_shop_id_shops')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_invitations')),
    sa.UniqueConstraint('subject_key', name=op.f('uq_rating_invitations_subject_key'))
    )
    op.create_index('ix_rating_invitations_agent_id_eligible_at', 'rating_invitations', ['agent_id', 'eligible_at'], unique=False)
    op.create_index('ix_rating_invitations_customer_id_invited_at', 'rating_invitations', ['customer_id', 'invited_at'], unique=False)
    op.create_index('ix_rating_invitations_shop_id_eligible_at', 'rating_invitations', ['shop_id', 'eligible_at'], unique=False)
    op.create_table('reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.Enum('taobao', 'tmall', 'jd', 'douyin', 'pdd', 'own', name='platform', native_enum=False, length=16), nullable=False),
    sa.Column('source_id', sa.String(length=64), nullable=False, comment="the platform's review id"),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('order_no', sa.String(length=64), nullable=True),
    sa.Column('sku_id', sa.Integer(), nullable=True),
    sa.Column('sku_code', sa.String(length=64), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('buyer', sa.String(length=128), nullable=True, comment='buyer account on the platform'),
    sa.Column('stars', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('images_count', sa.Integer(), nullable=False),
    sa.Column('reviewed_at', aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('triage', sa.Enum('pending', 'positive', 'middling', 'negative', name='triage', native_enum=False, length=24), nullable=False),
    sa.Column('is_mismatch', sa.Boolean(), nullable=False, comment='4-5 stars, negative text'),
    sa.Column('emotion_label', sa.String(length=16), nullable=True),
    sa.Column('emotion_confidence', sa.Float(), nullable=True),
    sa.Column('praised', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False, comment='topics praised'),
    sa.Column('complaints', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False, comment='topics complained about'),
    sa.Column('demands_compensation', sa.Boolean(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True, comment='tickets.id of the follow-up ticket'),
    sa.Column('reply_status', sa.Enum('none', 'draft', 'posted', name='replystatus', native_enum=False, length=24), nullable=False),
    sa.Column('created_at', aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_reviews_customer_id_customers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_reviews_order_id_orders'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_reviews_shop_id_shops')),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_reviews_sku_id_skus'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviews')),
    sa.UniqueConstraint('platform', 'source_id', name=op.f('uq_reviews_platform_source_id'))
    )
    op.create_index('ix_reviews_order_id', 'reviews', ['order_id'], unique=False)
    op.create_index('ix_reviews_platform_buyer', 'reviews', ['platform', 'buyer'], unique=False)
    op.create_index('ix_reviews_shop_id_reviewed_at', 'reviews', ['shop_id', 'reviewed_at'], unique=False)
    op.create_index('ix_reviews_sku_id_reviewed_at', 'reviews', ['sku_id', 'reviewed_at'], unique=False)
    op.create_index('ix_reviews_triage_reviewed_at', 'reviews', ['triage', 'reviewed_at'], unique=False)
    op.create_table('rating_recoveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invitation_id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('group_code', sa.String(length=32), nullable=False),
    sa.Column('problem', sa.Text(), nullable=False),
    sa.Column('solution', sa.Text(), nullable=True),
    sa.Column('status', sa.Enum('open', 'recovered', 'failed', name='recoverystatus', native_enum=False, length=24), nullable=False),
    sa.Column('handled_by', sa.Integer(), nullable=True),
    sa.Column('created_at', aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', aftersales.kit.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['handled_by'], ['users.id'], name=op.f('fk_rating_recoveries_handled_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['invitation_id'], ['rating_invitations.id'], name=op.f('fk_rating_recoveries_invitation_id_rating_invitations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_rating_recoveries_order_id_orders'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_rating_recoveries_shop_id_shops')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_recoveries')),
    sa.UniqueConstraint('invitation_id', name=op.f('uq_rating_recoveries_invitation_id'))
    )
    op.create_index('ix_rating_recoveries_status_created_at', 'rating_recoveries', ['status', 'created_at'], unique=False)
    op.create_table('review_replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=True),
    sa.Column('draft', sa.Text(), nullable=False, comment='as generated'),
    sa.Column('text', sa.Text(), nullable=False, comment='as edited; what gets posted'),
    sa.Column('sentences', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False, comment='keys of the sentences used'),
    sa.Column('selling_point', sa.String(length=255), nullable=True),
    sa.Column('edited_by', sa.Integer(), nullable=True),
    sa.Column('approved_by', sa.Integer(), nullable=True),
    sa.Column('posted_by', sa.Integer(), nullable=True),
    sa.Column('created_at', aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('edited_at', aftersales.kit.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('posted_at', aftersales.kit.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['approved_by'], ['users.id'], name=op.f('fk_review_replies_approved_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['edited_by'], ['users.id'], name=op.f('fk_review_replies_edited_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['posted_by'], ['users.id'], name=op.f('fk_review_replies_posted_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['review_id'], ['reviews.id'], name=op.f('fk_review_replies_review_id_reviews'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_review_replies_sku_id_skus'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_replies')),
    sa.UniqueConstraint('review_id', name=op.f('uq_review_replies_review_id'))
    )
    op.create_index('ix_review_replies_sku_id_id', 'review_replies', ['sku_id', 'id'], unique=False)
    op.create_table('review_topics',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=True),
    sa.Column('topic', sa.String(length=32), nullable=False),
    sa.Column('polarity', sa.String(length=16), nullable=False, comment='positive / negative'),
    sa.Column('reviewed_at', aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['review_id'], ['reviews.id'], name=op.f('fk_review_topics_review_id_reviews'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_review_topics_shop_id_shops')),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_review_topics_sku_id_skus'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_topics')),
    sa.UniqueConstraint('review_id', 'topic', name=op.f('uq_review_topics_review_id_topic'))
    )
    op.create_index('ix_review_topics_sku_id_reviewed_at', 'review_topics', ['sku_id', 'reviewed_at'], unique=False)
    


def downgrade() -> None:
    op.drop_index('ix_review_topics_sku_id_reviewed_at', table_name='review_topics')
    op.drop_table('review_topics')
    op.drop_index('ix_review_replies_sku_id_id', table_name='review_replies')
    op.drop_table('review_replies')
    op.drop_index('ix_rating_recoveries_status_created_at', table_name='rating_recoveries')
    op.drop_table('rating_recoveries')
    op.drop_index('ix_reviews_triage_reviewed_at', table_name='reviews')
    op.drop_index('ix_reviews_sku_id_reviewed_at', table_name='reviews')
    op.drop_index('ix_reviews_shop_id_reviewed_at', table_name='reviews')
    op.drop_index('ix_reviews_platform_buyer', table_name='reviews')
    op.drop_index('ix_reviews_order_id', table_name='reviews')
    op.drop_table('reviews')
    op.drop_index('ix_rating_invitations_shop_id_eligible_at', table_name='rating_invitations')
    op.drop_index('ix_rating_invitations_customer_id_invited_at', table_name='rating_invitations')
    op.drop_index('ix_rating_invitations_agent_id_eligible_at', table_name='rating_invitations')
    op.drop_table('rating_invitations')
    op.drop_table('reviewer_marks')
    
