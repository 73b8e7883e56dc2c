// File descriptors and poll(2): closing a descriptor once, and the poll
// timeout left until a deadline.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <chrono>

namespace mlb {

// Closes *fd if it is open and marks it closed (-1).
inline void CloseFd(int* fd) {
  if (*fd >= 0) {
    close(*fd);
    *fd = -1;
  }
}

// Milliseconds from now until `deadline` as poll(2) takes them: 0 once it
// has passed, at most 2^30.
inline int RemainingMs(std::chrono::steady_clock::time_point deadline) {
  const long long left = static_cast<long long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now())
          .count());
  return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1 << 30));
}

}  // namespace mlb
