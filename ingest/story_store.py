"""The story state on local disk: an embedded RocksDB (rocksdict), the local materialisation of the state topic.

The topic (`<app_id>.story-state`) stays the truth; this store is a copy of it that survives a restart, so that a
restart reads only what the topic gained since (the changelog offsets the store holds), and the memory a replica
needs is RocksDB's caches, not the state. Everything one write changes (the table entry, the index entries derived
from it, the offsets) goes in one atomic RocksDB write batch: a crash leaves the store as it was before or after it.

The store holds, under one-byte prefixes (the key layout is the store's format, `FORMAT`):

- ``T`` table entries (the topic's key and bytes); ``U`` the undo log of staged writes (see `StoredTable`);
- ``N``/``S`` the near-duplicate index, ``A``/``F``/``W``/``O`` the translation index, ``E`` the expiry queue
  (`ingest.stored_indexes`);
- ``M`` metadata: the format, the topic it copies, the offset of each partition read.

Reads inside a batch see the batch's writes (a story and its aliases are often written by the same records).
"""

from __future__ import annotations

import logging
import shutil
import struct
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path

from rocksdict import BlockBasedIndexType, BlockBasedOptions, Cache, Options, Rdict, WriteBatch

from processors.errors import NewsIngestError

log = logging.getLogger(__name__)

FORMAT = b"1"
TABLE, UNDO, META = b"T", b"U", b"M"
_FORMAT_KEY, _TOPIC_KEY, _OFFSET = META + b"format", META + b"topic", META + b"offset:"
_OFFSET_VALUE = struct.Struct(">q")
CACHE_BYTES = 128 * 2**20  # the block cache: data, index and filter blocks


class StoreError(NewsIngestError):
    """The store cannot be opened (another process holds it, the disk refuses it): the process ends (exit 3)."""


class StoryStore:
    """A RocksDB database of bytes keys and values, written in atomic batches that read their own writes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._pending: dict[bytes, bytes | None] | None = None
        self._db = self._open()

    def _open(self) -> Rdict:
        options = Options(raw_mode=True)
        table = BlockBasedOptions()
        table.set_bloom_filter(10, False)  # most lookups miss (a new story's identities): the filter answers them
        # Memory must not grow with the store: index and filter blocks live in the block cache, partitioned so that a
        # lookup loads a small partition, not a whole file's filter (unpartitioned, cached filters took gets from
        # ~80,000/s to 4,000/s here; kept outside the cache, they grow with the keys: ~650 MB at 15M stories).
        table.set_block_cache(Cache(CACHE_BYTES))
        table.set_cache_index_and_filter_blocks(True)
        table.set_partition_filters(True)
        table.set_index_type(BlockBasedIndexType.two_level_index_search())
        table.set_pin_top_level_index_and_filter(True)
        table.set_pin_l0_filter_and_index_blocks_in_cache(True)
        options.set_block_based_table_factory(table)
        options.create_if_missing(True)
        options.set_max_open_files(512)  # of the process's file descriptors, which the Kafka clients need too
        self.path.mkdir(parents=True, exist_ok=True)
        try:
            return Rdict(str(self.path), options)
        except Exception as error:  # rocksdict raises a bare Exception ("IO error: lock ... held by process")
            raise StoreError(f"story store at {self.path} cannot be opened: {error}") from None

    def close(self) -> None:
        self._db.close()

    def wipe(self) -> None:
        """Start again empty (a store of another topic or format, or one ahead of its topic)."""
        self._db.close()
        shutil.rmtree(self.path, ignore_errors=True)
        self._db = self._open()

    # ---- reads

    def get(self, key: bytes) -> bytes | None:
        if self._pending is not None and key in self._pending:
            return self._pending[key]
        value: bytes | None = self._db.get(key)
        return value

    def scan(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        """The written entries whose key starts with `prefix`, in key order (not the open batch's)."""
        return self.range(prefix, _after_prefix(prefix))

    def range(self, start: bytes, stop: bytes) -> Iterator[tuple[bytes, bytes]]:
        """The written entries with start <= key < stop, in key order."""
        cursor = self._db.iter()
        cursor.seek(start)
        while cursor.valid():
            key = cursor.key()
            if key >= stop:
                return
            yield key, cursor.value()
            cursor.next()

    # ---- writes

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Every put and delete inside is written at the end, at once; nested uses join the outer batch."""
        if self._pending is not None:
            yield
            return
        self._pending = {}
        try:
            yield
            pending = self._pending
        finally:
            self._pending = None
        if pending:
            batch = WriteBatch(raw_mode=True)
            for key in sorted(pending):  # sorted: RocksDB's memtable takes ordered inserts twice as fast
                value = pending[key]
                if value is None:
                    batch.delete(key)
                else:
                    batch.put(key, value)
            self._db.write(batch)

    def put(self, key: bytes, value: bytes) -> None:
        self._batch()[key] = value

    def delete(self, key: bytes) -> None:
        self._batch()[key] = None

    def _batch(self) -> dict[bytes, bytes | None]:
        if self._pending is None:
            raise RuntimeError("story store written outside writing()")
        return self._pending

    # ---- what it copies, and how far

    def copies(self, topic: str) -> bool:
        """Whether the store is a copy of `topic` in this format (else it must be rebuilt)."""
        return self.get(_FORMAT_KEY) == FORMAT and self.get(_TOPIC_KEY) == topic.encode()

    def start_copy(self, topic: str) -> None:
        """Wipe the store and mark it a copy of `topic`, read from nowhere yet."""
        self.wipe()
        with self.writing():
            self.put(_FORMAT_KEY, FORMAT)
            self.put(_TOPIC_KEY, topic.encode())

    def offsets(self) -> dict[int, int]:
        """partition -> the offset of the next record to read from it."""
        return {int(key[len(_OFFSET) :]): _OFFSET_VALUE.unpack(value)[0] for key, value in self.scan(_OFFSET)}

    def set_offset(self, partition: int, offset: int) -> None:
        self.put(_OFFSET + str(partition).encode(), _OFFSET_VALUE.pack(offset))


def _after_prefix(prefix: bytes) -> bytes:
    """The smallest key greater than every key starting with `prefix`."""
    trimmed = prefix.rstrip(b"\xff")
    return trimmed[:-1] + bytes([trimmed[-1] + 1]) if trimmed else b"\xff" * (len(prefix) + 1)


def open_store_dir(configured: Path | None, stack: ExitStack) -> Path:
    """The configured store directory, else a temporary one removed by `stack` (rebuilt at every start)."""
    if configured is not None:
        return configured
    path = Path(tempfile.mkdtemp(prefix="news-ingest-story-store-"))
    stack.callback(shutil.rmtree, path, True)
    return path


def disk_bytes(path: Path) -> int:
    """The bytes of the files under `path` (0 for files that went away meanwhile: RocksDB compacts as it likes)."""
    total = 0
    for item in path.rglob("*"):
        with suppress(OSError):
            total += item.stat().st_size if item.is_file() else 0
    return total
