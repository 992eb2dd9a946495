// Named sample records: every record type, every value version, tombstones. The round-trip tests
// use them, and tests/compat/offsets-records compares Brook's encoding of each with the one Kafka's
// own classes build from the same values (OffsetsRecordsCheck.java builds a sample of the same
// name; keep the two lists in step).
#pragma once

#include <string>
#include <vector>

#include "coordinator/offsets_records.h"

namespace brook::coordinator::testing {

struct named_sample {
  std::string name;
  offsets_record record;
};

std::vector<named_sample> compat_samples();

}  // namespace brook::coordinator::testing
