from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from aftersales.catalog.models import Platform, Shop
from aftersales.cli import app
from tests.builders import make_shop


def test_shop_create_stores_the_shop(session: Session) -> None:
    outcome = CliRunner().invoke(app, ["shop", "create", "jd-demo", "京东演示店", "--platform", "jd"])
    shop = session.scalar(select(Shop).where(Shop.code == "jd-demo"))
    assert (outcome.exit_code, shop.name if shop else None, shop.platform if shop else None) == (
        0,
        "京东演示店",
        Platform.JD,
    )


def test_an_existing_code_is_refused(session: Session) -> None:
    shop = make_shop(session)
    session.commit()
    outcome = CliRunner().invoke(app, ["shop", "create", shop.code, "另一个店", "--platform", "jd"])
    assert (outcome.exit_code, f"店铺编码 {shop.code} 已存在" in outcome.output) == (1, True)
