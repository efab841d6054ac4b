"""The benchmark's trivial handler: the cost measured is the event path, not the handler."""

from servicekit.events import subscribe


def do_nothing(event):
    return None


HANDLERS = [subscribe("bench.thing.happened", do_nothing, reads=["n"], name="bench.do_nothing")]
