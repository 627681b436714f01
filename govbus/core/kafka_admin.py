"""Topic creation shared by every role (a real cluster may forbid auto-creation)."""
from __future__ import annotations

from confluent_kafka.admin import AdminClient, NewTopic


def create_missing_topics(admin: AdminClient, wanted: list[NewTopic]) -> None:
    """Create the topics of ``wanted`` that do not exist yet; one created meanwhile by another
    process is fine, any other failure raises (an infrastructure fault)."""
    existing = set(admin.list_topics(timeout=10).topics)
    missing = [t for t in wanted if t.topic not in existing]
    for _topic, future in (admin.create_topics(missing).items() if missing else []):
        try:
            future.result()
        except Exception as exc:
            if "TOPIC_ALREADY_EXISTS" not in str(exc):
                raise
