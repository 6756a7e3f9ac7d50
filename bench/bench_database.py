"""A private PostgreSQL with Waybill's schema for the benchmarks that need a database and no Postfix:

    with migrated_database(BIN, "policyd-bench-") as (work, pg):
        ...  # pg: waybill_rig.PgCluster; work: a fresh folder in /tmp for logs and files

The cluster is stopped and the folder removed afterwards, whatever happened.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "support"))
from waybill_rig import PgCluster  # noqa: E402


@contextlib.contextmanager
def migrated_database(bin_dir: Path, prefix: str) -> Iterator[tuple[Path, PgCluster]]:
    work = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    work.chmod(0o755)  # PostgreSQL runs as postgres, below this folder
    pg = PgCluster(work)
    pg.start()
    try:
        env = dict(os.environ, WAYBILL_MIGRATIONS_DIR=str(ROOT / "sql" / "migrations"))
        subprocess.run([bin_dir / "waybill", "--database.url", pg.url, "db", "migrate"], check=True, env=env,
                       stdout=subprocess.DEVNULL)
        yield work, pg
    finally:
        pg.stop()
        shutil.rmtree(work, ignore_errors=True)
