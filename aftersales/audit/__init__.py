"""Security records: who revealed a customer's full phone number or address, and which signed
inbound webhooks were already accepted (replay protection for ``aftersales.audit.webhooks``)."""
