"""Read and write VAU-Bench annotation CSVs, reporting every row that cannot be used.

The files have 13 columns (``COLUMNS``). Sentinels: a field of ``-1`` means "unusable for that
task" and becomes ``None``; times ``0/0`` mark a Normal video and ``-1/-1`` an unannotated one.
Nothing is dropped silently: each excluded or suspicious row becomes a ``Problem``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from inference.core import protocol
from inference.core.tasks import canonical_class
from inference.errors import StudioError

COLUMNS: tuple[str, ...] = (
    "Video Name",
    "Question",
    "Option 1",
    "Option 2",
    "Option 3",
    "Option 4",
    "Correct Option",
    "Key Object",
    "Description",
    "Reasoning",
    "Anomaly Class",
    "Start Time",
    "End Time",
)
TEXT_COLUMNS: tuple[str, ...] = COLUMNS[1:11]
SOURCES: tuple[str, ...] = ("msad", "ucf", "ecva")
UNUSABLE = "-1"


class BenchFormatError(StudioError):
    """The file is not a VAU-Bench CSV at all (missing, unreadable, wrong header)."""


@dataclass(frozen=True)
class Problem:
    """Something wrong with one row; `row_number` counts like a spreadsheet (header = row 1)."""

    row_number: int
    message: str
    skipped: bool = False  # True when the row was left out of BenchFile.rows

    def __str__(self) -> str:
        return f"row {self.row_number}: {self.message}"


@dataclass(frozen=True)
class BenchRow:
    """One VAU-Bench item.

    `row_number` is the row a spreadsheet shows for it: the header is row 1, so the first data
    row is row 2. Text fields holding the ``-1`` sentinel are ``None``; `reasoning` is the raw
    stored text (markdown sections or a Python-dict string, depending on the file).
    """

    row_number: int
    video: str
    source: str
    question: str | None
    options: tuple[str, str, str, str] | None
    correct: str | None
    key_object: str | None
    description: str | None
    reasoning: str | None
    anomaly_class: str | None
    start: float
    end: float

    @property
    def is_unannotated(self) -> bool:
        """True for the ``-1/-1`` sentinel: nobody marked when the anomaly happens."""
        return (self.start, self.end) == protocol.NO_ANOMALY

    @property
    def is_normal(self) -> bool:
        """True for a Normal video: times ``0/0`` or class Normal."""
        return (self.start, self.end) == protocol.BENCH_NORMAL or self.anomaly_class == "Normal"

    @property
    def has_interval(self) -> bool:
        """True when the times give an anomaly span (neither ``0/0`` nor ``-1/-1``).

        Decided by the times alone, as the paper's grounding metric does: two ECVA rows labelled
        Normal carry real spans and count towards its 402 grounding rows.
        """
        return protocol.has_span((self.start, self.end))

    @property
    def interval(self) -> tuple[float, float] | None:
        """The annotated anomaly span in seconds, or None when the times give none."""
        return (self.start, self.end) if self.has_interval else None

    @property
    def usable_qa(self) -> bool:
        """True when question, four options and the correct letter are all present."""
        return self.question is not None and self.options is not None and self.correct is not None

    def to_csv_dict(self) -> dict[str, str]:
        """The row as the 13 CSV columns, sentinels restored."""
        options = self.options or (None, None, None, None)
        values = (
            self.video,
            self.question,
            *options,
            self.correct,
            self.key_object,
            self.description,
            self.reasoning,
            self.anomaly_class,
        )
        texts = [UNUSABLE if value is None else value for value in values]
        return dict(zip(COLUMNS, [*texts, repr(self.start), repr(self.end)], strict=True))


@dataclass
class BenchFile:
    """The usable rows of one CSV and the problems found while reading it."""

    rows: list[BenchRow]
    problems: list[Problem] = field(default_factory=list)


def guess_source(video: str, path: str | Path | None = None) -> str:
    """Name the dataset a video comes from: its name prefix first, else the CSV's file name."""
    lowered = video.lower()
    for source in SOURCES:
        if lowered.startswith(source + "_"):
            return source
    stem = Path(path).stem.lower() if path is not None else ""
    for source in SOURCES:
        if source in stem:
            return source
    return "other"


def parse_correct(text: str) -> str | None:
    """The option letter of a `Correct Option` value ("D" or "D. Green ..."), else None."""
    return protocol.answer_letter(text)


def read_bench_csv(path: str | Path) -> BenchFile:
    """Read a VAU-Bench CSV; bad rows become Problems, a file that is not one raises."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            records = list(csv.reader(handle))
    except FileNotFoundError:
        raise BenchFormatError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise BenchFormatError(f"{path}: cannot read as a UTF-8 CSV ({error})") from None
    if not records:
        raise BenchFormatError(f"{path}: empty file, expected a header row")
    positions = _header_positions(records[0], path)
    bench = BenchFile(rows=[])
    for row_number, record in enumerate(records[1:], start=2):
        if not record:  # a blank line is not a row
            continue
        if len(record) != len(records[0]):
            message = f"expected {len(records[0])} fields, found {len(record)}"
            bench.problems.append(Problem(row_number, message, skipped=True))
            continue
        _read_record([record[i] for i in positions], row_number, path, bench)
    return bench


def write_bench_csv(rows: Iterable[BenchRow], path: str | Path) -> None:
    """Write rows with the 13 VAU-Bench columns, so read_bench_csv gives the same rows back."""
    with Path(path).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(row.to_csv_dict() for row in rows)


def _header_positions(header: list[str], path: Path) -> list[int]:
    names = [name.strip() for name in header]
    missing = [column for column in COLUMNS if column not in names]
    if missing:
        raise BenchFormatError(f"{path}: not a VAU-Bench CSV, missing columns {', '.join(missing)}")
    return [names.index(column) for column in COLUMNS]


def _read_record(fields: list[str], row_number: int, path: Path, bench: BenchFile) -> None:
    """Append the row and any notes about it to `bench`, or a Problem saying why it is left out."""

    def skip(message: str) -> None:
        bench.problems.append(Problem(row_number, message, skipped=True))

    values = dict(zip(COLUMNS, fields, strict=True))
    if not values["Video Name"].strip():
        skip("empty Video Name")
        return
    times = _parse_times(values["Start Time"], values["End Time"])
    if isinstance(times, str):
        skip(times)
        return
    row, notes = _build_row(row_number, values, times, path)
    if all(values[column].strip() == UNUSABLE for column in TEXT_COLUMNS):
        if not row.has_interval:
            skip("unusable row: every text field is -1 and there is no time span")
            return
        notes.append("every text field is -1; kept for grounding only")
    bench.rows.append(row)
    bench.problems.extend(Problem(row_number, note) for note in notes)


def _parse_times(start_text: str, end_text: str) -> tuple[float, float] | str:
    """The (start, end) pair, or a message saying why the times are unusable."""
    try:
        start, end = float(start_text), float(end_text)
    except ValueError:
        return f"unparsable times {start_text!r} / {end_text!r}"
    if start != start or end != end:  # NaN compares unequal to itself
        return f"unparsable times {start_text!r} / {end_text!r}"
    if start > end:
        return f"start {start_text} is after end {end_text}"
    return start, end


def _build_row(
    row_number: int, values: dict[str, str], times: tuple[float, float], path: Path
) -> tuple[BenchRow, list[str]]:
    notes: list[str] = []

    def text(column: str) -> str | None:
        value = values[column]
        return None if value.strip() == UNUSABLE else value

    options = tuple(text(f"Option {i}") for i in range(1, 5))
    if any(option is None for option in options):
        if not all(option is None for option in options):
            notes.append("some options are -1; question unusable")
        options = None
    correct = None
    if (correct_text := text("Correct Option")) is not None:
        correct = parse_correct(correct_text)
        if correct is None:
            notes.append(f"Correct Option {correct_text[:40]!r} names no option A-D")
    anomaly_class = None
    if (class_text := text("Anomaly Class")) is not None:
        anomaly_class = canonical_class(class_text)
        if anomaly_class is None:
            notes.append(f"unknown Anomaly Class {class_text!r}")
    video = values["Video Name"].strip()
    row = BenchRow(
        row_number=row_number,
        video=video,
        source=guess_source(video, path),
        question=text("Question"),
        options=options,  # type: ignore[arg-type]  # four strings when not None
        correct=correct,
        key_object=text("Key Object"),
        description=text("Description"),
        reasoning=text("Reasoning"),
        anomaly_class=anomaly_class,
        start=times[0],
        end=times[1],
    )
    return row, notes
