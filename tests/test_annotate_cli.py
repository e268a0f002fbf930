"""`python -m annotate`: import-csv, export and stats as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from annotate.cli import main
from tests.conftest import ROOT
from tests.test_import import row, write_csv


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "annotate", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def csv_file(tmp_path):
    rows = [row(Video_Name="a.mp4"), row(Video_Name="b.mp4", Start_Time="oops")]
    return write_csv(tmp_path / "test_ucf_crime.csv", rows)


def test_import_csv_reports_counts_and_bad_rows(tmp_path, csv_file):
    done = cli("import-csv", str(csv_file), "--db", f"sqlite:///{tmp_path / 's.db'}")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == (
        "test_ucf_crime.csv: 2 rows, 1 imported, 1 skipped; items: 4 created "
        "(classification 1, description 1, grounding 1, qa 1)"
    )
    assert lines[1] == "  skipped row 3: unparsable times 'oops' / '9.0'"


def test_import_csv_lists_missing_videos(tmp_path, csv_file):
    videos = tmp_path / "videos"
    videos.mkdir()
    done = cli(
        "import-csv",
        str(csv_file),
        "--videos",
        str(videos),
        "--json",
        "--db",
        str(tmp_path / "s.db"),
    )
    (report,) = json.loads(done.stdout)
    assert (report["videos_matched"], report["missing_videos"]) == (0, ["a.mp4"])


def test_the_database_comes_from_vau_db_url(tmp_path, csv_file):
    url = f"sqlite:///{tmp_path / 'env.db'}"
    assert cli("import-csv", str(csv_file), env={"VAU_DB_URL": url}).returncode == 0
    done = cli("stats", "--json", env={"VAU_DB_URL": url})
    figures = json.loads(done.stdout)
    assert (figures["database"], figures["items"]) == (str(tmp_path / "env.db"), 4)


def test_export_writes_files_and_says_what_it_left_out(tmp_path, csv_file):
    db = str(tmp_path / "s.db")
    cli("import-csv", str(csv_file), "--db", db)
    out = tmp_path / "out"
    args = [
        "export",
        "--format",
        "trl-grpo",
        "--out",
        str(out),
        "--include-ground-truth",
        "--db",
        db,
    ]
    done = cli(*args)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "trl-grpo: 0 from corrections, 4 from ground truth",
        f"  wrote {out / 'train.jsonl'} (3 records)",
        "  left out 1: description has no RFT reward",
    ]


def test_stats_prints_a_readable_report(tmp_path, csv_file):
    db = str(tmp_path / "s.db")
    cli("import-csv", str(csv_file), "--db", db)
    text = cli("stats", "--db", db).stdout
    assert "videos 1, items 4, model runs 0, revisions 0" in text
    assert "corrections by status: none" in text and "agreement over 0 items" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["stats", "--db", "postgresql://nobody@127.0.0.1:1/x"], "error: cannot reach database"),
        (["import-csv", "/nonexistent/file.csv"], "error: /nonexistent/file.csv: no such file"),
        (["export", "--format", "dpo", "--out", "x", "--split", "2"], "error: --split"),
    ],
)
def test_errors_are_one_line_and_exit_2(tmp_path, args, message, capsys):
    if "--db" not in args:
        args = [*args, "--db", str(tmp_path / "s.db")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1
