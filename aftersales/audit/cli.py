import typer

from aftersales.audit.webhooks import SIGNATURE_HEADER, source_secret

app = typer.Typer(name="webhooks", help="入站 webhook(平台、快递、ERP)签名配置", no_args_is_help=True)


@app.command("secret")
def secret(source: str) -> None:
    """打印某个来源的签名密钥,配置到发送方(由 AFTERSALES_SECRET_KEY 派生)。"""
    typer.echo(source_secret(source))
    typer.echo(
        f"签名方式: {SIGNATURE_HEADER}: t=<unix 时间戳>,v1=hex(HMAC-SHA256(密钥, '<时间戳>.' + 请求体))",
        err=True,
    )
