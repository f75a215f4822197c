"""A trial's checkpoint: what a later trial (a PBT member, a resumed run) continues from.

``trial.checkpoint.save(obj)`` pickles ``obj`` (a torch module, a scikit-learn estimator, numpy
arrays, a dict of them) into the trial's folder in the study's artifact folder, beside the
store; ``trial.checkpoint.load()`` returns this trial's checkpoint, or else the one of the trial
it continues (its parent, see ``Study.ask(parent=...)``). ``trial.checkpoint.path`` is the
trial's folder for anything that is not one picklable object (``torch.save`` files, a saved
model directory), and ``parent_path`` the parent's. The store records each checkpoint (which
trial, how big); the checkpoint itself never goes into the store.

Where the files travel: on the thread and process executors, and on Dask workers that see the
same filesystem, the worker reads and writes the folder directly. A Dask worker on another
machine that cannot reach the folder sends pickled checkpoints through the scheduler instead
(:data:`MAX_SCHEDULER_BYTES` at most per checkpoint); ``path`` needs the folder to be reachable
(a shared filesystem) and says so when it is not.
"""

from __future__ import annotations

import base64
import os
import pickle
import tempfile
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hpo_lab.trial._base import TrialBase

__all__ = ["CHECKPOINT_FILE", "MAX_SCHEDULER_BYTES", "Checkpoint", "dumps", "loads"]

#: The file ``save`` writes in a trial's checkpoint folder.
CHECKPOINT_FILE = "checkpoint.pkl"
#: The largest pickled checkpoint sent through a Dask scheduler when the folder is unreachable.
MAX_SCHEDULER_BYTES = 64 * 1024 * 1024


def dumps(obj: Any) -> bytes:
    """Pickle ``obj`` for a checkpoint: cloudpickle when installed (classes defined in a
    notebook travel by value), else the standard pickle.

    Example:
        >>> loads(dumps({"step": 3}))
        {'step': 3}
    """
    try:
        import cloudpickle
    except ImportError:
        return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return bytes(cloudpickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))


def loads(data: bytes) -> Any:
    """Unpickle a checkpoint. Checkpoints are the user's own data: load only your own files."""
    return pickle.loads(data)


def write_atomically(folder: str, name: str, data: bytes) -> str:
    """Write ``data`` to ``folder/name`` under a temporary name, then rename it; return the
    path. A reader never sees half a checkpoint."""
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".partial-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        target = os.path.join(folder, name)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return target


def reachable(root: str | None) -> bool:
    """Whether this process sees the study's artifact folder ``root``: the runner creates it
    before any trial asks, so a worker that does not see it is on a machine that does not
    share it."""
    return root is not None and os.path.isdir(root) and os.access(root, os.W_OK | os.X_OK)


class Checkpoint:
    """The checkpoint of one trial; get it as ``trial.checkpoint``.

    Example:
        >>> import hpo_lab
        >>> study = hpo_lab.create_study()
        >>> first = study.ask()
        >>> first.checkpoint.save({"weights": [1.0, 2.0], "step": 5})
        >>> _ = study.tell(first, 0.5)
        >>> later = study.ask(parent=first.number)       # continues trial 0
        >>> later.checkpoint.load()["step"], later.checkpoint.exists
        (5, False)
    """

    def __init__(self, trial: TrialBase) -> None:
        self._trial = trial
        self._dirs: dict[str, str | None] | None = None

    def _folders(self) -> dict[str, str | None]:
        if self._dirs is None:
            self._dirs = dict(self._trial._checkpoint_dirs())
        return self._dirs

    def _shared(self, folder: str | None) -> bool:
        root = self._folders().get("root")
        return folder is not None and root is not None and self._trial._folder_shared(root)

    @property
    def path(self) -> str:
        """This trial's checkpoint folder (created), for files of your own."""
        folder = self._folders()["own"]
        if folder is None or not self._shared(folder):
            raise RuntimeError(
                f"trial {self._trial.number}'s checkpoint folder {folder!r} cannot be reached "
                "from this worker; checkpoint.path needs a filesystem the worker shares with "
                "the study (checkpoint.save() works without one)"
            )
        os.makedirs(folder, exist_ok=True)
        return folder

    @property
    def parent_path(self) -> str | None:
        """The checkpoint folder of the trial this one continues, or ``None``."""
        return self._folders()["parent"]

    @property
    def exists(self) -> bool:
        """Whether this trial has saved a checkpoint with :meth:`save`."""
        folder = self._folders()["own"]
        if self._shared(folder):
            assert folder is not None
            return os.path.exists(os.path.join(folder, CHECKPOINT_FILE))
        return self._trial._checkpoint_get("own", True) is not None

    def save(self, obj: Any) -> None:
        """Pickle ``obj`` as this trial's checkpoint (replacing an earlier one)."""
        data = dumps(obj)
        folder = self._folders()["own"]
        if self._shared(folder):
            assert folder is not None
            write_atomically(folder, CHECKPOINT_FILE, data)
            self._trial._checkpoint_saved(len(data))
            return
        if len(data) > MAX_SCHEDULER_BYTES:
            raise ValueError(
                f"trial {self._trial.number}'s checkpoint is {len(data)} bytes, more than the "
                f"{MAX_SCHEDULER_BYTES} that travel through the scheduler when the checkpoint "
                "folder is not shared with the worker; share the folder (a network filesystem)"
            )
        self._trial._checkpoint_put(base64.b64encode(data).decode("ascii"))

    def load(self, default: Any = None) -> Any:
        """This trial's checkpoint, else the one of the trial it continues, else ``default``."""
        folders = self._folders()
        for which in ("own", "parent"):
            folder = folders[which]
            if folder is None:
                continue
            if self._shared(folder):
                path = os.path.join(folder, CHECKPOINT_FILE)
                if os.path.exists(path):
                    with open(path, "rb") as f:
                        return loads(f.read())
                continue
            encoded = self._trial._checkpoint_get(which, False)
            if encoded is not None:
                return loads(base64.b64decode(encoded))
        return default

    def __repr__(self) -> str:
        return f"Checkpoint(trial={self._trial.number})"
