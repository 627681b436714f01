"""Names a user types (a dataset, a recipient), checked against the catalogue and the agreements
before anything connects: an unknown name is one line listing the known ones, never an empty
answer that looks like "nothing there"."""
from __future__ import annotations

from commands import exits
from commands.exits import Failure
from govbus.core.agreements import load_agreements
from govbus.core.catalogue import load_catalogue
from govbus.core.settings import GovbusSettings


def known_dataset(settings: GovbusSettings, dataset: str) -> str:
    """``dataset`` if the catalogue has it; Failure(REFUSED) naming the ones it has if not."""
    datasets = sorted(load_catalogue(settings.catalogue_dir).entries)
    if dataset not in datasets:
        raise Failure(exits.REFUSED, f"no dataset {dataset!r} in the catalogue ({settings.catalogue_dir}); "
                                     f"known: {', '.join(datasets)}")
    return dataset


def known_recipient(settings: GovbusSettings, recipient: str) -> str:
    """``recipient`` if some agreement names it; Failure(REFUSED) naming the ones they do if not."""
    agreements = load_agreements(settings.catalogue_dir).agreements.values()
    recipients = sorted({agreement.recipient_id for agreement in agreements})
    if recipient not in recipients:
        raise Failure(exits.REFUSED, f"no agreement names the recipient {recipient!r}; "
                                     f"recipients with agreements: {', '.join(recipients)}")
    return recipient
