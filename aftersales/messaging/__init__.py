"""Outbound messages: templates, the transactional outbox and channel adapters."""
