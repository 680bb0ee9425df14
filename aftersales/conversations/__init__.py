"""Chat sessions and messages between customers, agents and bots, with response-time metrics."""
