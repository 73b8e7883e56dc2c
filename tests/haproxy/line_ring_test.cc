// LineRing: the last lines of HAProxy's output with sequence numbers.
#include "core/haproxy/line_ring.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mlb {
namespace {

using Lines = std::vector<std::string>;

TEST(LineRingTest, KeepsTheLastLinesWithTheirSequenceNumbers) {
  LineRing ring(3);
  EXPECT_EQ(ring.Mark(), 0u);
  EXPECT_EQ(ring.Since(0, 20), "");
  EXPECT_EQ(ring.Recent(20), Lines{});
  ring.Append("a");
  ring.Append("b");
  const uint64_t mark = ring.Mark();
  EXPECT_EQ(mark, 2u);
  ring.Append("c");
  ring.Append("d");
  EXPECT_EQ(ring.Mark(), 4u);
  EXPECT_EQ(ring.Recent(20), (Lines{"b", "c", "d"}));
  EXPECT_EQ(ring.Recent(2), (Lines{"c", "d"}));
  EXPECT_EQ(ring.Since(mark, 20), "c\nd");
  EXPECT_EQ(ring.Since(0, 20), "b\nc\nd");  // "a" was dropped
  EXPECT_EQ(ring.Since(0, 1), "d");
  EXPECT_EQ(ring.Since(4, 20), "");
}

TEST(LineRingTest, KeepsAtLeastOneLine) {
  LineRing ring(0);
  ring.Append("a");
  ring.Append("b");
  EXPECT_EQ(ring.Recent(20), Lines{"b"});
  EXPECT_EQ(ring.Since(0, 20), "b");
}

}  // namespace
}  // namespace mlb
