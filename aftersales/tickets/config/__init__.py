"""Ticket configuration: taxonomy, SLA policies, shifts and roster, routing rules, groups and bots
(the VIP rule is the customer's value, ``orders.customers``). ``service`` (the rules for changing
it), ``repository`` (its queries), ``snapshot`` (the in-memory copy ticket creation reads),
``defaults`` (the rows every installation starts with)."""
