// Whole-file reads.
#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include "core/base/status.h"

namespace mlb {

inline constexpr uint64_t kNoSizeLimit = std::numeric_limits<uint64_t>::max();

// Reads the file at `path` whole into *out (one exact-size read when its size
// is known). Errors: the reason alone ("No such file or directory"), or
// "larger than N bytes" past `max_bytes`; *error_number (if not null) is set
// to the errno of the failed call, EFBIG past `max_bytes`. *out is empty
// after an error.
Status ReadWholeFile(const std::string& path, std::string* out,
                     uint64_t max_bytes = kNoSizeLimit,
                     int* error_number = nullptr);

}  // namespace mlb
