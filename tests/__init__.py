"""The suite signs and verifies with the public default key, so it runs in test mode; servers
it starts as subprocesses inherit the setting."""

import os

os.environ.setdefault("AFTERSALES_MODE", "test")
