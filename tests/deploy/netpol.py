"""A small evaluator of Kubernetes NetworkPolicies, enough to check rendered manifests.

A connection from pod A to pod B on a port is allowed when A may send it (no policy selects A
for Egress, or a rule of one that does admits B and the port) and B may receive it (the same
for Ingress). Pods are described by namespace and labels; a pod outside the cluster has no
namespace. Simplifications, fine for this repository's policies: an ``ipBlock`` peer matches
nothing inside the cluster, and an address outside it by its CIDR (and ``except``) when the pod
has an ``address``, every outside pod otherwise; named ports never match.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

NAMESPACE_NAME = "kubernetes.io/metadata.name"


@dataclass(frozen=True)
class Pod:
    name: str
    namespace: str | None  # None: an address outside the cluster
    labels: Mapping[str, str] = field(default_factory=dict)
    address: str | None = None  # an outside pod's IP, matched against ipBlock CIDRs

    def __str__(self) -> str:
        return f"{self.namespace or 'outside'}/{self.name}"


def selector_matches(selector: Mapping | None, labels: Mapping[str, str]) -> bool:
    """A LabelSelector: matchLabels and matchExpressions must all hold ({} matches everything)."""
    selector = selector or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        if operator == "In" and not (key in labels and labels[key] in values):
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def _peer_matches(policy_namespace: str, peer: Mapping, pod: Pod) -> bool:
    if "ipBlock" in peer:
        if pod.namespace is not None:
            return False
        if pod.address is None:
            return True
        address, block = ipaddress.ip_address(pod.address), peer["ipBlock"]
        return address in ipaddress.ip_network(block["cidr"]) and not any(
            address in ipaddress.ip_network(excluded) for excluded in block.get("except") or []
        )
    if pod.namespace is None:
        return False
    namespace_selector = peer.get("namespaceSelector")
    if namespace_selector is None:
        namespace_ok = pod.namespace == policy_namespace
    else:
        namespace_ok = selector_matches(namespace_selector, {NAMESPACE_NAME: pod.namespace})
    return namespace_ok and selector_matches(peer.get("podSelector"), pod.labels)


def _port_matches(rule: Mapping, port: int, protocol: str) -> bool:
    ports = rule.get("ports") or []
    if not ports:
        return True
    for entry in ports:
        if entry.get("protocol", "TCP") != protocol:
            continue
        if "port" not in entry:
            return True
        if isinstance(entry["port"], int) and entry["port"] <= port <= entry.get("endPort", entry["port"]):
            return True
    return False


def policy_types(policy: Mapping) -> list[str]:
    spec = policy["spec"]
    return spec.get("policyTypes") or (["Ingress"] + (["Egress"] if "egress" in spec else []))


class NetworkPolicies:
    def __init__(self, objects: Iterable[Mapping]) -> None:
        self.policies = [o for o in objects if o["kind"] == "NetworkPolicy"]

    def _admits(self, pod: Pod, direction: str, peer: Pod, port: int, protocol: str) -> bool:
        if pod.namespace is None:
            return True  # outside the cluster: no policy applies
        selecting = [
            p
            for p in self.policies
            if p["metadata"].get("namespace") == pod.namespace
            and direction in policy_types(p)
            and selector_matches(p["spec"].get("podSelector"), pod.labels)
        ]
        if not selecting:
            return True
        rules_key, peers_key = ("egress", "to") if direction == "Egress" else ("ingress", "from")
        for policy in selecting:
            for rule in policy["spec"].get(rules_key) or []:
                peers = rule.get(peers_key) or []
                if _port_matches(rule, port, protocol) and (
                    not peers or any(_peer_matches(policy["metadata"]["namespace"], p, peer) for p in peers)
                ):
                    return True
        return False

    def allows(self, source: Pod, target: Pod, port: int, protocol: str = "TCP") -> bool:
        return self._admits(source, "Egress", target, port, protocol) and self._admits(
            target, "Ingress", source, port, protocol
        )


def workload_pods(objects: Iterable[Mapping]) -> dict[str, Pod]:
    """workload name -> the pod its template makes (Deployments, StatefulSets, Jobs)."""
    return {
        o["metadata"]["name"]: Pod(
            o["metadata"]["name"], o["metadata"].get("namespace"), o["spec"]["template"]["metadata"]["labels"]
        )
        for o in objects
        if o["kind"] in ("Deployment", "StatefulSet", "Job")
    }


def service_pod(objects: Iterable[Mapping], name: str) -> Pod:
    """Where the Service ``name`` leads: its in-cluster pods, or for an ExternalName Service a
    pod of the namespace ``<service>.<namespace>.svc…`` names (outside the cluster otherwise)."""
    objects = list(objects)
    service = next(o for o in objects if o["kind"] == "Service" and o["metadata"]["name"] == name)
    spec = service["spec"]
    if spec.get("type") == "ExternalName":
        parts = spec["externalName"].split(".")
        if len(parts) >= 3 and parts[2] == "svc":
            return Pod(spec["externalName"], parts[1], {})
        return Pod(spec["externalName"], None, {})
    namespace = service["metadata"].get("namespace")
    for pod in workload_pods(objects).values():
        if pod.namespace == namespace and selector_matches({"matchLabels": spec["selector"]}, pod.labels):
            return pod
    raise LookupError(f"no pod behind Service {name}")
