"""Reviews from the platforms' own APIs (淘宝 ``taobao.traderates.get`` today), into the same
intake as the API and the spreadsheet import.

The connectors' sync reads the reviews a shop received window by window (cursor, paging,
back-off: ``connectors.platform_sync``) and hands the rows, already in ``ReviewIn``'s field
names, to the intake registered here — connectors sit below this domain, so they cannot call
``ingest_reviews`` themselves. Keyed by the platform's review id, a review read twice is one
review; a new bad one is triaged, drafted and ticketed by the existing rules.
"""

from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.connectors import platform_sync, service
from aftersales.connectors.models import ConnectorAccount
from aftersales.reviews.schemas import ReviewIn
from aftersales.reviews.service import ingest_reviews


def store_platform_reviews(session: Session, account: ConnectorAccount, rows: list[dict[str, Any]]) -> int:
    """The account's shop's reviews, stored; a row our schema refuses goes into the health record."""
    shop = session.get_one(Shop, account.shop_id)
    reviews: list[ReviewIn] = []
    for row in rows:
        try:
            reviews.append(ReviewIn(shop_code=shop.code, **row))
        except ValidationError as exc:
            service.record_failure(account, f"评价 {row.get('review_id')} 未导入: {str(exc)[:200]}")
    result = ingest_reviews(session, reviews)
    return result.created + result.updated_or_unchanged


platform_sync.register_review_intake(store_platform_reviews)
