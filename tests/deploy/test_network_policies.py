"""The rendered NetworkPolicies, evaluated as a reachability table: who may open what."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import pytest
from conftest import OVERLAYS
from envvars import SERVICES
from netpol import NetworkPolicies, Pod, service_pod, workload_pods

DATA_STORES = {"postgres": 5432, "rabbitmq": 5672, "redis": 6379}
PROMETHEUS = Pod("prometheus", "monitoring", {"app.kubernetes.io/name": "prometheus"})
INGRESS_CONTROLLER = Pod(
    "ingress-nginx-controller", "ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"}
)
KUBE_DNS = Pod("coredns", "kube-system", {"k8s-app": "kube-dns"})
INTERNET = Pod("example.com", None, address="93.184.215.14")
# A pod of some other namespace that happens to listen on the data stores' ports.
ELSEWHERE = Pod("someone-elses-db", "elsewhere", {"app.kubernetes.io/name": "postgres"})


def may_reach(source: str, target: str) -> bool:
    """What the contract needs between services' pods and web ports (docs/architecture.md §8):
    a service's own processes, every service → identity (JWKS, API-key introspection, admin
    sign-in), orders → catalog (products_rebuild's internal export). Nothing else."""
    return source == target or target == "identity" or (source, target) == ("orders", "catalog")


@pytest.fixture(scope="module", params=OVERLAYS)
def cluster(request, rendered):
    objects = rendered[request.param]
    pods = workload_pods(objects)
    by_service = {
        s: [p for p in pods.values() if p.labels.get("app.kubernetes.io/name") == s] for s in SERVICES
    }
    return {
        "overlay": request.param,
        "net": NetworkPolicies(objects),
        "pods": pods,
        "services": by_service,
        "webs": {s: pods[f"{s}-web"] for s in SERVICES},
        "gateway": pods["gateway"],
        "stores": {name: service_pod(objects, name) for name in DATA_STORES},
        "objects": objects,
    }


def test_each_service_has_all_its_processes(cluster):
    for service, pods in cluster["services"].items():
        components = {p.labels["app.kubernetes.io/component"] for p in pods}
        assert {"web", "worker", "consumer", "relay", "migrate"} <= components, service


def test_the_gateway_reaches_every_web_port(cluster):
    net, gateway = cluster["net"], cluster["gateway"]
    for service, web in cluster["webs"].items():
        assert net.allows(gateway, web, 8000), service
    assert net.allows(INGRESS_CONTROLLER, gateway, 8080)


def test_web_ports_admit_exactly_what_the_contract_needs(cluster):
    net = cluster["net"]
    table = {}
    for pods in cluster["services"].values():
        for pod in pods:
            for target, web in cluster["webs"].items():
                table[(pod.name, target)] = net.allows(pod, web, 8000)
    wrong = {
        f"{pod} -> {target}-web": allowed
        for (pod, target), allowed in table.items()
        if allowed != may_reach(cluster["pods"][pod].labels["app.kubernetes.io/name"], target)
    }
    assert not wrong, f"{cluster['overlay']}: {wrong}"
    # The named cases of the contract, spelled out.
    assert table[("orders-worker", "catalog")] and table[("orders-web", "catalog")]
    assert not table[("catalog-worker", "orders")] and not table[("catalog-web", "orders")]
    assert all(table[(f"{s}-worker", "identity")] for s in SERVICES)


def test_prometheus_scrapes_every_web_port(cluster):
    for service, web in cluster["webs"].items():
        assert cluster["net"].allows(PROMETHEUS, web, 8000), service


def test_every_platform_pod_resolves_names(cluster):
    for pod in cluster["pods"].values():
        if pod.labels.get("app.kubernetes.io/part-of") == "platform":
            assert cluster["net"].allows(pod, KUBE_DNS, 53, "UDP"), pod


def test_only_the_services_reach_the_data_stores(cluster):
    net, stores = cluster["net"], cluster["stores"]
    for name, port in DATA_STORES.items():
        assert not net.allows(cluster["gateway"], stores[name], port), f"gateway -> {name}"
        for pods in cluster["services"].values():
            for pod in pods:
                assert net.allows(pod, stores[name], port), f"{pod} -> {stores[name]}:{port}"
        # The egress names where the store runs, not just a port.
        assert not net.allows(cluster["webs"]["catalog"], ELSEWHERE, port), f"catalog -> elsewhere:{port}"
    bootstrap = cluster["pods"]["db-bootstrap"]
    assert net.allows(bootstrap, stores["postgres"], 5432)


def test_nothing_opens_connections_to_the_internet(cluster):
    """Nothing leaves the cluster for an arbitrary address (messaging's providers are below)."""
    net = cluster["net"]
    for pod in cluster["pods"].values():
        if pod.labels.get("app.kubernetes.io/part-of") == "platform":
            for port in (25, 80, 443, 465, 587, 5432):
                assert not net.allows(pod, INTERNET, port), f"{pod} -> internet:{port}"


def test_egress_rules_without_a_destination_open_only_dns(cluster):
    for policy in cluster["objects"]:
        if policy["kind"] != "NetworkPolicy":
            continue
        for rule in policy["spec"].get("egress") or []:
            if not rule.get("to"):
                ports = {(p.get("protocol", "TCP"), p.get("port")) for p in rule.get("ports") or [{}]}
                assert ports <= {("UDP", 53), ("TCP", 53)}, (policy["metadata"]["name"], rule)


def _config(objects) -> dict[str, str]:
    return next(
        o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("platform-config")
    )["data"]


def _smtp_relay(objects) -> Pod:
    """An address of the SMTP relay: the first of the CIDR messaging's policy opens."""
    policy = next(
        o
        for o in objects
        if o["kind"] == "NetworkPolicy" and o["metadata"]["name"] == "messaging-providers-egress"
    )
    cidrs = [
        peer["ipBlock"]["cidr"]
        for rule in policy["spec"]["egress"]
        for peer in rule["to"]
        if "ipBlock" in peer
    ]
    assert len(cidrs) == 1, cidrs
    network = ipaddress.ip_network(cidrs[0])
    assert network.prefixlen >= 24, f"{network}: the relay's addresses, not a whole range of the internet"
    return Pod("smtp-relay", None, address=str(next(iter(network.hosts()), network.network_address)))


def test_messaging_reaches_waha_and_the_smtp_relay_on_the_configured_ports_only(cluster):
    """Production egress (issue #20): messaging's processes open WAHA (WAHA_BASE_URL's port)
    and the SMTP relay (EMAIL_PORT), nothing else outside the platform; no other pod opens
    either."""
    net, objects = cluster["net"], cluster["objects"]
    config = _config(objects)
    waha_port = urlsplit(config["WAHA_BASE_URL"]).port
    smtp_port = int(config["EMAIL_PORT"])
    namespace = cluster["webs"]["messaging"].namespace
    waha = Pod("waha", namespace, {"app.kubernetes.io/name": "waha"})
    relay = _smtp_relay(objects)
    ports = {25, 80, 443, 465, 587, 2525, 3000, 8080, waha_port, smtp_port}
    messaging = cluster["services"]["messaging"]
    assert {p.labels["app.kubernetes.io/component"] for p in messaging} >= {"web", "worker", "consumer"}
    for pod in cluster["pods"].values():
        if pod.labels.get("app.kubernetes.io/part-of") != "platform":
            continue
        is_messaging = pod in messaging
        for port in ports:
            assert net.allows(pod, waha, port) == (is_messaging and port == waha_port), (
                f"{pod} -> waha:{port}"
            )
            assert net.allows(pod, relay, port) == (is_messaging and port == smtp_port), (
                f"{pod} -> relay:{port}"
            )
            assert not net.allows(pod, INTERNET, port), f"{pod} -> internet:{port}"
