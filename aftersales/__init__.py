"""aftersales: after-sales (售后) operations platform for e-commerce shops."""

__version__ = "0.1.0"
