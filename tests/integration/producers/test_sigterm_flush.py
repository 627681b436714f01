"""SIGTERM flushes what the SDK still holds: records a killed adapter had queued arrive.

The child is wired as the adapters' ``main`` modules are: SIGTERM becomes an orderly exit
(``exits_on_sigterm``) and the publisher's ``with`` block delivers what is in flight."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

from govbus.core.settings import connection_env, topic_names
from tests.integration.producers.helpers import consume

CHILD = textwrap.dedent("""
    import sys, time
    from govbus.core.metrics import new_metrics
    from govbus.core.schemas import load_schemas
    from govbus.core.serde import Serde
    from govbus.core.settings import GovbusSettings
    from producers.sdk import Publisher, exits_on_sigterm

    settings = GovbusSettings()
    schema = load_schemas(settings.schemas_dir)["hotline.work_order"]
    with exits_on_sigterm(), \
            Publisher(settings, Serde.from_settings(settings), new_metrics()) as publisher:
        publisher.publish_encoded(schema, "hotline",
                                  [(b"k%d" % i, b"v%d" % i) for i in range(50)])
        print("queued", flush=True)
        time.sleep(120)  # killed long before; without the flush the records would be lost
""")


def test_sigterm_delivers_what_was_queued(broker, tmp_path, unique):
    settings = broker.settings(tmp_path, topic_prefix=f"t{unique}")
    # A long linger keeps the records in the client until something flushes them.
    env = os.environ | {**connection_env(settings),
                        "GOVBUS_TOPIC_PREFIX": settings.topic_prefix,
                        "GOVBUS_KAFKA_EXTRA": '{"linger.ms": 60000}'}
    child = subprocess.Popen([sys.executable, "-c", CHILD], env=env, stdout=subprocess.PIPE,
                             text=True)
    try:
        assert child.stdout.readline().strip() == "queued"
        child.send_signal(signal.SIGTERM)
        assert child.wait(60) == 128 + signal.SIGTERM
    finally:
        if child.poll() is None:
            child.kill()
    messages = consume(settings, topic_names(settings).raw("hotline.work_order"), 50)
    assert sorted(m.key() for m in messages) == sorted(b"k%d" % i for i in range(50))
