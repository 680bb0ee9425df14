"""Customer self-service portal (自助售后), answer bot (机器人应答) and agents' quick replies (快捷话术)."""
