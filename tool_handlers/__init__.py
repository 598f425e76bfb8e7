"""The tools' handlers, one module per area: public (no identity needed), accounts (identity
first), support (tickets and handoff), money (within limits set in code).

A handler takes the checked input and the turn's ToolContext, calls the rules in insurance/ (and
escalation for a handoff) and returns a ToolResult. Which tool runs which handler is decided
only in tools.REGISTRY; nothing here lists the tools.
"""
