"""A synthetic marketplace export in the shape of the Olist public e-commerce dataset.

Two CSV files with Olist's column names: the orders file (``olist_orders_dataset`` joined with its
items, payments and customers, as analysts export it) and the reviews file
(``olist_order_reviews_dataset``). The rates follow what was measured on the real data: about 8 %
of delivered orders arrive after the estimate, and 59.7 % of late orders are rated 1★ against
17.8 % of orders on time. About 1 % of orders are cancelled before delivery and 1 % are still
underway. Deterministic per seed.
"""

import csv
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

ORDER_COLUMNS = (
    "order_id",
    "customer_id",
    "customer_unique_id",
    "order_status",
    "order_purchase_timestamp",
    "order_approved_at",
    "order_delivered_carrier_date",
    "order_delivered_customer_date",
    "order_estimated_delivery_date",
    "order_item_id",
    "product_id",
    "product_category_name",
    "price",
    "freight_value",
    "payment_value",
    "customer_city",
    "customer_state",
)
REVIEW_COLUMNS = (
    "review_id",
    "order_id",
    "review_score",
    "review_comment_title",
    "review_comment_message",
    "review_creation_date",
    "review_answer_timestamp",
)
LATE_SHARE = 0.08
ONE_STAR_LATE = 0.597
ONE_STAR_ON_TIME = 0.178
STATES = (
    ("SP", "sao paulo"),
    ("RJ", "rio de janeiro"),
    ("MG", "belo horizonte"),
    ("RS", "porto alegre"),
    ("PR", "curitiba"),
)
CATEGORIES = (
    "cama_mesa_banho",
    "beleza_saude",
    "esporte_lazer",
    "informatica_acessorios",
    "moveis_decoracao",
)
COMMENTS = {1: "produto nao chegou", 5: "recomendo, chegou antes do prazo"}
START = datetime(2017, 10, 2, 10, 56, 33)
STAMP = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class OlistFiles:
    orders: Path
    reviews: Path
    late: int
    late_one_star: int
    on_time: int
    on_time_one_star: int


def write_olist(folder: Path, *, orders: int = 4000, seed: int = 2017) -> OlistFiles:
    """Write both files; return them with the true counts the association must find."""
    rng = random.Random(seed)
    products = [(f"p{n:04d}", rng.choice(CATEGORIES), rng.uniform(20, 400)) for n in range(60)]
    order_rows, review_rows = [], []
    counts = {"late": 0, "late_one_star": 0, "on_time": 0, "on_time_one_star": 0}
    for n in range(orders):
        order_id = f"{n:032x}"
        bought = START + timedelta(minutes=97 * n + rng.randint(0, 90))
        fate = rng.random()
        status = "canceled" if fate < 0.01 else "shipped" if fate < 0.02 else "delivered"
        estimated = (bought + timedelta(days=rng.randint(10, 25))).replace(hour=0, minute=0, second=0)
        late = status == "delivered" and rng.random() < LATE_SHARE
        delivered = None
        if status == "delivered":
            delivered = (
                estimated + timedelta(days=rng.randint(1, 12))
                if late
                else estimated - timedelta(days=rng.randint(1, 9))
            )
            delivered += timedelta(hours=rng.randint(8, 20), minutes=rng.randint(0, 59))
        product, category, price = rng.choice(products)
        state, city = rng.choice(STATES)
        freight = rng.uniform(8, 40)
        order_rows.append(
            {
                "order_id": order_id,
                "customer_id": f"c{n:031x}",
                "customer_unique_id": f"u{n:031x}",
                "order_status": status,
                "order_purchase_timestamp": f"{bought:{STAMP}}",
                "order_approved_at": f"{bought + timedelta(minutes=15):{STAMP}}",
                "order_delivered_carrier_date": f"{bought + timedelta(days=2):{STAMP}}"
                if status != "canceled"
                else "",
                "order_delivered_customer_date": f"{delivered:{STAMP}}.000000" if delivered else "",
                "order_estimated_delivery_date": f"{estimated:{STAMP}}.000000",
                "order_item_id": "1",
                "product_id": product,
                "product_category_name": category,
                "price": f"{price:.2f}",
                "freight_value": f"{freight:.2f}",
                "payment_value": f"{price + freight:.2f}",
                "customer_city": city,
                "customer_state": state,
            }
        )
        if status != "delivered":
            continue
        one_star = rng.random() < (ONE_STAR_LATE if late else ONE_STAR_ON_TIME)
        score = 1 if one_star else rng.choice((4, 5, 5, 5))
        key = "late" if late else "on_time"
        counts[key] += 1
        counts[f"{key}_one_star"] += one_star
        assert delivered is not None
        review_rows.append(
            {
                "review_id": f"r{n:031x}",
                "order_id": order_id,
                "review_score": str(score),
                "review_comment_title": "",
                "review_comment_message": COMMENTS.get(score, "") if rng.random() < 0.4 else "",
                "review_creation_date": f"{delivered + timedelta(days=1):%Y-%m-%d} 00:00:00",
                "review_answer_timestamp": f"{delivered + timedelta(days=2):{STAMP}}",
            }
        )
    files = OlistFiles(folder / "olist_orders.csv", folder / "olist_order_reviews.csv", **counts)
    _write(files.orders, ORDER_COLUMNS, order_rows)
    _write(files.reviews, REVIEW_COLUMNS, review_rows)
    return files


def _write(path: Path, columns: tuple[str, ...], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
