"""The rows a command-line run left in quarantine, as CSV: what to fix in the file before the next run."""

from __future__ import annotations

import csv
from io import TextIOBase

from abonent.integration.models import ImportRun
from abonent.integration.reasons import describe_reason
from abonent.integration.selectors import open_quarantine


def write_quarantine_report(run: ImportRun, out: TextIOBase) -> int:
    """Write the run's open quarantined rows (record number, key, reasons in words); return how many."""
    writer = csv.writer(out)
    writer.writerow(["row", "key", "problem"])
    written = 0
    for row in open_quarantine(run=run).iterator():
        problem = "; ".join(describe_reason(code) for code in row.reasons)
        writer.writerow([row.row + 1, row.key, problem])  # numbered from 1, as the console shows them
        written += 1
    return written
