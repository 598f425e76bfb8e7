"""The output check on Eva's reply as it streams (ReplyGuard)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import config
from guardrails.competitors import competitors, name_free
from guardrails.pii import LABELS, SECRET, Masked, detail_free, mask
from guardrails.promises import commitment, promise_free

# ---------------------------------------------------------------------------------------------
# Output checks: Eva's reply, word by word as it streams, judged sentence by sentence.
# ---------------------------------------------------------------------------------------------

# A sentence ends at . ! ? … followed by space, or at a line break ("$102.48" is one token).
_REPLY_BREAK = re.compile(r"(?<=[.!?…])[ \t]+|\n+")
_SPACE = re.compile(r"\s+")
# Ends the shown start of a sentence that was then withheld or replaced.
_CUT = "…"


# Eva's own sentences about codes and PINs ("the one-time code is valid for 10 minutes") are
# help text, not secrets; everything else the customer side masks is checked in replies too.
REPLY_KINDS = tuple(kind for kind in LABELS if kind != SECRET)


@dataclass
class ReplyGuard:
    """Checks a streaming reply; text is released word by word, as soon as it is safe.

    Each finished sentence is judged whole: personal data the customer did not give us and
    that is not Acme's own is masked; a sentence naming a competitor becomes one neutral line;
    a sentence promising what only a person can decide is withheld (and noted, so the turn can
    hand over). Before a sentence ends, its words are released up to where each detector says
    nothing can still form (promise_free, name_free, detail_free): "I'll" waits to see
    whether "waive" follows, "555 12" whether it becomes a phone number; the rest shows at
    once. `findings` says what happened, for the turn's record.
    """

    allowed: set[str]
    language: str = "en"
    promises_allowed: bool = False
    findings: list[str] = field(default_factory=list)
    withheld: list[str] = field(default_factory=list)
    # Sentences finished so far: what is released goes on with the same one while this holds.
    finished: int = 0
    # The sentence being written, what of it the customer already sees (masked), and the
    # length of the sentence that is.
    _pending: str = ""
    _shown: str = ""
    _free: int = 0
    _competitor_said: bool = False

    def feed(self, text: str) -> str:
        """Text that may be shown now: finished sentences, then the settled words of the next."""
        self._pending += text
        released = []
        while (end := _REPLY_BREAK.search(self._pending)) is not None:
            sentence, self._pending = self._pending[: end.start()], self._pending[end.end() :]
            released.append(self._finished(sentence) + end.group())
        # Words are released whole, so only a piece with a space in it can end one: a long
        # run without spaces is not read again at every piece.
        released.append(self._settled() if _SPACE.search(text) else "")
        return "".join(released)

    def flush(self) -> str:
        """Whatever is left at the end of a model call."""
        sentence, self._pending = self._pending, ""
        return self._finished(sentence) if sentence else ""

    def _settled(self) -> str:
        """The unfinished sentence's words that no check can still withhold or change."""
        sentence = self._pending
        if not sentence.strip():
            return ""
        # Each check may shorten what another allowed, so they are asked until all agree.
        # Each reads the sentence again from where the last release ended (`since`).
        since = self._free
        upto, free = -1, name_free(sentence, since=since)  # the same whatever the cut
        while free != upto:
            upto = free
            # Whole words only: the next piece may go on with the last one.
            free = max((space.end() for space in _SPACE.finditer(sentence, 0, upto)), default=0)
            if not self.promises_allowed:
                free = promise_free(sentence, free, since)
            free = detail_free(sentence, self._kinds(), free, since)
        shown = self._noted(mask(sentence, self._kinds(), frozenset(self.allowed), upto))
        if not shown.startswith(self._shown):
            return ""  # never taken back: what is shown stays, the sentence's verdict decides
        new, self._shown, self._free = shown[len(self._shown) :], shown, upto
        return new

    def _finished(self, sentence: str) -> str:
        """A whole sentence's verdict, less what of it is already shown."""
        whole = self._verdict(sentence)
        shown, self._shown, self._free = self._shown, "", 0
        self.finished += 1
        if whole.startswith(shown):
            return whole[len(shown) :]
        # A sentence withheld or replaced after its first words showed: those stay (they held
        # nothing unsafe) and end in "…", so they cannot run on into the next sentence; the
        # neutral line, if any, follows.
        return _CUT + (" " + whole if whole else "")

    def _verdict(self, sentence: str) -> str:
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
            self.withheld.append(sentence.strip())
            return ""
        return self._noted(mask(sentence, self._kinds(), frozenset(self.allowed)))

    def _kinds(self) -> list[str]:
        return [kind for kind in config.MASK_FOR_STORAGE if kind in REPLY_KINDS]

    def _noted(self, masked: Masked) -> str:
        for kind in masked.kinds:
            self._note(f"pii:{kind}")
        return masked.text

    def _note(self, finding: str) -> None:
        if finding not in self.findings:
            self.findings.append(finding)
