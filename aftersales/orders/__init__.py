"""Customers, orders and items, shipments (parcels) and tracking events; ingestion and import."""
