"""``DeployInputs`` from the settings, the catalogue and the agreements: the one place a
rendering reads anything (the compilers it calls are the ones `govbus acl` and `govbus topics`
use, so the manifests grant and create exactly what those would)."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from commands.render.model import DeployInputs
from commands.render.roles import deploy_roles, recipients_of
from govbus.core.access import AclRule, compile_acls
from govbus.core.settings import GovbusSettings, topic_names

BROKERS = 3
MIN_INSYNC = 2


def production_settings(settings: GovbusSettings) -> GovbusSettings:
    """Every topic replicated on three brokers with two in sync, unless the settings say otherwise
    (GOVBUS_REPLICATION_FACTOR, GOVBUS_MIN_INSYNC_REPLICAS)."""
    replicas = settings.replication_factor if settings.replication_factor > 0 else BROKERS
    return settings.model_copy(update={"replication_factor": replicas,
                                       "min_insync_replicas": settings.min_insync_replicas or MIN_INSYNC})


def by_identity(rules: dict[AclRule, str]) -> dict[str, tuple[AclRule, ...]]:
    found: defaultdict[str, list[AclRule]] = defaultdict(list)
    for rule in sorted(rules):
        found[rule.principal].append(rule)
    return {name: tuple(found[name]) for name in sorted(found)}


def deploy_inputs(settings: GovbusSettings, at: datetime, image: str, oidc_issuer: str) -> DeployInputs:
    from commands.acl_cmd import role_groups
    from govbus.core.agreements import load_agreements
    from govbus.core.catalogue import load_catalogue
    from govbus.core.rules import load_rules
    from govbus.core.schemas import load_schemas
    from govbus.core.topic_plan import planned_topics

    settings = production_settings(settings)
    catalogue = load_catalogue(settings.catalogue_dir)
    agreements = list(load_agreements(settings.catalogue_dir).agreements.values())
    rules = load_rules(settings.catalogue_dir, load_schemas(settings.schemas_dir)).rules.values()
    groups = role_groups(settings)
    acls = by_identity(compile_acls(catalogue, agreements, topic_names(settings), groups, at,
                                    {rule.dataset for rule in rules},
                                    feed_recipients=settings.feed_records_recipients))
    topics = tuple(planned_topics(settings, catalogue, agreements))
    roles = deploy_roles(topics, topic_names(settings), groups, recipients_of(acls))
    return DeployInputs(topics=topics, acls=acls, roles=roles, at=at, image=image, brokers=BROKERS,
                        min_insync_replicas=settings.min_insync_replicas or MIN_INSYNC, oidc_issuer=oidc_issuer)
