"""``optuna.artifacts`` on hpo_lab: files linked to a study or a trial.

``upload_artifact`` copies a file into an artifact store and records it in the trial's (or
study's) system attributes under Optuna's key (``artifacts:<id>``), so the record moves with the
study (:func:`hpo_lab.optuna.export_study`) and tools that read Optuna's studies find it;
``get_all_artifact_meta`` lists them and ``download_artifact`` copies one back out.

Two stores: :class:`FileSystemArtifactStore` (a folder of your choice, Optuna's layout), and
:class:`StudyArtifactStore`, the default when ``artifact_store`` is not given: the study's own
artifact folder (``study.artifacts``, beside its SQLite file), where files are also listed by
``study.artifacts.list()``, counted in its disk usage and deleted with the study.

Example:
    >>> import hpo_lab, os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> path = os.path.join(folder, "notes.txt")
    >>> with open(path, "w") as f:
    ...     _ = f.write("hello")
    >>> study = hpo_lab.create_study()
    >>> trial = study.ask()
    >>> artifact_id = upload_artifact(study_or_trial=trial, file_path=path)
    >>> [m.filename for m in get_all_artifact_meta(trial)]
    ['notes.txt']
    >>> out = os.path.join(folder, "copy.txt")
    >>> download_artifact(artifact_store=StudyArtifactStore(study), artifact_id=artifact_id,
    ...                   file_path=out)
    >>> with open(out) as f:
    ...     f.read()
    'hello'
"""

from __future__ import annotations

import json
import mimetypes
import os
import shutil
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, BinaryIO, Protocol

from hpo_lab.storages import BaseStorage, get_storage
from hpo_lab.study._study import Study
from hpo_lab.trial._base import TrialBase
from hpo_lab.trial._frozen import FrozenTrial

__all__ = [
    "ArtifactMeta",
    "ArtifactNotFound",
    "ArtifactStore",
    "FileSystemArtifactStore",
    "StudyArtifactStore",
    "download_artifact",
    "get_all_artifact_meta",
    "upload_artifact",
]

_PREFIX = "artifacts:"


class ArtifactNotFound(Exception):
    """No artifact with that id in the store."""


class ArtifactStore(Protocol):
    """Where artifact bytes live (Optuna's artifact-store protocol)."""

    def open_reader(self, artifact_id: str) -> BinaryIO:
        """A binary file object with the artifact's bytes."""
        ...

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        """Store the bytes read from ``content_body``."""
        ...

    def remove(self, artifact_id: str) -> None:
        """Delete the artifact's bytes."""
        ...


@dataclass(frozen=True)
class ArtifactMeta:
    """What is recorded of an uploaded file."""

    artifact_id: str
    filename: str
    mimetype: str
    encoding: str | None


def _check_id(artifact_id: str) -> str:
    if not isinstance(artifact_id, str) or not artifact_id or os.sep in artifact_id or (
        artifact_id in (".", "..") or (os.altsep is not None and os.altsep in artifact_id)
    ):
        raise ValueError(f"artifact_id must be a plain file name, but got {artifact_id!r}")
    return artifact_id


class FileSystemArtifactStore:
    """Artifacts as files ``<base_path>/<artifact_id>`` (Optuna's layout).

    Example:
        >>> import io, tempfile
        >>> store = FileSystemArtifactStore(tempfile.mkdtemp())
        >>> store.write("a1", io.BytesIO(b"xyz"))
        >>> with store.open_reader("a1") as f:
        ...     f.read()
        b'xyz'
    """

    def __init__(self, base_path: str | os.PathLike[str]) -> None:
        self._base = os.fspath(base_path)
        if not os.path.isdir(self._base):
            raise FileNotFoundError(f"base_path {self._base!r} is not an existing folder")

    def _path(self, artifact_id: str) -> str:
        return os.path.join(self._base, _check_id(artifact_id))

    def open_reader(self, artifact_id: str) -> BinaryIO:
        """The artifact's file, opened for reading."""
        path = self._path(artifact_id)
        try:
            return open(path, "rb")
        except FileNotFoundError:
            raise ArtifactNotFound(f"no artifact {artifact_id!r} in {self._base!r}") from None

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        """Write the artifact's file."""
        with open(self._path(artifact_id), "wb") as f:
            shutil.copyfileobj(content_body, f)

    def remove(self, artifact_id: str) -> None:
        """Delete the artifact's file."""
        try:
            os.remove(self._path(artifact_id))
        except FileNotFoundError:
            raise ArtifactNotFound(f"no artifact {artifact_id!r} in {self._base!r}") from None


class StudyArtifactStore:
    """A study's own artifact folder (``study.artifacts``) as an artifact store.

    Files written through :func:`upload_artifact` are recorded with the trial they belong to;
    ids are the store's artifact ids (as strings).
    """

    def __init__(self, study: Study) -> None:
        self._study = study

    def _save(self, name: str, path: str, trial: TrialBase | FrozenTrial | None) -> str:
        info = self._study.artifacts.save_file(name, path, trial=trial)
        return str(info.artifact_id)

    def _info_path(self, artifact_id: str) -> str:
        try:
            number = int(artifact_id)
        except ValueError:
            raise ArtifactNotFound(f"no artifact {artifact_id!r} in study "
                                   f"{self._study.study_name!r}") from None
        try:
            return self._study.artifacts.path(number)
        except ValueError as exc:
            raise ArtifactNotFound(str(exc)) from None

    def open_reader(self, artifact_id: str) -> BinaryIO:
        """The artifact's file, opened for reading."""
        return open(self._info_path(artifact_id), "rb")

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        """Not used: :func:`upload_artifact` saves into the study's folder directly."""
        raise TypeError("write to a study's folder through upload_artifact or study.artifacts")

    def remove(self, artifact_id: str) -> None:
        """Delete the artifact's file and its record in the store."""
        self._info_path(artifact_id)
        self._study.artifacts.remove(int(artifact_id))


def _owner(
    study_or_trial: Any, storage: str | BaseStorage | None
) -> tuple[Study | None, Any, BaseStorage | None]:
    """(study, trial or None, storage) of what an artifact is linked to."""
    if isinstance(study_or_trial, Study):
        return study_or_trial, None, study_or_trial.storage
    if isinstance(study_or_trial, TrialBase):
        study = getattr(study_or_trial, "study", None)
        return study, study_or_trial, study.storage if study is not None else None
    if isinstance(study_or_trial, FrozenTrial):
        if storage is None:
            raise ValueError(
                "a FrozenTrial does not know its storage: pass storage= (the study's storage "
                "or its path) along with it"
            )
        return None, study_or_trial, get_storage(storage, create=False)
    raise TypeError(
        f"study_or_trial must be a Study, a Trial or a FrozenTrial, but got {study_or_trial!r}"
    )


def upload_artifact(
    *,
    artifact_store: ArtifactStore | None = None,
    file_path: str | os.PathLike[str],
    study_or_trial: Any,
    storage: str | BaseStorage | None = None,
    mimetype: str | None = None,
    encoding: str | None = None,
) -> str:
    """Copy ``file_path`` into ``artifact_store`` (default: the study's folder) and link it to
    ``study_or_trial``; return the artifact id. A trial must still be running (or, as a
    ``FrozenTrial``, come with ``storage=``), as in Optuna."""
    path = os.fspath(file_path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no file to upload at {path!r}")
    study, trial, store = _owner(study_or_trial, storage)
    filename = os.path.basename(path)
    guessed, guessed_encoding = mimetypes.guess_type(filename)
    if artifact_store is None:
        if study is None:
            raise ValueError(
                "without artifact_store the file goes to the study's folder, which needs a "
                "Study or a live Trial as study_or_trial"
            )
        artifact_store = StudyArtifactStore(study)
    if isinstance(artifact_store, StudyArtifactStore):
        artifact_id = artifact_store._save(filename, path, trial)
    else:
        artifact_id = str(uuid.uuid4())
        with open(path, "rb") as f:
            artifact_store.write(artifact_id, f)
    meta = ArtifactMeta(
        artifact_id, filename, mimetype or guessed or "application/octet-stream",
        encoding or guessed_encoding,
    )
    record = json.dumps(meta.__dict__)
    key = _PREFIX + artifact_id
    if trial is None:
        assert study is not None
        study.set_system_attr(key, record)
    elif isinstance(trial, TrialBase):
        trial.set_system_attr(key, record)
    else:
        assert store is not None
        store.set_trial_attr(trial.trial_id, key, record, system=True)
    return artifact_id


def _metas(attrs: dict[str, Any]) -> Iterable[ArtifactMeta]:
    for key, value in attrs.items():
        if key.startswith(_PREFIX):
            data = json.loads(value) if isinstance(value, str) else dict(value)
            yield ArtifactMeta(
                data["artifact_id"], data["filename"], data["mimetype"], data.get("encoding")
            )


def get_all_artifact_meta(
    study_or_trial: Any, *, storage: str | BaseStorage | None = None
) -> list[ArtifactMeta]:
    """The artifacts linked to a study or a trial (``storage`` is accepted for Optuna's
    signature; records are read from the object itself)."""
    if isinstance(study_or_trial, Study):
        return list(_metas(study_or_trial.system_attrs))
    if isinstance(study_or_trial, (TrialBase, FrozenTrial)):
        return list(_metas(dict(study_or_trial.system_attrs)))
    raise TypeError(
        f"study_or_trial must be a Study, a Trial or a FrozenTrial, but got {study_or_trial!r}"
    )


def download_artifact(
    *,
    artifact_store: ArtifactStore,
    artifact_id: str,
    file_path: str | os.PathLike[str],
) -> None:
    """Copy an artifact's bytes to ``file_path`` (which must not exist yet, as in Optuna)."""
    path = os.fspath(file_path)
    if os.path.exists(path):
        raise FileExistsError(f"file_path {path!r} already exists; download into a new path")
    with artifact_store.open_reader(artifact_id) as src, open(path, "wb") as dst:
        shutil.copyfileobj(src, dst)
