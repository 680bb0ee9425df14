"""Returns (退货/换货/仅退款), retention (挽留), compensation within authority and reshipment (补发)."""
