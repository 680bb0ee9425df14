"""``aftersales`` command line: init, demo, serve, worker, import, user, jobs.

Domains add their own groups through ``aftersales.<domain>.cli`` (an ``app`` Typer) or by adding
commands to the shared groups in ``cli_groups``. ``aftersales --help`` must answer in well under a
second, so the root lists the domains' groups from ``DOMAIN_GROUPS`` and imports the domains'
commands (with SQLAlchemy, the models and the services behind them) only when one of them runs
(``LazyRoot``); ``eager_app`` builds the same command line the plain way, and
``tests/test_cli_lazy.py`` checks that every help page of the two is the same.
"""

import threading
import time
from datetime import date, datetime
from typing import Annotated, Any

import typer
from typer import _click as click  # Typer's own copy of click: its groups take its contexts
from typer.core import TyperGroup
from typer.models import TyperInfo

from aftersales.cli_groups import export_app, import_app
from aftersales.registry import import_domain_modules

# name → help of the groups whose commands live in the domains: what `aftersales --help` shows
# before any domain is imported (each domain's own Typer keeps the same text; the test compares)
DOMAIN_GROUPS: dict[str, str] = {
    "import": "导入平台导出的表格 (CSV/XLSX)",
    "export": "导出为 Excel/CSV",
    "user": "用户与角色",
    "webhooks": "入站 webhook(平台、快递、ERP)签名配置",
    "shop": "店铺: 新建店铺(导入订单、聊天记录前需要)",
    "logistics": "物流跟单: 异常巡检、停发地区、退款拦截",
    "connect": "接入外部服务: 快递100、阿里云短信、淘宝/天猫、抖店、拼多多、聚水潭、旺店通、顺丰丰桥、中通",
    "qc": "质检: 情绪模型训练、重新质检",
    "reviews": "评价: 情感模型训练",
    "selfservice": "自助售后、机器人应答与快捷话术",
    "analytics": "数据分析:复盘报告、预测与排班、考核提醒",
}


def domain_typers() -> dict[str, typer.Typer]:
    """Every group of ``DOMAIN_GROUPS`` by name, importing every domain's commands."""
    typers = {"import": import_app, "export": export_app}
    for module in import_domain_modules("cli"):
        if hasattr(module, "app"):
            typers[module.app.info.name] = module.app
    return typers


class LazyRoot(TyperGroup):
    """The root group: the domains' groups are listed by name and help, and built when one runs.

    Listing (``--help``, shell completion) sees a bare group carrying the help of
    ``DOMAIN_GROUPS``; resolving a command to run it swaps in the domain's real group. Every
    domain's event handlers are subscribed before any command runs (imports react like the API:
    interceptions, scan marks).
    """

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for name, help_text in DOMAIN_GROUPS.items():
            self.add_command(TyperGroup(name=name, help=help_text), name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if name in DOMAIN_GROUPS:
            command = typer.main.get_group(domain_typers()[name])
        return name, command, rest

    def invoke(self, ctx: click.Context) -> Any:
        import_domain_modules("handlers")
        return super().invoke(ctx)


app = typer.Typer(
    help="aftersales 售后运营平台", no_args_is_help=True, pretty_exceptions_enable=False, cls=LazyRoot
)


def eager_app() -> typer.Typer:
    """The same command line built the plain way, every domain imported: the reference listing."""
    plain = typer.Typer(help=app.info.help, no_args_is_help=True, pretty_exceptions_enable=False)
    plain.registered_commands = list(app.registered_commands)
    plain.registered_groups = list(app.registered_groups)
    plain.registered_groups += [TyperInfo(sub, name=name) for name, sub in domain_typers().items()]
    return plain


@app.command()
def init() -> None:
    """迁移数据库到最新结构(SQLite 默认,或 AFTERSALES_DATABASE_URL)。"""
    from aftersales.migrate import upgrade

    upgrade()
    typer.echo(f"数据库已就绪: {_safe_url()}")


@app.command("secret-key")
def secret_key() -> None:
    """生成本机密钥文件(只生成一次;设置了 AFTERSALES_SECRET_KEY 时不需要)。"""
    from aftersales.config import PUBLIC_DEFAULT_SECRET_KEY, generate_secret_key_file, get_settings

    settings = get_settings()
    if settings.secret_key != PUBLIC_DEFAULT_SECRET_KEY:
        typer.echo("已配置密钥,未改动")
        return
    generate_secret_key_file(settings)
    get_settings.cache_clear()
    typer.echo(f"密钥已生成: {settings.secret_key_file}(请勿提交到版本库)")


def _require_private_key() -> None:
    from aftersales.config import InsecureSecretKeyError, get_settings

    try:
        get_settings().require_private_key()
    except InsecureSecretKeyError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="随机种子: 同一种子生成同样的数据")] = 11,
    orders: Annotated[int, typer.Option(help="订单数")] = 6000,
    peak_day: Annotated[
        str | None, typer.Option(help="大促当天 YYYY-MM-DD;默认使售后 14 天窗口在今天结束(13 天前)")
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(help="数据截止时刻 YYYY-MM-DDTHH:MM(上海时间);默认现在,给了大促日则为其后第 9 天 20:00"),
    ] = None,
    reset: Annotated[bool, typer.Option(help="先清空数据库")] = False,
) -> None:
    """生成一场大促的演示数据(默认以现在为准;给定大促日或截止时刻则完全确定),并创建演示账号。"""
    from aftersales.demo.generator import DemoConfig, generate
    from aftersales.demo.users import DEMO_USERS, ensure_demo_users
    from aftersales.migrate import downgrade, upgrade

    secret_key()  # demo links and cookies keep working across restarts: the key is kept locally
    if reset:
        downgrade()
    upgrade()
    config = DemoConfig.build(
        seed=seed,
        orders=orders,
        peak_day=date.fromisoformat(peak_day) if peak_day else None,
        as_of=datetime.fromisoformat(as_of) if as_of else None,
    )
    started = time.perf_counter()
    summary = generate(config)
    ensure_demo_users()
    typer.echo(f"演示数据已生成({time.perf_counter() - started:.1f}s): {summary}")
    for username, (password, role, name) in DEMO_USERS.items():
        typer.echo(f"  登录: {username} / {password}  ({name}, {role.value})")


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    jobs: Annotated[bool, typer.Option(help="在本进程内运行后台任务(嵌入式默认)")] = True,
) -> None:
    """启动 API 与控制台 (http://127.0.0.1:8000)。"""
    import uvicorn

    from aftersales.config import get_settings

    _require_private_key()
    if jobs and get_settings().job_backend == "inline":
        from aftersales.jobs.worker import run_inline

        threading.Thread(target=run_inline, name="aftersales-jobs", daemon=True).start()
    typer.echo(f"控制台: http://{host}:{port}/console/   API 文档: http://{host}:{port}/docs")
    uvicorn.run("aftersales.api:create_app", factory=True, host=host, port=port, log_level="info")


@app.command()
def worker(
    inline: Annotated[bool, typer.Option(help="不用 Celery,直接轮询任务表")] = False,
    concurrency: Annotated[int, typer.Option(help="Celery 并发进程数")] = 2,
    beat: Annotated[bool, typer.Option(help="同时运行 beat(周期任务);多台 worker 时只在一台开启")] = True,
    queue: Annotated[str | None, typer.Option(help="Celery 队列名(默认 celery)")] = None,
    poll_seconds: Annotated[float, typer.Option(help="--inline 时的轮询间隔(秒)")] = 2.0,
) -> None:
    """运行后台任务: Celery worker(默认含 beat),或 --inline 轮询任务表。"""
    from aftersales.jobs.worker import run_celery, run_inline

    _require_private_key()
    if inline:
        run_inline(poll_seconds=poll_seconds)
        return
    run_celery(concurrency=concurrency, beat=beat, queue=queue)


jobs_app = typer.Typer(help="后台任务", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")


@jobs_app.command("run")
def run_jobs(periodic: Annotated[bool, typer.Option(help="先排入到期的周期任务")] = True) -> None:
    """运行所有到期任务直到队列为空。"""
    from aftersales.db import get_sessionmaker
    from aftersales.jobs.runner import drain, schedule_periodic

    factory = get_sessionmaker()
    if periodic:
        with factory.begin() as session:
            schedule_periodic(session)
    typer.echo(f"已运行 {drain(factory)} 个任务")


def _safe_url() -> str:
    from aftersales.config import get_settings

    url = get_settings().database_url
    return url.split("@")[-1] if "@" in url else url


if __name__ == "__main__":
    app()
