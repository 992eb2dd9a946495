// Log compaction (cleanup.policy=compact), as Apache Kafka's log cleaner does it.
//
// A compacted log is cleaned from its log start up to the first uncleanable offset: never the
// active segment, nor a segment whose largest timestamp is within min.compaction.lag.ms of now.
// The part after the last clean (the first dirty offset, kept per partition in the
// cleaner-offset-checkpoint file of the log directory, in Kafka's format: a version line "0", a
// count line, then "topic partition offset" lines) is read into an offset map (key -> latest
// offset, bounded by log.cleaner.dedupe.buffer.size / log.cleaner.threads; when it fills, the
// clean stops where the map got). Then the segments from the start are rewritten in groups of at
// most segment.bytes (and segment.index.bytes of index), each into one new segment, keeping a
// record only if it is the latest for its key (records after the mapped range all stay).
// Tombstones (null values) stay until their batch's delete horizon (KIP-534): the first clean
// that keeps a tombstone stamps its batch with now + delete.retention.ms (base timestamp, with
// the delete-horizon attribute bit), a later clean after that time drops it. A batch keeps its
// base offset and last offset delta (the producer's sequence range); a compressed one is
// recompressed with its codec at the codec's default level. A batch left without records goes,
// unless it holds the last sequence of a producer still active (producer id >= 0, a batch within
// producer.id.expiration.ms: its last data batch, or its last marker when that marker bumped the
// epoch, as transactions version 2 does) or it is the last batch before the first uncleanable
// offset: those stay as an empty batch header, as Kafka keeps them.
//
// Transactions, as Kafka's CleanedTransactionMetadata: nothing at or past the last stable offset
// is cleaned (an open transaction stays whole). Batches are visited in offset order; an aborted
// transaction of the log (the transaction indexes) becomes ongoing for its producer when the
// visit reaches its first offset, and until its ABORT marker the producer's transactional
// batches are its data: they go whole, and stay out of the offset map so that they never make a
// committed record of their key look superseded. Other transactional batches make their
// producer's transaction an ongoing committed one until its COMMIT marker. A marker met after
// batches of its transaction stays (an ABORT marker's transaction then goes into the cleaned
// segment's transaction index); a marker met alone (its data gone in earlier cleans) and an
// empty control batch are removable: like a tombstone, a marker goes once its delete horizon
// passed, stamped in its batch by the first clean that found it removable. So an aborted
// transaction leaves the transaction index with the last of its data, and its marker leaves the
// log delete.retention.ms after the next clean.
//
// A log is picked when its dirty bytes are more than min.cleanable.dirty.ratio of the cleanable
// part, or when max.compaction.lag.ms forces it; the dirtiest first. Each cleaner thread
// (log.cleaner.threads) cleans one log at a time and, with nothing to clean, waits
// log.cleaner.backoff.ms.
//
// Threads: the heavy work (reading sealed segments, the map, writing the new segment files) runs
// on the cleaner threads, from the sealed segments the log's owner publishes (log_view). Only
// the swap's two short steps (partition_log::prepare_swap and replace_segments: renames, deletes,
// the in-memory segment list; about 0.1 ms) run on the owner's thread, through the executor given
// to attach(); the folder syncs around them run on the cleaner's. Readers that hold an old
// segment's file keep reading it. A log that is closed or deleted meanwhile is simply not
// swapped.
//
// Shutdown: stop() ends the threads (a clean in progress is abandoned; its .cleaned files are
// deleted, or at the next start); it must be called while the owners still run, before the logs
// are closed.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "storage/segment_io.h"

namespace brook::storage {

class partition_log;
class offset_map;

// The broker-wide settings of the cleaner (Kafka's log.cleaner.*).
struct cleaner_config {
  // log.cleaner.enable
  bool enable = true;
  // log.cleaner.threads
  int32_t threads = 1;
  // log.cleaner.dedupe.buffer.size: the offset maps' memory, shared by the threads.
  int64_t dedupe_buffer_size = 128LL * 1024 * 1024;
  // log.cleaner.io.buffer.load.factor: how full an offset map may get.
  double dedupe_buffer_load_factor = 0.9;
  // log.cleaner.io.buffer.size: read and write buffers, shared by the threads (half each).
  int32_t io_buffer_size = 512 * 1024;
  // log.cleaner.io.max.bytes.per.second: read and written bytes per second per thread.
  double io_max_bytes_per_second = 1.7976931348623157e308;
  // log.cleaner.backoff.ms
  int64_t backoff_ms = 15000;
  // producer.id.expiration.ms: a producer whose last batch is older is no longer active.
  int64_t producer_id_expiration_ms = 86400000;
};

// What one clean did, for logs and tests.
struct clean_stats {
  int64_t first_dirty = 0;
  int64_t end_offset = 0;  // the first offset not cleaned (the new checkpoint)
  int64_t bytes_read = 0;
  int64_t bytes_written = 0;
  int64_t records_read = 0;
  int64_t records_kept = 0;
  size_t groups = 0;
  bool map_full = false;
};

// The link between one partition_log, which lives on its owner's thread, and the cleaner. Made by
// log_cleaner::attach on the owner's thread; the owner publishes views through it and detaches on
// close or delete.
class cleanable_log {
 public:
  using executor = std::function<void(std::function<void()>)>;
  cleanable_log(std::string topic, int32_t partition, std::filesystem::path dir, executor owner)
      : topic(std::move(topic)),
        partition(partition),
        dir(std::move(dir)),
        run_on_owner(std::move(owner)) {}

  const std::string topic;
  const int32_t partition;
  const std::filesystem::path dir;
  // Runs a function on the owner's thread (later, or at once when the caller is the owner).
  const executor run_on_owner;

  // The owner's latest view; null once detached.
  std::shared_ptr<const log_view> view() const;
  bool attached() const;
  void publish(std::shared_ptr<const log_view> v);
  // The log is closed (or deleted, `removed`): no more views, no more files in its folder.
  void detach(bool removed);
  // Runs f() under the lock that detach() takes, if still attached; false otherwise. The cleaner
  // creates and deletes its files in the log's folder this way, so a deleted folder stays deleted.
  bool while_attached(const std::function<void()>& f);

  // The log, on the owner's thread only (null once detached).
  partition_log* owner = nullptr;
  // Called once when the log is deleted (drops its checkpoint).
  std::function<void()> on_removed;

 private:
  mutable std::mutex _mu;
  std::shared_ptr<const log_view> _view;
  bool _attached = true;
};

// Kafka's LogToClean: the range of one log to clean and how dirty it is.
struct log_to_clean {
  std::shared_ptr<cleanable_log> log;
  std::shared_ptr<const log_view> view;
  int64_t first_dirty = 0;
  int64_t first_uncleanable = 0;
  int64_t clean_bytes = 0;
  int64_t cleanable_bytes = 0;
  bool need_compaction_now = false;
  double ratio() const {
    const int64_t total = clean_bytes + cleanable_bytes;
    return total > 0 ? double(cleanable_bytes) / double(total) : 0.0;
  }
};

class log_cleaner {
 public:
  // Reads <log_dir>/cleaner-offset-checkpoint.
  log_cleaner(cleaner_config config, std::filesystem::path log_dir);
  ~log_cleaner();
  log_cleaner(const log_cleaner&) = delete;
  log_cleaner& operator=(const log_cleaner&) = delete;

  // Starts log.cleaner.threads threads (none when the cleaner is disabled).
  void start();
  // Ends the threads; see the shutdown note above.
  void stop();

  // Registers a log for cleaning, on its owner's thread. The log publishes its views from now on
  // and detaches itself when closed or removed.
  std::shared_ptr<cleanable_log> attach(partition_log& log, std::string topic, int32_t partition,
                                        cleanable_log::executor run_on_owner);

  // One round of a cleaner thread with the map `map` (nullptr: the first thread's): picks the
  // dirtiest log that needs cleaning and cleans it. nullopt when none needed it.
  std::optional<clean_stats> clean_once(int64_t now_ms, offset_map* map = nullptr);

  // The checkpointed first dirty offset of a partition.
  std::optional<int64_t> checkpoint(const std::string& topic, int32_t partition) const;

  // Kafka's cleanableOffsets and LogToClean for one view (exposed for tests).
  static log_to_clean assess(std::shared_ptr<cleanable_log> log,
                             std::shared_ptr<const log_view> view,
                             std::optional<int64_t> checkpoint, int64_t now_ms);

 private:
  struct worker;
  std::optional<log_to_clean> grab_filthiest(int64_t now_ms);
  void done(const log_to_clean& job, std::optional<int64_t> end_offset);
  void forget(const std::string& topic, int32_t partition);
  void write_checkpoints_locked();
  void run(worker& w);

  const cleaner_config _config;
  const std::filesystem::path _log_dir;

  mutable std::mutex _mu;
  std::condition_variable _wake;
  std::atomic<bool> _stopping{false};
  std::vector<std::weak_ptr<cleanable_log>> _logs;
  std::vector<const cleanable_log*> _in_progress;
  std::map<std::pair<std::string, int32_t>, int64_t> _checkpoints;
  std::vector<std::unique_ptr<worker>> _workers;
};

}  // namespace brook::storage
