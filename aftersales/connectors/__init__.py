"""Connectors to outside providers (快递100 tracking, 阿里云短信), each to its published protocol."""
