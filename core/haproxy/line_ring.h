// The last lines of a stream of text lines (HAProxy's output), each with a
// sequence number, so that a caller can take a mark and later read the lines
// appended since. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

namespace mlb {

class LineRing {
 public:
  // Keeps the last `capacity` lines (at least 1).
  explicit LineRing(size_t capacity);

  // Appends `line`, dropping the oldest line when full.
  void Append(std::string line);
  // The sequence number of the next line appended (0 for the first).
  uint64_t Mark() const;
  // The lines from sequence number `since` on that are still kept, the last
  // `max_lines` of them, joined by '\n'.
  std::string Since(uint64_t since, size_t max_lines) const;
  // The last `max_lines` lines kept, oldest first.
  std::vector<std::string> Recent(size_t max_lines) const;

 private:
  const size_t capacity_;
  mutable std::mutex mu_;  // guards the fields below
  std::deque<std::string> lines_;
  uint64_t next_line_ = 0;  // sequence number of the next line appended
};

}  // namespace mlb
