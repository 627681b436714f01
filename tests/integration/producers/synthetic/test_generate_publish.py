"""The generator publishing through the SDK as the provider: clean and odd-but-valid records
reach raw.<dataset>, dirty ones the adapter can judge reach the DLQ with their label."""
from __future__ import annotations

from govbus.core.settings import topic_names
from producers.synthetic.generate import records
from producers.synthetic.main import publish_generated
from tests.integration.producers.helpers import consume, decoded

DATASET = "market.enterprise_registration"
ADAPTER_REASONS = {"missing_field", "wrong_type", "bad_enum"}  # the rest is the cleaner's


def test_generate_publish_as_the_provider(broker, tmp_path, unique):
    settings = broker.settings(tmp_path, topic_prefix=f"t{unique}",
                               cache_dir=tmp_path / "cache")
    expected = list(records(DATASET, 150, 4, dirty=0.2))
    at_adapter = [r for r in expected if r.get("_dirty") in ADAPTER_REASONS]
    summary = publish_generated(settings, DATASET, 150, 4, 0.2, rate=None, progress=False)
    assert (summary.read, summary.rejected) == (150, len(at_adapter))
    topics = topic_names(settings)
    raw = decoded(settings, consume(settings, topics.raw(DATASET), 150 - len(at_adapter)))
    assert len(raw) == summary.published
    assert {r["envelope"]["source_department"] for r in raw} == {"market"}
    letters = decoded(settings, consume(settings, topics.dlq(DATASET), len(at_adapter)))
    assert sorted((l["reason"], l["field_path"]) for l in letters) == sorted(
        (r["_dirty"], r["_dirty_field"]) for r in at_adapter)
