"""The per-build cache: values charged the bytes they hold, kept within a byte budget, and each
made once however many threads ask for it at the same time."""

import gc
import threading
import time
import tracemalloc

import pytest
from conftest import wait_until

from sundhedsgraf.pages.labels import build_index
from sundhedsgraf.pages.search import make_search_index
from sundhedsgraf.publication import BuildCache, open_publication, size_of

PUBLIC = "http://sundhedsgraf.test/"


def test_kept_within_its_byte_budget_least_recently_used_out_first():
    cache = BuildCache(max_bytes=100_000)
    first = cache.get(("page", 0), lambda: b"0" * 10_000)
    for n in range(1, 50):
        cache.get(("page", n), lambda n=n: str(n).encode() * 10_000)
        assert cache.get(("page", 0), lambda: b"made again") is first  # used: stays
    assert cache.bytes == sum(size for _, size in cache.entries.values())
    assert 90_000 < cache.bytes <= 100_000
    assert len(cache.entries) < 10
    assert ("page", 49) in cache.entries and ("page", 1) not in cache.entries
    huge = cache.get(("huge",), lambda: b"x" * 200_000)  # over the budget: made, not kept
    assert len(huge) == 200_000 and ("huge",) not in cache.entries


@pytest.fixture(scope="module")
def real_publication(real_root):
    return open_publication(real_root)


@pytest.mark.parametrize(
    "make",
    [
        lambda pub: build_index(pub, PUBLIC),
        lambda pub: make_search_index(pub, build_index(pub, PUBLIC)),
    ],
    ids=["index", "search index"],
)
def test_a_value_is_charged_what_it_holds(real_publication, make):
    make(real_publication)  # modules, interned names: not the value's
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        value = make(real_publication)
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    # tracemalloc counts every thread's allocations (other tests' servers run in this
    # process): 4 KiB of theirs is allowed for
    assert held - 4096 <= size_of(value) <= 1.25 * held, (held, size_of(value))


def test_a_value_asked_for_by_many_threads_at_once_is_made_once():
    cache, calls, release = BuildCache(), [], threading.Event()

    def make():
        calls.append(threading.get_ident())
        release.wait()  # held until every thread has asked
        return object()

    asked, got = [], []

    def ask():
        asked.append(1)
        got.append(cache.get(("page",), make))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    wait_until(lambda: len(asked) == 8 and calls)
    time.sleep(0.2)  # let the last to arrive get into get(); without waiting, each would make
    release.set()
    for thread in threads:
        thread.join(30)
    assert len(calls) == 1
    assert len(got) == 8 and all(value is got[0] for value in got)


def test_an_error_in_making_reaches_every_waiter_and_the_next_ask_tries_again():
    cache, release, calls = BuildCache(), threading.Event(), []

    def fail():
        calls.append(1)
        release.wait()
        raise ValueError("no")

    errors = []

    def ask():
        try:
            cache.get(("page",), fail)
        except ValueError as error:
            errors.append(error)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    wait_until(lambda: calls)
    time.sleep(0.2)  # as above: the others are waiting for the first
    release.set()
    for thread in threads:
        thread.join(30)
    assert len(errors) == 4 and len(calls) == 1
    assert cache.get(("page",), lambda: "made") == "made"
    assert not cache.making
