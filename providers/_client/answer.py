"""An answer as it arrives, for the front doors that show it or keep it."""
import time

from .._wire.ir import Sink


class Answer(Sink):
    """The accumulating sink: text and reasoning deltas go to the callbacks at once and are kept,
    with the blocks (tool calls included) in the order they came.

    keep=False keeps no text (`atomic ask` printing to stdout needs nothing after a delta is
    shown, and a long answer would otherwise stay in memory whole): full_text is then "", and
    text_parts / reasoning_parts only say whether any arrived. Tool calls are kept either way.

    usage counts tokens: input (not from cache), output, cacheRead, cacheWrite, reasoning.
    stop_reason is one of stop, length, toolUse, refused, error (raw_stop keeps the server's
    word); finished is set by the protocol's last event, so an answer without it was cut off.
    sent_at: when the request that got this answer was sent (monotonic), for time to first token.
    on_flush: called when the answer stops arriving for now (a printer that holds its output back
    until then writes a burst of deltas at once, not one flush each).
    """

    def __init__(self, on_text=None, on_reasoning=None, clock=None, keep=True, on_flush=None):
        super().__init__()
        self._on_text, self._on_reasoning, self._on_flush = on_text, on_reasoning, on_flush
        self._clock = clock or time.monotonic
        self.sent_at = self._clock()
        self.first_token = None
        self.keeps_text = keep
        self.text_parts, self.reasoning_parts = ([], []) if keep else (_Tally(), _Tally())
        self.blocks = []  # every block of the answer, in order, once it has closed

    def added(self, block, delta):
        if block.kind == "tool_call":
            return
        if self.first_token is None:
            self.first_token = self._clock()
        if block.kind == "text":
            self.text_parts.append(delta)
            if self._on_text:
                self._on_text(delta)
        else:
            self.reasoning_parts.append(delta)
            if self._on_reasoning:
                self._on_reasoning(delta)

    def closed(self, block):
        self.blocks.append(block.block)

    def flush(self):
        if self._on_flush is not None:
            self._on_flush()

    @property
    def tool_calls(self):
        return [b for b in self.blocks if b.kind == "tool_call"] + (
            [self.block.block] if self.block is not None and self.block.kind == "tool_call" else [])

    def calls(self):
        """[{"id", "name", "arguments" (the JSON text)}] of the tool calls, as --json and scripts get them."""
        return [{"id": call.id, "name": call.name, "arguments": call.arguments} for call in self.tool_calls]

    @property
    def full_text(self):
        return "".join(self.text_parts)

    @property
    def full_reasoning(self):
        return "".join(self.reasoning_parts)

    @property
    def time_to_first_token(self):
        return None if self.first_token is None else self.first_token - self.sent_at


class _Tally:
    """What an answer that keeps no text has instead of its parts: how many arrived, and none of them."""
    __slots__ = ("count",)

    def __init__(self):
        self.count = 0

    def append(self, _delta):
        self.count += 1

    def __len__(self):
        return self.count

    def __iter__(self):
        return iter(())
