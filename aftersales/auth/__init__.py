"""Users, roles (agent, supervisor, admin), API tokens and permission checks."""
