"""Plain keyword-argument builders: each returns a flushed row with sensible defaults."""

from tests.builders.analytics import (
    make_alert_row,
    make_anomaly_row,
    make_chat_row,
    make_finding_row,
    make_intercept_row,
    make_invitation_row,
    make_order_item,
    make_qc_row,
    make_ticket_row,
)
from tests.builders.auth import make_user
from tests.builders.catalog import make_shop, make_sku
from tests.builders.conversations import make_chat, make_follow_up, make_recommendation
from tests.builders.logistics import make_care_step, make_parcel, make_region, make_template
from tests.builders.orders import make_customer, make_event, make_order, make_shipment
from tests.builders.returns import make_return_policy, make_return_request
from tests.builders.reviews import make_review, review_in
from tests.builders.selfservice import make_article, make_quick_reply, make_survey
from tests.builders.tickets import make_bot, make_rule, make_ticket

__all__ = [
    "make_alert_row",
    "make_anomaly_row",
    "make_finding_row",
    "make_bot",
    "make_care_step",
    "make_chat",
    "make_chat_row",
    "make_customer",
    "make_event",
    "make_follow_up",
    "make_intercept_row",
    "make_invitation_row",
    "make_order",
    "make_order_item",
    "make_parcel",
    "make_qc_row",
    "make_article",
    "make_quick_reply",
    "make_recommendation",
    "make_region",
    "make_return_policy",
    "make_return_request",
    "make_review",
    "make_rule",
    "make_shipment",
    "make_shop",
    "make_sku",
    "make_survey",
    "make_template",
    "make_ticket",
    "make_ticket_row",
    "make_user",
    "review_in",
]
