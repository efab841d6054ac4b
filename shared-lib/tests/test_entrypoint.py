"""The process commands every service image and the Procfile run."""

from servicekit.entrypoint import PROCESS_COMMANDS


def test_celery_workers_of_different_services_get_distinct_node_names():
    # Workers of all services share one broker: a shared node name makes the second one crash
    # on the pidbox queue (RESOURCE_LOCKED), which stops the whole `make run`.
    names = {service: PROCESS_COMMANDS["worker"](service) for service in ("catalog", "orders")}
    assert names["catalog"][names["catalog"].index("--hostname") + 1] == "catalog@%h"
    assert names["orders"][names["orders"].index("--hostname") + 1] == "orders@%h"


def test_every_process_type_has_a_command():
    assert set(PROCESS_COMMANDS) == {"web", "worker", "beat", "consumer", "relay"}
    assert PROCESS_COMMANDS["relay"]("catalog")[-1] == "relay_events"
    assert PROCESS_COMMANDS["consumer"]("catalog")[-1] == "consume_events"
