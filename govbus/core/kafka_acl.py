"""The broker's side of the ACLs: read them, convert them to and from ``AclRule``, change them.

``AclRule`` (govbus.core.access) is what the compiler speaks; confluent-kafka speaks
``AclBinding`` / ``AclBindingFilter``. The conversion is exact both ways for what AclRule can
say (a ``User:`` principal, any host, ALLOW or DENY); a binding it cannot say (another
principal type, one host, a resource type govbus does not use) is returned as text, so that
the plan reports it and nothing ever removes it.
"""
from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass
from enum import Enum
from typing import Any, Iterable, TypeVar

from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ConfigResource,
    ResourcePatternType,
    ResourceType,
)

from govbus.core.access import AclRule, Operation, Pattern, Resource

USER = "User:"
ANY_HOST = "*"
TIMEOUT_SECONDS = 30.0
# confluent-kafka calls Kafka's CLUSTER resource type BROKER.
_TO_KAFKA = {Resource.TOPIC: ResourceType.TOPIC, Resource.GROUP: ResourceType.GROUP,
             Resource.CLUSTER: ResourceType.BROKER, Resource.TRANSACTIONAL_ID: ResourceType.TRANSACTIONAL_ID}
_FROM_KAFKA = {v: k for k, v in _TO_KAFKA.items()}
# None matches any name, principal and host (the stubs type them str).
MATCH_ALL = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, None, None,  # type: ignore[arg-type]
                             AclOperation.ANY, AclPermissionType.ANY)
E = TypeVar("E", bound=Enum)


class AclError(RuntimeError):
    """The broker refused to list or change ACLs (no authorizer, not authorised, timeout)."""


@dataclass(frozen=True)
class BrokerAcls:
    rules: frozenset[AclRule]
    unrepresentable: tuple[str, ...]  # bindings AclRule cannot say, as text


def authorizer_of(admin: AdminClient, timeout: float = TIMEOUT_SECONDS) -> str:
    """The broker's authorizer class, '' for none. Asked because a broker without one answers
    DescribeAcls with an empty list, which would read as "no ACLs at all". (Whether it allows
    everyone where no ACL is found is the authorizer's own setting: DescribeConfigs omits it.)"""
    node = admin.describe_cluster(request_timeout=timeout).result(timeout).nodes[0].id
    resource = ConfigResource(ResourceType.BROKER, str(node))
    entry = admin.describe_configs([resource], request_timeout=timeout)[resource].result(timeout).get(
        "authorizer.class.name")
    return str(entry.value or "") if entry is not None else ""


def to_binding(rule: AclRule) -> AclBinding:
    return AclBinding(_TO_KAFKA[rule.resource], rule.name, ResourcePatternType[rule.pattern.value],
                      f"{USER}{rule.principal}", ANY_HOST, AclOperation[rule.operation.value],
                      AclPermissionType[rule.permission])


def to_filter(rule: AclRule) -> AclBindingFilter:
    """A filter matching exactly this rule's binding (for delete_acls)."""
    return AclBindingFilter(_TO_KAFKA[rule.resource], rule.name, ResourcePatternType[rule.pattern.value],
                            f"{USER}{rule.principal}", ANY_HOST, AclOperation[rule.operation.value],
                            AclPermissionType[rule.permission])


def from_binding(binding: AclBinding) -> AclRule | None:
    """The rule a binding states, or None when AclRule cannot say it."""
    resource = _FROM_KAFKA.get(_member(ResourceType, binding.restype))
    principal = binding.principal or ""
    if resource is None or not principal.startswith(USER) or binding.host != ANY_HOST:
        return None
    try:
        return AclRule(principal[len(USER):], resource, binding.name,
                       Pattern(_member(ResourcePatternType, binding.resource_pattern_type).name),
                       Operation(_member(AclOperation, binding.operation).name),
                       _member(AclPermissionType, binding.permission_type).name)
    except ValueError:  # a pattern or operation AclRule has no member for
        return None


def _member(enum: type[E], value: E | str | int) -> E:
    """confluent-kafka keeps what the constructor was given: the enum member, its name or value."""
    if isinstance(value, enum):
        return value
    return enum[value.upper()] if isinstance(value, str) else enum(value)


def describe(admin: AdminClient, timeout: float = TIMEOUT_SECONDS) -> BrokerAcls:
    """Every ACL on the broker. AclError when it has no authorizer or refuses us."""
    try:
        if not authorizer_of(admin, timeout):
            raise AclError("the broker has no authorizer (authorizer.class.name is empty): it keeps no "
                           "ACLs and enforces none")
        bindings = admin.describe_acls(MATCH_ALL, request_timeout=timeout).result(timeout)
    except AclError:
        raise
    except Exception as exc:  # KafkaException or a timeout: both mean no answer
        raise AclError(f"cannot list the broker's ACLs: {exc}") from exc
    rules, other = set(), []
    for binding in bindings:
        rule = from_binding(binding)
        if rule is None:
            other.append(str(binding))
        else:
            rules.add(rule)
    return BrokerAcls(frozenset(rules), tuple(sorted(other)))


def create(admin: AdminClient, rules: frozenset[AclRule], timeout: float = TIMEOUT_SECONDS) -> None:
    if not rules:
        return
    futures = admin.create_acls([to_binding(r) for r in sorted(rules)], request_timeout=timeout)
    _wait(futures.values(), "create", timeout)


def delete(admin: AdminClient, rules: frozenset[AclRule], timeout: float = TIMEOUT_SECONDS) -> None:
    """Delete exactly these rules: each filter names one binding, nothing wider."""
    if not rules:
        return
    futures = admin.delete_acls([to_filter(r) for r in sorted(rules)], request_timeout=timeout)
    _wait(futures.values(), "delete", timeout)


def _wait(futures: Iterable[Future[Any]], what: str, timeout: float) -> None:
    failures = []
    for future in futures:
        try:
            future.result(timeout)
        except Exception as exc:  # noqa: BLE001 - collected, then raised together
            failures.append(str(exc))
    if failures:
        raise AclError(f"{len(failures)} ACL {what} requests failed, first: {failures[0]}")
