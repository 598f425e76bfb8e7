"""The output check on Eva's reply as it streams (ReplyGuard)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import config
from guardrails.competitors import competitors
from guardrails.pii import LABELS, SECRET, mask
from guardrails.promises import commitment

# ---------------------------------------------------------------------------------------------
# Output checks: Eva's reply, sentence by sentence, before the customer sees it.
# ---------------------------------------------------------------------------------------------

# A sentence ends at . ! ? … followed by space, or at a line break ("$102.48" is one token).
_REPLY_BREAK = re.compile(r"(?<=[.!?…])[ \t]+|\n+")


# Eva's own sentences about codes and PINs ("the one-time code is valid for 10 minutes") are
# help text, not secrets; everything else the customer side masks is checked in replies too.
REPLY_KINDS = tuple(kind for kind in LABELS if kind != SECRET)


@dataclass
class ReplyGuard:
    """Checks a streaming reply one sentence at a time; only checked text is released.

    A sentence is held until it ends, then: personal data the customer did not give us and
    that is not Acme's own is masked; a sentence naming a competitor becomes one neutral line;
    a sentence promising what only a person can decide is withheld (and noted, so the turn can
    hand over). `findings` says what happened, for the turn's record.
    """

    allowed: set[str]
    language: str = "en"
    promises_allowed: bool = False
    findings: list[str] = field(default_factory=list)
    withheld: list[str] = field(default_factory=list)
    _pending: str = ""
    _competitor_said: bool = False

    def feed(self, text: str) -> str:
        """Text that may be shown now (whole sentences from the pending buffer)."""
        self._pending += text
        ends = list(_REPLY_BREAK.finditer(self._pending))
        if not ends:
            return ""
        cut = ends[-1].end()
        ready, self._pending = self._pending[:cut], self._pending[cut:]
        return self._checked(ready)

    def flush(self) -> str:
        """Whatever is left at the end of a model call."""
        ready, self._pending = self._pending, ""
        return self._checked(ready)

    def _checked(self, text: str) -> str:
        pieces = []
        at = 0
        for end in _REPLY_BREAK.finditer(text):
            pieces.append(self._sentence(text[at : end.start()]) + end.group())
            at = end.end()
        if at < len(text):
            pieces.append(self._sentence(text[at:]))
        return "".join(pieces)

    def _sentence(self, sentence: str) -> str:
        if not sentence.strip():
            return sentence
        if competitors(sentence):
            self._note("competitor")
            if self._competitor_said:
                return ""
            self._competitor_said = True
            return config.localised(config.COMPETITOR_LINE, self.language)
        if not self.promises_allowed and commitment(sentence):
            self._note("commitment")
            self.withheld.append(sentence)
            return ""
        return self._unknown_details_masked(sentence)

    def _unknown_details_masked(self, sentence: str) -> str:
        """The one `mask` (longest span wins), keeping what the conversation already holds."""
        kinds = [kind for kind in config.MASK_FOR_STORAGE if kind in REPLY_KINDS]
        masked = mask(sentence, kinds, keep=frozenset(self.allowed))
        for kind in masked.kinds:
            self._note(f"pii:{kind}")
        return masked.text

    def _note(self, finding: str) -> None:
        if finding not in self.findings:
            self.findings.append(finding)
