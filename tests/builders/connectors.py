from typing import Any

from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.connectors import service
from aftersales.connectors.models import ConnectorAccount, Provider

KUAIDI100_CREDENTIALS = {
    "key": "kd100-key-0123456789",
    "customer": "CUSTOMER0123456789ABCDEF",
    "salt": "salt-9f8e7d",
}


def make_kuaidi100_account(
    session: Session, *, endpoint: str, shop: Shop | None = None, **settings: Any
) -> ConnectorAccount:
    return service.save_account(
        session,
        provider=Provider.KUAIDI100,
        shop_code=shop.code if shop else None,
        credentials=dict(KUAIDI100_CREDENTIALS),
        settings={"endpoint": endpoint, "callback_base": "https://aftersales.example.com", **settings},
    )


ALIYUN_CREDENTIALS = {"access_key_id": "LTAI5tTestKeyId0001", "access_key_secret": "aliyun-secret-0123456789"}


def make_aliyun_sms_account(
    session: Session, *, endpoint: str, shop: Shop | None = None, **settings: Any
) -> ConnectorAccount:
    return service.save_account(
        session,
        provider=Provider.ALIYUN_SMS,
        shop_code=shop.code if shop else None,
        credentials=dict(ALIYUN_CREDENTIALS),
        settings={
            "endpoint": endpoint,
            "sign_name": "好物旗舰店",
            "templates": {"parcel_delay": "SMS_460000001"},
            "callback_base": "https://aftersales.example.com",
            **settings,
        },
    )


TOP_CREDENTIALS = {
    "app_key": "12345678",
    "app_secret": "top-secret-0123456789",
    "session": "6100b0c1sessionkey",
}


def make_taobao_account(session: Session, *, endpoint: str, shop: Shop, **settings: Any) -> ConnectorAccount:
    return service.save_account(
        session,
        provider=Provider.TAOBAO,
        shop_code=shop.code,
        credentials=dict(TOP_CREDENTIALS),
        settings={"endpoint": endpoint, **settings},
    )


DOUYIN_CREDENTIALS = {
    "app_key": "7000000000000000001",
    "app_secret": "dd-secret-0123456789",
    "access_token": "dd-token-abc",
}
PDD_CREDENTIALS = {
    "client_id": "pdd-client-0001",
    "client_secret": "pdd-secret-0123456789",
    "access_token": "pdd-token-abc",
}


def make_platform_account(
    session: Session, *, provider: str, endpoint: str, shop: Shop, **settings: Any
) -> ConnectorAccount:
    credentials = {Provider.DOUYIN: DOUYIN_CREDENTIALS, Provider.PDD: PDD_CREDENTIALS}[Provider(provider)]
    return service.save_account(
        session,
        provider=provider,
        shop_code=shop.code,
        credentials=dict(credentials),
        settings={"endpoint": endpoint, **settings},
    )


JUSHUITAN_CREDENTIALS = {
    "app_key": "jst-app-0001",
    "app_secret": "jst-secret-0123456789",
    "access_token": "jst-token-abc",
}


def make_jushuitan_account(
    session: Session, *, endpoint: str, shop: Shop, **settings: Any
) -> ConnectorAccount:
    return service.save_account(
        session,
        provider=Provider.JUSHUITAN,
        shop_code=shop.code,
        credentials=dict(JUSHUITAN_CREDENTIALS),
        settings={"endpoint": endpoint, "shop_id": "10086", **settings},
    )


SF_CREDENTIALS = {"partner_id": "SFPARTNER01", "checkword": "sf-checkword-0123456789"}


def make_sf_account(session: Session, *, endpoint: str, shop: Shop, **settings: Any) -> ConnectorAccount:
    return service.save_account(
        session,
        provider=Provider.SF_EXPRESS,
        shop_code=shop.code,
        credentials=dict(SF_CREDENTIALS),
        settings={
            "endpoint": endpoint,
            "monthly_card": "7550000000",
            "return_contact": "售后仓",
            "return_phone": "075500000000",
            "return_address": "广东省,深圳市,南山区,科技园 售后仓 1号",
            **settings,
        },
    )


WDT_CREDENTIALS = {"sid": "wdt-seller", "appkey": "wdt-app-0001", "appsecret": "wdt-secret-0123456789"}


def make_wangdiantong_account(
    session: Session, *, endpoint: str, shop: Shop, **settings: Any
) -> ConnectorAccount:
    return service.save_account(
        session,
        provider=Provider.WANGDIANTONG,
        shop_code=shop.code,
        credentials=dict(WDT_CREDENTIALS),
        settings={"endpoint": endpoint, "shop_no": "api_test", **settings},
    )


ZTO_CREDENTIALS = {"app_key": "zto-app-0001", "app_secret": "zto-secret-0123456789"}


def make_zto_account(session: Session, *, endpoint: str, shop: Shop, **settings: Any) -> ConnectorAccount:
    return service.save_account(
        session,
        provider=Provider.ZTO,
        shop_code=shop.code,
        credentials=dict(ZTO_CREDENTIALS),
        settings={
            "endpoint": endpoint,
            "return_contact": "售后仓",
            "return_phone": "02100000000",
            "return_address": "上海,上海市,青浦区,华新镇华志路 售后仓",
            **settings,
        },
    )
