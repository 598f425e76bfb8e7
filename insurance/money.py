"""Money rules: the chat's refund limit, the refund cap, pro-rata refunds on cancellation and
how a payout is described.

The limit comes from config alone, never from anyone's input. Plain functions over amounts,
dates and the store's refund records; no tool envelope, no store access, no model-facing text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import config

# A refund can be at most a year of premium: more than that is never owed on one policy.
REFUND_CAP_MONTHS = 12
# The money limit counts every refund the chat made on a policy within this many days.
REFUND_WINDOW_DAYS = 30
# How far ahead a cancellation can be dated.
CANCEL_WITHIN_DAYS = 60
REFUND_PAYOUT_TIME = "5–7 business days"


def money_limit() -> Decimal:
    """The most the chat may pay out on its own, from config (never from a tool's input)."""
    return Decimal(str(config.MONEY_LIMIT_USD))


def within_limit(already_refunded: Decimal, amount: Decimal) -> bool:
    """The limit is on what the chat refunds in all: four refunds of $499 are $1,996."""
    return already_refunded + amount <= money_limit()


def refund_cap(monthly_premium: float | Decimal) -> Decimal:
    """The most one refund on a policy can be: REFUND_CAP_MONTHS monthly premiums."""
    return Decimal(str(monthly_premium)) * REFUND_CAP_MONTHS


def refunded_since(refunds: Iterable[Mapping[str, Any]], now: datetime) -> Decimal:
    """What the chat refunded within the window, from the store's refund records: the limit is a
    total, so splitting a large refund into small ones cannot get round it."""
    since = now - timedelta(days=REFUND_WINDOW_DAYS)
    return sum(
        (
            Decimal(str(r["amount"]))
            for r in refunds
            if datetime.fromisoformat(r["created_at"]) >= since
        ),
        Decimal(0),
    )


def pro_rata_refund(
    monthly_premium: float | Decimal, renewal: date, effective: date
) -> tuple[Decimal, str]:
    """The unused premium from effective to renewal, and the sum written out."""
    premium = Decimal(str(monthly_premium))
    days = max(0, (renewal - effective).days)
    refund = cents(premium * 12 * days / 365)
    return refund, f"{usd(premium)} × 12 × {days} days ÷ 365 = {usd(refund)}"


def cancellation_window(today: date) -> tuple[date, date]:
    """The first and last day a cancellation may be dated: never backdated."""
    return today, today + timedelta(days=CANCEL_WITHIN_DAYS)


def business_date(now: datetime) -> date:
    """Today where Acme works: a customer's "today" in the evening is already tomorrow in UTC."""
    return now.astimezone(ZoneInfo(config.SUPPORT_TIMEZONE)).date()


def payout(amount: Decimal, payment_method: str) -> str:
    """How and when a refund reaches the customer, as a sentence to relay."""
    return (
        f"The refund of {usd(amount)} is processed to the original payment method "
        f"({payment_method}) within {REFUND_PAYOUT_TIME}."
    )


def cents(amount: Decimal) -> Decimal:
    """Rounded half-up to cents, as every amount Acme quotes or pays."""
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def usd(amount: Decimal | float) -> str:
    return f"${amount:,.2f}"
