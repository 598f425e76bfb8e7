"""Acme's stub back office: the rules the tools call, with no tool envelope around them.

rating prices a vehicle; accounts verifies a policyholder and says what a verified customer may
see; money holds the limits on refunds and cancellations. The tools, the tests and a staff desk
call these directly. Nothing here reads a conversation, writes to the store or words a reply
for the model: the tools do that.
"""
