"""Single flight: a thing several threads want at once is made once; the others wait for it."""
import _thread


class CommandResults(dict):
    """!command -> its output, for every fork of a context: once(command, run) runs a command
    once however many threads ask for it at the same time (the others wait for its result, or
    its error), and keeps the result until forget()."""

    def __init__(self):
        super().__init__()
        self._guard = _thread.allocate_lock()
        self._flights = {}  # command -> _Flight while it runs

    def once(self, command, run):
        """The command's kept result, else run() -> its result, kept."""
        with self._guard:
            if command in self:
                return self[command]
            flight = self._flights.get(command)
            runner = flight is None
            if runner:
                flight = self._flights[command] = _Flight()
        if not runner:
            return flight.outcome()
        try:
            flight.value = run()
            with self._guard:
                self[command] = flight.value
            return flight.value
        except BaseException as exc:
            flight.error = exc
            raise
        finally:
            with self._guard:
                del self._flights[command]
            flight.done.release()

    def forget(self):
        with self._guard:
            self.clear()


class _Flight:
    """One run of a command that other threads wait for: `done` is held until it ends."""
    __slots__ = ("done", "value", "error")

    def __init__(self):
        self.done = _thread.allocate_lock()
        self.done.acquire()
        self.value = self.error = None

    def outcome(self):
        with self.done:
            pass
        if self.error is not None:
            raise self.error
        return self.value
