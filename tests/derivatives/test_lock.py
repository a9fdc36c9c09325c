"""Lock files and claims: ownership, refusal, stale locks (issues 18, 27)."""

from __future__ import annotations

import dataclasses
import json
import os
import threading
import time

import pytest

from mne_icalabel.derivatives import _claims, _lock
from mne_icalabel.derivatives._claims import (
    RecordingClaims,
    claim_path,
    running_recordings,
    shared_files_lock,
)
from mne_icalabel.derivatives._lock import (
    DerivativesLock,
    LockHeldError,
    LockOwner,
    read_owner,
)


def _plant(folder, owner: LockOwner, age: float = 0.0):
    """Write a lock file of ``owner`` whose heartbeat is ``age`` seconds old."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / _lock.LOCK_NAME
    path.write_text(json.dumps(dataclasses.asdict(owner)), encoding="utf-8")
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


def test_lock_names_owner_and_refuses(tmp_path):
    """The lock holds its owner; a second lock is refused naming it; release."""
    folder = tmp_path / "derivatives" / "mne-icalabel"
    with DerivativesLock(folder, "bids") as first:
        owner = read_owner(folder / _lock.LOCK_NAME)
        assert owner == first.owner and owner.pid == os.getpid()
        assert owner.create_time is not None and len(owner.token) == 32
        with pytest.raises(LockHeldError, match=f"pid {os.getpid()} on host"):
            DerivativesLock(folder, "apply").acquire()
    assert not (folder / _lock.LOCK_NAME).exists()
    # the folders created for the lock stayed empty: removed again
    assert not (tmp_path / "derivatives").exists()


def test_claims_of_disjoint_and_overlapping_runs(tmp_path):
    """Disjoint claims coexist; an overlap is refused naming its owner."""
    folder = tmp_path / "derivatives" / "mne-icalabel"
    keys = ["sub-01/eeg/a.vhdr", "sub-02/eeg/b.vhdr", "sub-03/eeg/c.vhdr"]
    first = RecordingClaims(folder, "bids")
    second = RecordingClaims(folder, "apply")
    with first, second:
        assert first.claim(keys[:2]) == {}
        assert running_recordings(folder) == (first.owner, set(keys[:2]))
        refused = second.claim(keys[1:])
        assert refused == {keys[1]: first.owner}
        assert set(second.held) == {keys[2]}
        # apply writes no components TSV: not listed for review
        assert running_recordings(folder) == (first.owner, set(keys[:2]))
        first.release(keys[1])
        assert not claim_path(folder, keys[1]).exists()
        assert second.claim([keys[1]]) == {}
        assert running_recordings(folder) == (first.owner, {keys[0]})
    assert running_recordings(folder) is None
    # the folders made for the claims stayed empty: removed again
    assert not (tmp_path / "derivatives").exists()


def test_stale_claim_taken_over(tmp_path):
    """The claim of a dead run is taken over with a warning."""
    folder = tmp_path / "deriv"
    dead = dataclasses.replace(LockOwner.here("bids"), pid=2**22 + 17)
    path = claim_path(folder, "sub-01/eeg/a.vhdr")
    _plant(path.parent, dead)
    (path.parent / _lock.LOCK_NAME).rename(path)
    assert running_recordings(folder) is None  # a dead run rewrites nothing
    with (
        pytest.warns(RuntimeWarning, match="stale lock .*is not running"),
        RecordingClaims(folder, "bids") as claims,
    ):
        assert claims.claim(["sub-01/eeg/a.vhdr"]) == {}
        assert read_owner(path) == claims.owner


def test_shared_files_lock_waits(tmp_path, monkeypatch):
    """The short lock waits for a live holder, then is taken."""
    holder = shared_files_lock(tmp_path, "bids").acquire()
    timer = threading.Timer(0.3, holder.release)
    timer.start()
    start = time.monotonic()
    with shared_files_lock(tmp_path, "apply") as lock:
        waited = time.monotonic() - start
        assert read_owner(lock.path) == lock.owner
    timer.join()
    assert waited >= 0.25
    monkeypatch.setattr(_claims, "SHARED_WAIT", 0.1)
    with shared_files_lock(tmp_path, "bids"):
        with pytest.raises(LockHeldError, match="Another run"):
            shared_files_lock(tmp_path, "apply").acquire()


def test_lock_released_on_exception(tmp_path):
    """An exception (also KeyboardInterrupt) in the block releases the lock."""
    folder = tmp_path / "deriv"
    folder.mkdir()
    with pytest.raises(KeyboardInterrupt), DerivativesLock(folder, "bids"):
        raise KeyboardInterrupt
    assert not (folder / _lock.LOCK_NAME).exists()
    assert folder.is_dir()  # not created by the lock: kept


@pytest.mark.parametrize("case", ("dead pid", "reused pid", "old heartbeat"))
def test_stale_lock_taken_over(tmp_path, case):
    """A dead owner, a pid reused by another process, an old remote heartbeat."""
    here = LockOwner.here("bids")
    if case == "dead pid":
        owner = dataclasses.replace(here, pid=2**22 + 17)  # above pid_max default
        reason, age = "is not running", 0.0
    elif case == "reused pid":  # our pid, but created at another time
        owner = dataclasses.replace(here, create_time=here.create_time - 3600)
        reason, age = "is now another process", 0.0
    else:
        owner = dataclasses.replace(here, host="elsewhere", pid=1)
        reason, age = "heartbeat stopped", _lock.STALE_AFTER + 60
    _plant(tmp_path, dataclasses.replace(owner, token="0" * 32), age)
    with (
        pytest.warns(RuntimeWarning, match=f"stale lock .*{reason}"),
        DerivativesLock(tmp_path, "bids") as lock,
    ):
        assert read_owner(tmp_path / _lock.LOCK_NAME) == lock.owner
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_remote_lock_with_recent_heartbeat_held(tmp_path):
    """A lock of another host touched recently is held, whatever its pid."""
    owner = dataclasses.replace(LockOwner.here("apply"), host="elsewhere", pid=1)
    path = _plant(tmp_path, owner, age=_lock.STALE_AFTER - 60)
    with pytest.raises(LockHeldError, match="pid 1 on host elsewhere"):
        DerivativesLock(tmp_path, "bids").acquire()
    assert read_owner(path) == owner  # left as it was


def test_heartbeat_touches_lock(tmp_path, monkeypatch):
    """The owner refreshes the lock's mtime every HEARTBEAT seconds."""
    monkeypatch.setattr(_lock, "HEARTBEAT", 0.05)
    with DerivativesLock(tmp_path, "bids") as lock:
        old = time.time() - 1000
        os.utime(lock.path, (old, old))
        time.sleep(0.5)
        assert time.time() - lock.path.stat().st_mtime < 100


def test_two_takers_of_a_stale_lock_one_wins(tmp_path):
    """Threads racing for one stale lock: exactly one holds it."""
    dead = dataclasses.replace(LockOwner.here("bids"), pid=2**22 + 17)
    _plant(tmp_path, dead)
    locks = [DerivativesLock(tmp_path, "bids") for _ in range(6)]
    barrier = threading.Barrier(len(locks))
    won, refused = [], []

    def take(lock):
        barrier.wait()
        try:
            lock.acquire()
            won.append(lock)
        except LockHeldError:
            refused.append(lock)

    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the take-over warning, from a thread
        threads = [threading.Thread(target=take, args=(lk,)) for lk in locks]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(won) == 1 and len(refused) == len(locks) - 1
    assert read_owner(tmp_path / _lock.LOCK_NAME) == won[0].owner
    won[0].release()
    assert list(tmp_path.iterdir()) == []


def test_shared_files_lock_waits_through_lost_races(tmp_path):
    """Runs that keep taking the short lock before a waiter do not make it give up.

    Each of 12 threads takes it 5 times and holds it 5 ms; the waits (60 s
    allowed) are far longer than the 60 x 5 ms all holds take together.
    """
    errors: list[BaseException] = []
    owners: list[LockOwner] = []

    def run():
        for _ in range(5):
            try:
                with shared_files_lock(tmp_path, "bids") as lock:
                    owners.append(read_owner(lock.path))
                    time.sleep(0.005)
            except BaseException as error:
                errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(owners) == 60 and len({o.token for o in owners}) == 60
    assert not (tmp_path / _claims.SHARED_LOCK).exists()


def test_claim_after_another_run_removed_the_claims_folder(tmp_path, monkeypatch):
    """A run closing removes the empty .claims folder as another one claims."""
    first, second = RecordingClaims(tmp_path, "bids"), RecordingClaims(tmp_path, "bids")
    link_new = _claims._link_new
    removed = []

    def link_after_removal(path, text):
        if not removed:  # between this run's mkdir and its link
            first.close()
            removed.append(not (tmp_path / _claims.CLAIMS).exists())
        return link_new(path, text)

    monkeypatch.setattr(_claims, "_link_new", link_after_removal)
    assert second.claim(["sub-01"]) == {}
    assert removed == [True]
    assert read_owner(claim_path(tmp_path, "sub-01")) == second.owner
    second.close()
