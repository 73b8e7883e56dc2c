#include "core/haproxy/line_ring.h"

#include <algorithm>
#include <utility>

namespace mlb {

LineRing::LineRing(size_t capacity)
    : capacity_(std::max<size_t>(capacity, 1)) {}

void LineRing::Append(std::string line) {
  std::lock_guard<std::mutex> lock(mu_);
  lines_.push_back(std::move(line));
  ++next_line_;
  while (lines_.size() > capacity_) {
    lines_.pop_front();
  }
}

uint64_t LineRing::Mark() const {
  std::lock_guard<std::mutex> lock(mu_);
  return next_line_;
}

std::string LineRing::Since(uint64_t since, size_t max_lines) const {
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t first = next_line_ - lines_.size();
  uint64_t from = std::max(since, first);
  if (next_line_ - from > max_lines) {
    from = next_line_ - max_lines;
  }
  std::string out;
  for (uint64_t i = from; i < next_line_; ++i) {
    if (!out.empty()) {
      out += '\n';
    }
    out += lines_[static_cast<size_t>(i - first)];
  }
  return out;
}

std::vector<std::string> LineRing::Recent(size_t max_lines) const {
  std::lock_guard<std::mutex> lock(mu_);
  const size_t n = std::min(max_lines, lines_.size());
  return std::vector<std::string>(lines_.end() - static_cast<std::ptrdiff_t>(n),
                                  lines_.end());
}

}  // namespace mlb
