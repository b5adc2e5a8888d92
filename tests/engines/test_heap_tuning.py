"""The C heap settings the bot's entry point applies (engines.memory.tune_heap), observed through glibc itself.

Each case runs in a fresh interpreter: the settings are process-wide, and the "before" behaviour needs a heap whose
dynamic threshold nobody has fixed yet. Off glibc, tune_heap must say it did nothing.
"""

from __future__ import annotations

import ctypes.util
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the subprocess imports engines from the repository

# After freeing an 8 MB mapped block, glibc's dynamic threshold rises to 8 MB (mallopt(3), M_MMAP_THRESHOLD), so a
# 1 MB block then comes from the heap and fragments it; with the threshold fixed it is mapped (and unmapped) whole.
PROBE = """
import ctypes, sys
from engines.memory import tune_heap

class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL(None)
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
tuned = tune_heap() if sys.argv[1] == "tuned" else None
if not hasattr(libc, "mallinfo2"):  # not glibc (>= 2.33): nothing to observe
    print(tuned, -1)
    sys.exit()
libc.mallinfo2.restype = MallInfo2
libc.free(libc.malloc(8 << 20))
before = libc.mallinfo2().hblks
block = libc.malloc(1 << 20)
print(tuned, libc.mallinfo2().hblks - before)
libc.free(block)
"""

GLIBC = platform.libc_ver()[0] == "glibc" and ctypes.util.find_library("c") is not None


def _probe(mode: str) -> tuple[str, int]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True, timeout=60, cwd=ROOT
    )
    tuned, mapped = done.stdout.split()
    return tuned, int(mapped)


def test_after_a_large_free_a_megabyte_buffer_is_still_mapped_whole_once_the_heap_is_tuned() -> None:
    if not GLIBC:  # musl, macOS: tune_heap says it changed nothing, and nothing else is claimed
        assert _probe("tuned")[0] == "False"
        return
    assert _probe("default") == ("None", 0)  # glibc's own behaviour: the threshold followed the 8 MB free
    assert _probe("tuned") == ("True", 1)


BLAS_PROBE = """
from threadpoolctl import threadpool_info
from engines.memory import one_blas_thread

print(one_blas_thread(), sorted({pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}))
"""


def test_one_blas_thread_leaves_numpys_blas_a_single_thread() -> None:
    done = subprocess.run(
        [sys.executable, "-c", BLAS_PROBE], capture_output=True, text=True, check=True, timeout=60, cwd=ROOT
    )
    assert done.stdout.strip() == "True [1]"
