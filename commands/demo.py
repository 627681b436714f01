"""`govbus demo`: the whole path on the embedded default, with every record accounted for, and
the incidents the emergency detector raised from it.

Starts the local stack if needed, generates sample records of every dataset (1,000 12345 work
orders and a smaller batch of each other dataset, a few of them invalid), runs the processor and
the pool sink as child processes, imports the records as their provider departments would, and
waits until every record read has exactly one fate (rejected by the adapter, delivered under the
shipped agreements, shared with nobody, dead-lettered, or a duplicate) and every delivery is a row
in its recipient's pool; then prints a summary. Each run uses its own topic prefix and pool, so
earlier runs never blur the count. The detector runs beside the processor over the same raw
topics; the demo plants a fire-alarm burst and a gas-leak call among the records
(producers/synthetic/scenario.py) and lists the incidents raised (commands/demo_incidents.py).
With ``--serve`` the detector keeps running and the live feed serves them until Ctrl-C.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import typer
from rich.console import Console
from rich.table import Table

from commands.acl_cmd import sync_prefix
from commands.demo_counts import PROCESS_OUTCOMES, DemoCounts, distinct_keys, pool_rows, processed_counts, topic_count
from commands.demo_incidents import DETECT_ARGS, incidents_table, planted_found, wait_incidents, wait_ready
from commands.endpoints import with_endpoints
from commands.localstack.stack import free_port
from commands.roles import as_identity, publisher_identity
from govbus.core import identities
from govbus.core.agreements import load_agreements
from govbus.core.identities import Service
from govbus.core.schemas import load_schemas
from govbus.core.settings import GovbusSettings, connection_env, topic_names
from producers.files.main import ImportRequest, import_file
from producers.synthetic.generate import DEFAULT_NOW, records
from producers.synthetic.scenario import PLANTED_INCIDENTS, planted

# The demo itself connects as bus-admin: it grants its run's ACLs (its own topic prefix) and
# counts every topic. Each role it runs connects as its own identity (commands/roles.py).
DEMO_IDENTITY = identities.ADMIN

console = Console(width=max(150, Console().width))  # the summary table is wide
MAIN_DATASET = "hotline.work_order"


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_cmd)


def _child_env(settings: GovbusSettings, metrics_port: int) -> dict[str, str]:
    return os.environ | connection_env(settings) | {
                         "GOVBUS_TOPIC_PREFIX": settings.topic_prefix,
                         "GOVBUS_POOL_URL": settings.pool_url, "GOVBUS_METRICS_PORT": str(metrics_port),
                         "GOVBUS_PROCESSOR_GROUP": settings.processor_group,
                         "GOVBUS_SINK_GROUP": settings.sink_group}


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("wb") as handle:
        # Who the child connects as, first in its log: the demo runs every role as itself.
        handle.write(f"govbus {' '.join(args)} as {env.get('GOVBUS_KAFKA_USER') or '(no identity)'}\n".encode())
        handle.flush()
        return subprocess.Popen([sys.executable, "-m", "commands.main", *args], env=env,
                                stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def generate_files(settings: GovbusSettings, count: int, seed: int, workdir: Path) -> dict[str, DemoCounts]:
    """One JSON-lines file per dataset; ``count`` work orders, a fifth as many of the others."""
    schemas = load_schemas(settings.schemas_dir)
    counts = {}
    for dataset, schema in sorted(schemas.items()):
        batch = list(records(dataset, count if dataset == MAIN_DATASET else max(count // 5, 1), seed))
        batch += planted(dataset, seed, DEFAULT_NOW)  # what the detector should find
        (workdir / f"{dataset}.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in batch), encoding="utf-8")
        counts[dataset] = DemoCounts(dataset, schema.key_field, [str(r.get(schema.key_field)) for r in batch])
    return counts


def _import_all(settings: GovbusSettings, workdir: Path, counts: dict[str, DemoCounts]) -> None:
    """Each dataset imported as its provider department would: as ``dept.<provider>``."""
    for dataset, dataset_counts in counts.items():
        request = ImportRequest(workdir / f"{dataset}.jsonl", dataset, department="", progress=False)
        summary = import_file(as_identity(settings, publisher_identity(settings, dataset, None)), request)
        dataset_counts.read, dataset_counts.published = summary.read, summary.published
        dataset_counts.rejected_at_adapter = summary.rejected


def _observe(settings: GovbusSettings, counts: dict[str, DemoCounts], metrics_url: str,
             recipients: dict[str, list[str]]) -> None:
    topics, processed = topic_names(settings), processed_counts(metrics_url)
    for dataset, c in counts.items():
        c.processed = processed.get(dataset, {})
        c.dead_letter_topic = topic_count(settings, topics.dlq(dataset))
        c.deliveries = {r: topic_count(settings, topics.shared(r, dataset)) for r in recipients.get(dataset, [])}
        c.pool_rows = {r: pool_rows(settings, r, dataset, c.key_field, c.keys) for r in recipients.get(dataset, [])}
        if c.fates_accounted and c.distinct_keys != c.pool_rows:  # read keys only once it matters
            c.distinct_keys = {r: distinct_keys(settings, topics.shared(r, dataset)) for r in c.deliveries}


def _wait_accounted(settings: GovbusSettings, counts: dict[str, DemoCounts], timeout: float,
                    metrics_url: str, children: list[subprocess.Popen], logs: list[Path]) -> None:
    recipients: dict[str, list[str]] = {}
    for agreement in load_agreements(settings.catalogue_dir).agreements.values():
        recipients.setdefault(agreement.dataset, []).append(agreement.recipient_id)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _observe(settings, counts, metrics_url, recipients)
        if all(c.accounted for c in counts.values()):
            return
        _check_alive(children, logs)
        time.sleep(0.5)


@dataclass
class DemoRun:
    """What one demo run did: every dataset's counts and the incidents the detector raised."""

    counts: dict[str, DemoCounts]
    incidents: list[dict[str, Any]] = field(default_factory=list)
    workdir: Path | None = None

    @property
    def planted_missing(self) -> list[tuple[str, str]]:
        found = planted_found(self.incidents)
        return [p for p in PLANTED_INCIDENTS if p not in found]


# Called with the finished run before the children stop (``--serve`` keeps them running in it).
Hold = Callable[[DemoRun, GovbusSettings, list[subprocess.Popen], list[Path]], None]


def run_demo(settings: GovbusSettings, count: int, seed: int, timeout: float,
             workdir: Path, hold: Hold | None = None) -> DemoRun:
    """Run generated records of every dataset through processor, sink and detector child
    processes. Uses ``settings.topic_prefix`` when set, else a fresh one, so runs never mix."""
    if not settings.topic_prefix:
        settings = settings.model_copy(update={"topic_prefix": f"demo_{uuid.uuid4().hex[:8]}"})
    # Groups of this run's own: the ACLs granted for the run name them (acl_cmd.role_groups).
    prefix = settings.topic_prefix
    settings = settings.model_copy(update={"processor_group": f"{prefix}-processor", "sink_group": f"{prefix}-sink"})
    run = DemoRun(generate_files(settings, count, seed, workdir), workdir=workdir)
    metrics_port = free_port()
    logs = [workdir / "process.log", workdir / "sink.log", workdir / "detect.log"]
    _note(sync_prefix(settings, "govbus demo: this run's topic prefix"))
    processor, sink, detector = (as_identity(settings, role) for role in (Service.PROCESSOR, Service.SINK,
                                                                          Service.DETECTOR))
    children = [_start(["process"], _child_env(processor, metrics_port), logs[0]),
                # Its /metrics on a free port: listed for the stack's Prometheus like the processor's.
                _start(["sink", "--all"], _child_env(sink, 0), logs[1])]
    try:
        _wait_processor(f"http://127.0.0.1:{metrics_port}/readyz", children, logs[:2], timeout)
        # Once the processor has created the raw topics, which the detector subscribes to.
        children.append(_start(DETECT_ARGS, _child_env(detector, 0) | {"GOVBUS_STATE_DIR": str(workdir / "detect")},
                               logs[2]))
        _import_all(settings, workdir, run.counts)
        _wait_accounted(settings, run.counts, timeout, f"http://127.0.0.1:{metrics_port}/metrics", children, logs)
        run.incidents = wait_incidents(settings, timeout, lambda: _check_alive(children, logs))
        if hold is not None:
            hold(run, settings, children, logs)
    finally:
        _stop(children)
        _note(sync_prefix(settings, "govbus demo finished", withdraw=True))
    return run


def _wait_processor(ready_url: str, children: list[subprocess.Popen], logs: list[Path], timeout: float) -> None:
    """Until the processor is ready (/readyz 200), which it is once it has created the bus's topics
    and consumes: the adapters may not create topics (docs/security.md), so importing earlier
    would be refused."""
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(ready_url, timeout=3):  # noqa: S310 - the child's http://127.0.0.1
                return
        except OSError:  # not listening yet, or 503: not ready yet (HTTPError is an OSError)
            _check_alive(children, logs)
            time.sleep(0.5)


def _check_alive(children: list[subprocess.Popen], logs: list[Path]) -> None:
    for child, log in zip(children, logs, strict=True):
        if child.poll() is not None:
            raise RuntimeError(f"a child process died (exit {child.returncode}); see {log}")


def _note(problem: str) -> None:
    if problem:  # the ACLs are in place; only their audit record is missing
        console.print(f"[yellow]{problem}[/yellow]")


def _stop(children: list[subprocess.Popen]) -> None:
    for child in children:
        child.terminate()
    for child in children:
        try:
            child.wait(20)
        except subprocess.TimeoutExpired:
            child.kill()


def demo_cmd(count: int = typer.Option(1000, help="Work orders; every other dataset gets a fifth as many."),
             seed: int = typer.Option(1),
             timeout: float = typer.Option(180.0, help="Seconds to wait for every record."),
             serve: bool = typer.Option(False, "--serve", help="Keep the detector running and serve the live "
                                        "feed of the incidents (prints its URL) until Ctrl-C.")) -> None:
    """Run sample records of every dataset through the bus, account for every one, and list the
    incidents the emergency detector raised from them."""
    started = time.monotonic()
    settings = with_endpoints(GovbusSettings(), identity=DEMO_IDENTITY, start_stack=True)
    workdir = Path(tempfile.mkdtemp(prefix="govbus-demo-"))
    if "pool_url" not in settings.model_fields_set:
        # A pool of this run's own, so the summary counts this run's rows only.
        settings = settings.model_copy(update={"pool_url": f"sqlite:///{workdir / 'pool.db'}"})

    def report(run: DemoRun, run_settings: GovbusSettings, children: list[subprocess.Popen],
               logs: list[Path]) -> None:
        console.print(summary_table(run.counts, time.monotonic() - started, settings.pool_url))
        console.print(incidents_table(run.incidents))
        if serve and all(c.accounted for c in run.counts.values()):
            _serve_feed(run_settings, workdir, children, logs)

    run = run_demo(settings, count, seed, timeout, workdir, hold=report)
    if not all(c.accounted for c in run.counts.values()):
        console.print(f"[red]not every record is accounted for[/red]; logs in {workdir}")
        raise typer.Exit(1)
    if run.planted_missing:
        console.print(f"[red]the detector did not raise {run.planted_missing}[/red]; its log: {workdir / 'detect.log'}")
        raise typer.Exit(1)
    total = sum(c.read for c in run.counts.values())
    console.print(f"every one of {total} records accounted for; {len(run.incidents)} incidents raised; "
                  f"files and logs in {workdir}")


def _serve_feed(settings: GovbusSettings, workdir: Path, children: list[subprocess.Popen],
                logs: list[Path]) -> None:
    """`govbus serve-feed` over this run's incidents until Ctrl-C (the detector keeps running)."""
    port = free_port()
    logs.append(workdir / "feed.log")
    feed = as_identity(settings, Service.FEED)
    children.append(_start(["serve-feed", "--port", str(port)], _child_env(feed, 0), logs[-1]))
    url = f"http://127.0.0.1:{port}/"
    if not wait_ready(url + "readyz", 120, lambda: _check_alive(children, logs)):
        console.print(f"[red]the feed did not become ready[/red]; its log: {logs[-1]}")
        return
    console.print(f"live feed: {url}  (Ctrl-C stops the demo)")
    try:
        while True:
            _check_alive(children, logs)
            time.sleep(1)
    except KeyboardInterrupt:
        console.print("stopping")


def summary_table(counts: dict[str, DemoCounts], seconds: float, pool_url: str) -> Table:
    table = Table(title=f"govbus demo ({seconds:.1f}s, pool {pool_url})")
    headers = ("dataset", "read", "adapter\nrejects", "delivered", "shared with\nnobody", "dead-\nlettered",
               "dupli-\ncates", "on the\nDLQ", "recipient: delivered → rows in its pool")
    for header in headers:
        table.add_column(header, justify="left" if header[0] in "dr" and header != "read" else "right",
                         no_wrap=header == "dataset")
    for dataset, c in counts.items():
        deliveries = "\n".join(f"{r}: {n} → {c.pool_rows.get(r, 0)}" + _collapsed(n, c.pool_rows.get(r, 0))
                               for r, n in sorted(c.deliveries.items()))
        table.add_row(dataset, str(c.read), str(c.rejected_at_adapter),
                      *(str(c.processed.get(o, 0)) for o in PROCESS_OUTCOMES), str(c.dead_letter_topic),
                      deliveries or "(no agreement)")
    return table


def _collapsed(delivered: int, rows: int) -> str:
    return f" (updates of {delivered - rows} keys)" if rows < delivered else ""
