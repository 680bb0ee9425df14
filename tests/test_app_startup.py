"""A server worker starts without the libraries only some pages need, and with the collector on."""

import gc
import os
import secrets
import subprocess
import sys
from pathlib import Path

from fastapi.routing import APIRoute
from starlette.routing import Route

from aftersales.api import create_app

ROOT = Path(__file__).resolve().parents[1]
LOADED_ON_FIRST_USE = ("numpy", "pandas", "scipy", "mlxtend", "statsmodels", "sklearn", "jieba", "matplotlib")


def test_building_the_app_imports_no_model_or_dataframe_library() -> None:
    code = (
        "import sys\nfrom aftersales.api import create_app\ncreate_app()\n"
        f"print(sorted(m for m in {LOADED_ON_FIRST_USE!r} if m in sys.modules))"
    )
    env = {**os.environ, "AFTERSALES_SECRET_KEY": secrets.token_urlsafe(32)}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_collector_runs_again_once_the_app_is_built() -> None:
    create_app()
    assert gc.isenabled()


def test_the_health_check_is_matched_before_the_domains_routes() -> None:
    routes = create_app().router.routes
    ahead = routes[: [getattr(route, "path", None) for route in routes].index("/healthz")]
    assert [route for route in ahead if not isinstance(route, APIRoute | Route)] == []
