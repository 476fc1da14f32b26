"""The answer cache: answers to repeated queries, kept within one byte budget.

The data does not change between builds, and the key holds the build, so a new build never
serves an old answer. An entry is charged what it really holds in memory: the key's texts, the
body, the media type and the ETag as Python objects, and the tuples and table slot around them.
"""

import sys
from collections import OrderedDict

from sundhedsgraf.sparql.evaluation import Answer
from sundhedsgraf.web.responses import etag_of

# What holds an entry's values: the Answer object and its __dict__ (56 + 96 bytes), the
# (answer, etag, size) tuple (64), the size (28) and the table's slot (23 to 63, by how full
# the table is). tracemalloc on CPython 3.11 measures 267 to 307 bytes per entry over these
# parts (tests/sparql/test_answer_cache.py). Parts the entries share (the build's id, the
# media types' texts, None) are charged to each, so the charge errs high, never low.
ENTRY_OVERHEAD = 320


def cost(key: tuple, answer: Answer, etag: str) -> int:
    """Bytes an entry takes: every object of its key and value, plus the bookkeeping."""
    parts = [*flatten(key), answer.body, answer.media_type, etag]
    return ENTRY_OVERHEAD + sum(sys.getsizeof(part) for part in parts)


def flatten(value) -> list:
    if isinstance(value, tuple):
        return [value, *(part for item in value for part in flatten(item))]
    return [value]


class AnswerCache:
    """Least recently used out first; an answer over an eighth of the budget is not kept."""

    def __init__(self, max_bytes: int):
        self.max_bytes, self.bytes = max_bytes, 0
        self.items: OrderedDict[tuple, tuple[Answer, str, int]] = OrderedDict()

    def get(self, key: tuple) -> tuple[Answer, str] | None:
        item = self.items.get(key)
        if item is None:
            return None
        self.items.move_to_end(key)
        return item[0], item[1]

    def put(self, key: tuple, answer: Answer) -> tuple[Answer, str]:
        """Remember `answer` with its ETag, unless it is too big; both are returned."""
        etag = etag_of(answer.body)
        size = cost(key, answer, etag)
        if size <= self.max_bytes // 8 and key not in self.items:
            self.items[key] = (answer, etag, size)
            self.bytes += size
            while self.bytes > self.max_bytes:
                _, (_, _, freed) = self.items.popitem(last=False)
                self.bytes -= freed
        return answer, etag
