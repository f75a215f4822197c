"""A study's artifact folder: files kept beside the store, recorded in it.

The SQLite file holds only JSON; anything else a study keeps (checkpoints, plots, model files)
goes into its folder, ``<database>.artifacts/study-<id>/`` beside a SQLite file, or a temporary
folder for a study in memory. The store records each file (name, size, and the trial it came
from), so a listing never needs to walk the folder and a removal is one place.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from typing import TYPE_CHECKING, Any

from hpo_lab.storages._base import ArtifactInfo, BaseStorage
from hpo_lab.trial._frozen import FrozenTrial

if TYPE_CHECKING:
    from hpo_lab.trial._base import TrialBase

__all__ = ["StudyArtifacts"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _file_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"an artifact name must be a non-empty str, but got {name!r}")
    safe = _UNSAFE.sub("_", name.strip()).strip("._") or "artifact"
    return safe[:100]


class StudyArtifacts:
    """The files of one study; get it as ``study.artifacts``.

    Example:
        >>> import hpo_lab
        >>> study = hpo_lab.create_study()
        >>> trial = study.ask()
        >>> info = study.artifacts.save_bytes("weights.bin", b"\\x00\\x01", trial=trial)
        >>> info.trial_number, info.size, [a.name for a in study.artifacts.list(trial=trial)]
        (0, 2, ['weights.bin'])
    """

    def __init__(self, storage: BaseStorage, study_id: int, study_name: str) -> None:
        self._storage = storage
        self._study_id = study_id
        self._study_name = study_name

    @property
    def folder(self) -> str:
        """The study's folder (created on first use)."""
        return self._storage.artifact_dir(self._study_id)

    def _trial_id(self, trial: FrozenTrial | TrialBase | int | None) -> int | None:
        if trial is None:
            return None
        if isinstance(trial, int) and not isinstance(trial, bool):
            for t in self._storage.get_all_trials(self._study_id):
                if t.number == trial:
                    return t.trial_id
            raise ValueError(f"study {self._study_name!r} has no trial number {trial}")
        trial_id = getattr(trial, "trial_id", None)
        if not isinstance(trial_id, int):
            raise TypeError(f"trial must be a trial or a trial number, but got {trial!r}")
        return trial_id

    def _write(
        self, name: str, trial: FrozenTrial | TrialBase | int | None, fill: Any
    ) -> ArtifactInfo:
        trial_id = self._trial_id(trial)
        sub = "study" if trial_id is None else f"trial-{trial_id}"
        relpath = os.path.join(sub, f"{uuid.uuid4().hex[:12]}-{_file_name(name)}")
        target = os.path.join(self.folder, relpath)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        # Written under a temporary name and renamed: a reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".partial-")
        try:
            with os.fdopen(fd, "wb") as f:
                fill(f)
            os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise
        try:
            return self._storage.add_artifact(
                self._study_id, trial_id, name, relpath, os.path.getsize(target)
            )
        except BaseException:
            os.remove(target)
            raise

    def save_bytes(
        self, name: str, data: bytes, *, trial: FrozenTrial | TrialBase | int | None = None
    ) -> ArtifactInfo:
        """Save ``data`` as a file named ``name``, of ``trial`` (or of the study).

        Example:
            >>> import hpo_lab
            >>> study = hpo_lab.create_study()
            >>> study.artifacts.save_bytes("a.txt", b"abc").size
            3
        """
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"save_bytes takes bytes, but got {type(data).__name__}")
        return self._write(name, trial, lambda f: f.write(data))

    def save_file(
        self,
        name: str,
        source: str | os.PathLike[str],
        *,
        trial: FrozenTrial | TrialBase | int | None = None,
    ) -> ArtifactInfo:
        """Copy the file ``source`` into the folder under ``name``.

        Example:
            >>> import hpo_lab, tempfile, os
            >>> src = os.path.join(tempfile.mkdtemp(), "model.txt")
            >>> with open(src, "w") as f:
            ...     _ = f.write("model")
            >>> hpo_lab.create_study().artifacts.save_file("model.txt", src).size
            5
        """
        path = os.fspath(source)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"no file to save as artifact {name!r} at {path!r}")

        def fill(f: Any) -> None:
            with open(path, "rb") as src:
                shutil.copyfileobj(src, f)

        return self._write(name, trial, fill)

    def list(self, *, trial: FrozenTrial | TrialBase | int | None = None) -> list[ArtifactInfo]:
        """The study's artifacts, oldest first (only those of ``trial`` if given)."""
        return self._storage.get_artifacts(self._study_id, self._trial_id(trial))

    def _info(self, artifact: ArtifactInfo | int) -> ArtifactInfo:
        if isinstance(artifact, ArtifactInfo):
            return artifact
        for info in self._storage.get_artifacts(self._study_id):
            if info.artifact_id == artifact:
                return info
        raise ValueError(f"study {self._study_name!r} has no artifact with id {artifact!r}")

    def path(self, artifact: ArtifactInfo | int) -> str:
        """The file's path."""
        return self._info(artifact).path

    def read_bytes(self, artifact: ArtifactInfo | int) -> bytes:
        """The file's contents."""
        info = self._info(artifact)
        try:
            with open(info.path, "rb") as f:
                return f.read()
        except FileNotFoundError:
            raise FileNotFoundError(
                f"artifact {info.name!r} of study {self._study_name!r} is recorded but its "
                f"file {info.path!r} is gone"
            ) from None

    def remove(self, artifact: ArtifactInfo | int) -> None:
        """Delete the file and forget it."""
        self._storage.remove_artifact(self._info(artifact).artifact_id)

    def disk_usage(self, *, trial: FrozenTrial | TrialBase | int | None = None) -> int:
        """Bytes used by the study's recorded artifacts (or by those of ``trial``)."""
        return sum(info.size for info in self.list(trial=trial))
