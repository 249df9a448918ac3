"""The submissions of a class: a folder with one sub-folder or file per student, or
Gradescope's "Export Submissions" zip (``submission_<id>/`` folders and
``submission_metadata.yml``, whose keys are Ruby symbols such as ``:submitters:``)."""
from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

METADATA = "submission_metadata.yml"


@dataclass
class Entry:
    """One submission of the class."""

    id: str
    path: Path
    students: list[dict] = field(default_factory=list)  # name / email / sid
    submitted: datetime | None = None  # the export's :created_at: (for the late rule)

    @property
    def student(self) -> str:
        return "; ".join(s.get("name") or s.get("email") or s.get("sid") or "?" for s in self.students) or self.id

    @property
    def email(self) -> str:
        return "; ".join(s.get("email", "") for s in self.students)

    @property
    def sid(self) -> str:
        return "; ".join(str(s.get("sid", "")) for s in self.students)


def _strip_symbols(obj):
    """Ruby-symbol keys (``:name``) as plain names."""
    if isinstance(obj, dict):
        return {str(k).strip(":"): _strip_symbols(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_strip_symbols(v) for v in obj]
    return obj


def read_metadata(path: Path) -> dict[str, tuple[list[dict], datetime | None]]:
    """Submitters and submission time per submission folder name, from Gradescope's metadata file."""
    import yaml

    raw = yaml.safe_load(path.read_text()) or {}
    found = {}
    for folder, info in _strip_symbols(raw).items():
        info = info if isinstance(info, dict) else {}
        submitters = info.get("submitters") or []
        people = [{k: str(v) for k, v in s.items() if k in ("name", "email", "sid")}
                  for s in submitters if isinstance(s, dict)]
        created = info.get("created_at")
        if isinstance(created, str):
            try:
                created = datetime.fromisoformat(created)
            except ValueError:
                created = None
        found[str(folder)] = (people, created if isinstance(created, datetime) and created.tzinfo else None)
    return found


def discover(source: Path, workdir: Path) -> list[Entry]:
    """Submissions in a folder or in a Gradescope export zip (unpacked into ``workdir``)."""
    if source.is_file() and zipfile.is_zipfile(source):
        target = workdir / "export"
        with zipfile.ZipFile(source) as zf:
            for info in zf.infolist():  # refuse paths that climb out of the folder
                if info.filename.startswith("/") or ".." in Path(info.filename).parts:
                    continue
                zf.extract(info, target)
        tops = [p for p in target.iterdir() if p.name != "__MACOSX"]
        source = tops[0] if len(tops) == 1 and tops[0].is_dir() and not (target / METADATA).exists() else target
    if not source.is_dir():
        raise ValueError(f"{source} is neither a folder nor a zip of submissions")
    metadata = read_metadata(source / METADATA) if (source / METADATA).exists() else {}
    entries = []
    for path in sorted(source.iterdir()):
        if path.name in (METADATA, "__MACOSX") or path.name.startswith("."):
            continue
        stem = path.name if path.is_dir() else path.stem
        people, submitted = metadata.get(path.name, ([], None))
        entries.append(Entry(stem, path, people, submitted))
    return entries
