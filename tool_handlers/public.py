"""Handlers of the tools anyone may use, with no identity needed: search_knowledge_base,
get_quote and get_office_hours.

They read the help centre, the rating rules (insurance.rating) and the team's hours
(escalation); they never read a policy or write to the store.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import config
import envelope
import escalation
from insurance import rating
from tool_types import ToolContext, ToolResult, clipped, error, ok


def search_knowledge_base(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    query = args["query"]
    if ctx.knowledge is None:
        return error(
            "The help centre search is not available right now. Do not answer from memory: "
            "offer to create a ticket or connect the customer with a colleague.",
            summary="Help centre search unavailable",
        )
    results = ctx.knowledge.search(query)
    found = len(results.articles)
    return ToolResult(
        content=envelope.knowledge_block(results, searched_for=query),
        is_error=False,
        summary=f"Searched the help centre for “{clipped(query)}”: "
        + (f"{found} article section{'s' if found != 1 else ''}" if found else "nothing found"),
        data={"query": query, "sources": [hit.source() for hit in results.hits()]},
    )


def get_quote(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    # Priced on the context's clock: the evals pin it, so their expected premiums do not drift
    # as vehicles age with the calendar.
    request = rating.QuoteRequest(**args)
    quote = rating.quote(request, ctx.clock().date())
    vehicle = f"{request.year} {request.make} {request.model}"
    return ok(
        quote,
        summary=(
            f"Quote {quote['quote_id']}: ${quote['monthly_premium']:,.2f}/month "
            f"({vehicle}, {request.coverage_level})"
        ),
    )


def get_office_hours(args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    now = ctx.clock().astimezone(ZoneInfo(escalation.TEAM_TIMEZONE))
    data: dict[str, Any] = {
        "open_now": escalation.team_available(now),
        "now": f"{now:%A %H:%M} Eastern Time",
        "hours": [config.FACTS["hours_weekdays"], config.FACTS["hours_saturday"], "Sunday closed"],
    }
    if data["open_now"]:
        closes = now.replace(hour=escalation.TEAM_HOURS_ET[now.weekday()][1], minute=0)
        data["closes_at"] = escalation.spoken(closes)
        return ok(data, f"Open now, until {config.spoken_hour(closes.hour)} ET")
    data["opens_next"] = escalation.spoken(escalation.next_opening(now))
    return ok(data, f"Closed now; opens {data['opens_next']}")
