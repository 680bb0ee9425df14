"""Shops, their contact channels, and SKUs with the specs and selling points used in replies."""
