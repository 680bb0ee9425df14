"""Plain keyword-argument builders: each returns a flushed row with sensible defaults."""

from tests.builders.auth import make_user
from tests.builders.catalog import make_shop, make_sku
from tests.builders.orders import make_customer, make_event, make_order, make_shipment

__all__ = ["make_customer", "make_event", "make_order", "make_shipment", "make_shop", "make_sku", "make_user"]
