"""Publishing with pipelined publisher confirms on pika's SelectConnection, timed."""

from __future__ import annotations

import time

import pika


def publish_pipelined(
    url: str,
    exchange: str,
    routing_key: str,
    body: bytes,
    count: int,
    *,
    window: int,
    whole_batches: bool = False,
) -> float:
    """Seconds to publish ``count`` persistent messages with at most ``window`` unconfirmed.

    ``whole_batches``: write ``window`` messages, wait until all are confirmed, write the next
    (what the outbox relay does); otherwise top the window up on every confirm."""
    properties = pika.BasicProperties(content_type="application/json", delivery_mode=2)
    state = {"sent": 0, "confirmed": 0, "started": 0.0, "finished": 0.0}

    def pump(channel) -> None:
        while state["sent"] < count and state["sent"] - state["confirmed"] < window:
            channel.basic_publish(exchange, routing_key, body, properties)
            state["sent"] += 1

    def on_confirm(frame) -> None:
        state["confirmed"] = max(state["confirmed"], frame.method.delivery_tag)
        if state["confirmed"] >= count:
            state["finished"] = time.perf_counter()
            connection.close()
        elif not whole_batches or state["confirmed"] == state["sent"]:
            pump(state["channel"])

    def on_confirm_mode(_frame) -> None:
        state["started"] = time.perf_counter()
        pump(state["channel"])

    def on_channel(channel) -> None:
        state["channel"] = channel
        channel.confirm_delivery(ack_nack_callback=on_confirm, callback=on_confirm_mode)

    connection = pika.SelectConnection(
        pika.URLParameters(url),
        on_open_callback=lambda conn: conn.channel(on_open_callback=on_channel),
        on_close_callback=lambda conn, reason: conn.ioloop.stop(),
    )
    connection.ioloop.start()
    return state["finished"] - state["started"]
