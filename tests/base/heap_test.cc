#include "core/base/heap.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace mlb {
namespace {

// What /sys says of transparent huge pages: "always", "madvise", "never",
// or "" when the kernel has none.
std::string ThpMode() {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  const size_t open = text.find('[');
  const size_t close = text.find(']');
  if (open == std::string::npos || close == std::string::npos) return "";
  return text.substr(open + 1, close - open - 1);
}

// The smaps entry of the mapping holding `p`: its lines from the address
// line to the next mapping's.
std::string SmapsEntryOf(const void* p) {
  const uintptr_t address = reinterpret_cast<uintptr_t>(p);
  std::ifstream in("/proc/self/smaps");
  std::string line, entry;
  bool inside = false;
  while (std::getline(in, line)) {
    uintptr_t begin = 0, end = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> begin >> dash >> end && dash == '-') {
      if (inside) break;
      inside = begin <= address && address < end;
    }
    if (inside) entry += line + "\n";
  }
  return entry;
}

bool Within(const void* p, const HugePageHeapRange& range) {
  const char* c = static_cast<const char*>(p);
  return range.begin <= c && c < range.end;
}

TEST(HugePageHeapTest, NewExtentsComeOneAfterAnotherFromOneHugePageMapping) {
  const std::string mode = ThpMode();
  if (mode.empty() || mode == "never") {
    GTEST_SKIP() << "transparent huge pages are off here (" << mode << ")";
  }
  ASSERT_EQ(UseHugePageHeap(), "");
  ASSERT_EQ(UseHugePageHeap(), "") << "a second call changes nothing";
  const HugePageHeapRange before = HugePageHeap();
  ASSERT_NE(before.begin, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(before.begin) % (2u << 20), 0u)
      << "the range starts on a huge-page boundary";

  // 48 MB in 256 KB blocks: more than the arena has cached, so jemalloc
  // asks the hook for new extents.
  std::vector<std::unique_ptr<char[]>> blocks;
  for (int i = 0; i < 192; ++i) {
    blocks.emplace_back(new char[256 << 10]);
    blocks.back()[0] = 1;
    blocks.back()[(256 << 10) - 1] = 1;
  }
  const HugePageHeapRange after = HugePageHeap();
  // Blocks may come from memory the arena held before the hook (earlier
  // tests' freed memory); what it maps afresh comes from the range.
  std::vector<const char*> inside;
  for (const auto& block : blocks) {
    if (Within(block.get(), after)) inside.push_back(block.get());
  }
  ASSERT_GE(inside.size(), blocks.size() / 2);
  EXPECT_GE(after.used - before.used, inside.size() * (256u << 10));
  // The kernel sees one mapping, eligible for huge pages as a whole.
  const std::string first = SmapsEntryOf(inside.front());
  const std::string last = SmapsEntryOf(inside.back());
  EXPECT_EQ(first.substr(0, first.find(' ')), last.substr(0, last.find(' ')))
      << "two mappings";
  EXPECT_NE(first.find(" hg"), std::string::npos)
      << "VmFlags without hg (MADV_HUGEPAGE):\n" << first;
  EXPECT_NE(first.find("THPeligible:           1\n"), std::string::npos)
      << first;
  // It ends on a huge-page boundary: a tail short of 2 MB would be faulted
  // in 4 KB pages (the kernel maps a 2 MB page only inside the mapping).
  const uintptr_t mapping_end =
      std::stoull(first.substr(first.find('-') + 1), nullptr, 16);
  EXPECT_EQ(mapping_end % (2u << 20), 0u) << first;

  // Memory the hook calls zeroed (jemalloc then skips calloc's memset) is
  // zeroed. A calloc may come from other memory first: take them until one
  // comes from the range.
  using Freed = std::unique_ptr<char, decltype(&std::free)>;
  std::vector<Freed> zeroed;
  do {
    zeroed.emplace_back(static_cast<char*>(std::calloc(6 << 20, 1)),
                        &std::free);
    ASSERT_NE(zeroed.back(), nullptr);
  } while (!Within(zeroed.back().get(), HugePageHeap()) && zeroed.size() < 8);
  ASSERT_TRUE(Within(zeroed.back().get(), HugePageHeap()));
  for (size_t i = 0; i < (6u << 20); i += 512) {
    ASSERT_EQ(zeroed.back().get()[i], 0) << "at " << i;
  }
}

}  // namespace
}  // namespace mlb
