#include "core/base/unified_diff.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace mlb {
namespace {

std::string Diff(const std::string& before, const std::string& after) {
  return UnifiedDiff(before, after, "A", "B");
}

// Runs GNU `diff -u` (plus `extra_flags`) on the two texts and returns what
// it prints.
class GnuDiff {
 public:
  GnuDiff() {
    char dir[] = "/tmp/unified_diff_test.XXXXXX";
    if (mkdtemp(dir) != nullptr) {
      dir_ = dir;
    }
  }
  ~GnuDiff() {
    if (!dir_.empty()) {
      std::remove((dir_ + "/a").c_str());
      std::remove((dir_ + "/b").c_str());
      rmdir(dir_.c_str());
    }
  }
  bool ok() const { return !dir_.empty(); }

  std::string Run(const std::string& before, const std::string& after,
                  const std::string& extra_flags = "") {
    std::ofstream(dir_ + "/a", std::ios::binary) << before;
    std::ofstream(dir_ + "/b", std::ios::binary) << after;
    const std::string command = "diff -u " + extra_flags +
                                " --label A --label B " + dir_ + "/a " +
                                dir_ + "/b";
    std::string output;
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) {
      return "popen failed";
    }
    char buffer[4096];
    size_t got;
    while ((got = fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
      output.append(buffer, got);
    }
    pclose(pipe);
    return output;
  }

 private:
  std::string dir_;
};

std::vector<std::string> SplitKeepingNewlines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    size_t end = nl == std::string::npos ? text.size() : nl + 1;
    lines.push_back(text.substr(start, end - start));
    start = end;
  }
  return lines;
}

// Applies a unified diff to `before`, checking that context and removed
// lines match and that hunk headers agree with their bodies. Returns the
// patched text, or "FAILED: ..." on any inconsistency.
std::string ApplyDiff(const std::string& before, const std::string& diff) {
  if (diff.empty()) {
    return before;
  }
  const std::vector<std::string> source = SplitKeepingNewlines(before);
  std::vector<std::string> lines = SplitKeepingNewlines(diff);
  // Fold "\ No newline at end of file" into the previous line.
  std::vector<std::string> body;
  for (const std::string& line : lines) {
    if (line == "\\ No newline at end of file\n") {
      if (body.empty() || body.back().back() != '\n') {
        return "FAILED: misplaced no-newline marker";
      }
      body.back().pop_back();
    } else {
      body.push_back(line);
    }
  }
  if (body.size() < 2 || body[0] != "--- A\n" || body[1] != "+++ B\n") {
    return "FAILED: headers";
  }
  std::string result;
  size_t next_source = 0;
  size_t i = 2;
  while (i < body.size()) {
    long a = 0, b = 1, c = 0, d = 1;
    const std::string& header = body[i];
    if (std::sscanf(header.c_str(), "@@ -%ld,%ld +", &a, &b) != 2) {
      b = 1;
      if (std::sscanf(header.c_str(), "@@ -%ld +", &a) != 1) {
        return "FAILED: hunk header " + header;
      }
    }
    const size_t plus = header.find('+');
    if (std::sscanf(header.c_str() + plus, "+%ld,%ld @@", &c, &d) != 2) {
      d = 1;
      if (std::sscanf(header.c_str() + plus, "+%ld @@", &c) != 1) {
        return "FAILED: hunk header " + header;
      }
    }
    // An empty range names the line before it.
    const size_t first = static_cast<size_t>(b == 0 ? a : a - 1);
    if (first < next_source) {
      return "FAILED: overlapping hunks";
    }
    for (; next_source < first; ++next_source) {
      result += source[next_source];
    }
    ++i;
    long old_count = 0, new_count = 0;
    while (i < body.size() && body[i].rfind("@@ ", 0) != 0) {
      const char kind = body[i][0];
      const std::string text = body[i].substr(1);
      if (kind == ' ' || kind == '-') {
        if (next_source >= source.size() || source[next_source] != text) {
          return "FAILED: context mismatch at line " +
                 std::to_string(next_source + 1);
        }
        ++next_source;
        ++old_count;
      }
      if (kind == ' ' || kind == '+') {
        result += text;
        ++new_count;
      }
      if (kind != ' ' && kind != '-' && kind != '+') {
        return "FAILED: bad line " + body[i];
      }
      ++i;
    }
    if (old_count != b || new_count != d) {
      return "FAILED: counts in " + header;
    }
  }
  for (; next_source < source.size(); ++next_source) {
    result += source[next_source];
  }
  return result;
}

int CountChangedLines(const std::string& diff) {
  int count = 0;
  for (const std::string& line : SplitKeepingNewlines(diff)) {
    if ((line[0] == '-' && line.rfind("--- ", 0) != 0) ||
        (line[0] == '+' && line.rfind("+++ ", 0) != 0)) {
      ++count;
    }
  }
  return count;
}

TEST(UnifiedDiffTest, EqualTextsGiveEmptyDiff) {
  EXPECT_EQ(Diff("", ""), "");
  EXPECT_EQ(Diff("a\nb\n", "a\nb\n"), "");
  EXPECT_EQ(Diff("a\nb", "a\nb"), "");
}

TEST(UnifiedDiffTest, UsesLabelsWithoutTimestamps) {
  EXPECT_EQ(UnifiedDiff("a\n", "b\n", "haproxy.cfg", "haproxy.cfg.new"),
            "--- haproxy.cfg\n+++ haproxy.cfg.new\n@@ -1 +1 @@\n-a\n+b\n");
}

TEST(UnifiedDiffTest, SingleChangeWithContext) {
  EXPECT_EQ(Diff("1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\nX\n6\n7\n8\n9\n"),
            "--- A\n+++ B\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+X\n 6\n 7\n 8\n");
}

TEST(UnifiedDiffTest, EmptyRanges) {
  EXPECT_EQ(Diff("", "a\n"), "--- A\n+++ B\n@@ -0,0 +1 @@\n+a\n");
  EXPECT_EQ(Diff("a\n", ""), "--- A\n+++ B\n@@ -1 +0,0 @@\n-a\n");
  EXPECT_EQ(Diff("", "a\nb\n"), "--- A\n+++ B\n@@ -0,0 +1,2 @@\n+a\n+b\n");
}

TEST(UnifiedDiffTest, PureInsertionAndDeletionInTheMiddle) {
  EXPECT_EQ(Diff("1\n2\n3\n4\n5\n6\n", "1\n2\n3\nnew\n4\n5\n6\n"),
            "--- A\n+++ B\n@@ -1,6 +1,7 @@\n 1\n 2\n 3\n+new\n 4\n 5\n 6\n");
  EXPECT_EQ(Diff("1\n2\n3\n4\n5\n6\n7\n", "1\n2\n3\n5\n6\n7\n"),
            "--- A\n+++ B\n@@ -1,7 +1,6 @@\n 1\n 2\n 3\n-4\n 5\n 6\n 7\n");
}

TEST(UnifiedDiffTest, MissingFinalNewline) {
  EXPECT_EQ(Diff("a\nb\nc", "a\nb\nc\n"),
            "--- A\n+++ B\n@@ -1,3 +1,3 @@\n a\n b\n-c\n"
            "\\ No newline at end of file\n+c\n");
  EXPECT_EQ(Diff("a\nb\n", "a\nb"),
            "--- A\n+++ B\n@@ -1,2 +1,2 @@\n a\n-b\n+b\n"
            "\\ No newline at end of file\n");
  EXPECT_EQ(Diff("", "a"),
            "--- A\n+++ B\n@@ -0,0 +1 @@\n+a\n\\ No newline at end of file\n");
  // A shared last line without newline shows the marker as context too.
  EXPECT_EQ(Diff("x\ny\nz", "X\ny\nz"),
            "--- A\n+++ B\n@@ -1,3 +1,3 @@\n-x\n+X\n y\n z\n"
            "\\ No newline at end of file\n");
}

TEST(UnifiedDiffTest, HunksMergeWhenAtMostSixLinesApart) {
  // Six unchanged lines between changes: one hunk.
  EXPECT_EQ(Diff("a\n1\n2\n3\n4\n5\n6\nb\n", "A\n1\n2\n3\n4\n5\n6\nB\n"),
            "--- A\n+++ B\n@@ -1,8 +1,8 @@\n-a\n+A\n 1\n 2\n 3\n 4\n 5\n 6\n"
            "-b\n+B\n");
  // Seven: two hunks.
  EXPECT_EQ(
      Diff("a\n1\n2\n3\n4\n5\n6\n7\nb\n", "A\n1\n2\n3\n4\n5\n6\n7\nB\n"),
      "--- A\n+++ B\n@@ -1,4 +1,4 @@\n-a\n+A\n 1\n 2\n 3\n"
      "@@ -6,4 +6,4 @@\n 5\n 6\n 7\n-b\n+B\n");
}

TEST(UnifiedDiffTest, NewBackendBlockShowsAsOneBlock) {
  const std::string before =
      "backend a\n  mode http\n\nbackend c\n  mode http\n";
  const std::string after =
      "backend a\n  mode http\n\nbackend b\n  mode http\n\nbackend c\n"
      "  mode http\n";
  EXPECT_EQ(Diff(before, after),
            "--- A\n+++ B\n@@ -1,5 +1,8 @@\n backend a\n   mode http\n \n"
            "+backend b\n+  mode http\n+\n backend c\n   mode http\n");
}

TEST(UnifiedDiffTest, MatchesGnuDiffOnHandPickedCases) {
  GnuDiff gnu;
  ASSERT_TRUE(gnu.ok());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"a\nb\nc\n", "c\nb\na\n"},
      {"a\na\na\nb\n", "b\na\na\na\n"},
      {"x\n\n\n\ny\n", "x\n\n\ny\n"},
      {"}\n\nfoo {\n}\n", "}\n\nbar {\n}\n\nfoo {\n}\n"},
      {"a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n", "a\nc\nd\ne\nf\ng\nh\nI\nj\nk\nl"},
      {"only\n", "only"},
      {"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n",
       "0\n1\n2\n3\n4\n5\n6\n7\n9\n10\n11\n12\n13\n14\n15\n16\n17\n"},
  };
  for (const auto& [before, after] : cases) {
    EXPECT_EQ(Diff(before, after), gnu.Run(before, after))
        << "before:\n" << before << "\nafter:\n" << after;
  }
}

// Random edits of files whose lines are all distinct: the longest common
// subsequence is then unique, so GNU diff's output is fully determined and
// ours must match it byte for byte.
TEST(UnifiedDiffTest, MatchesGnuDiffOnRandomEditsOfDistinctLines) {
  GnuDiff gnu;
  ASSERT_TRUE(gnu.ok());
  std::mt19937 rng(20240601);
  int fresh = 0;
  for (int round = 0; round < 50; ++round) {
    const int length = static_cast<int>(rng() % 30);
    std::string before, after;
    for (int i = 0; i < length; ++i) {
      const std::string line = "line " + std::to_string(fresh++) + "\n";
      before += line;
      switch (rng() % 8) {
        case 0:  // deleted
          break;
        case 1:  // replaced
          after += "new " + std::to_string(fresh++) + "\n";
          break;
        case 2:  // preceded by an insertion
          after += "new " + std::to_string(fresh++) + "\n" + line;
          break;
        default:
          after += line;
      }
    }
    if (rng() % 4 == 0) {
      after += "tail " + std::to_string(fresh++) + "\n";
    }
    if (rng() % 5 == 0 && !before.empty()) {
      before.pop_back();
    }
    if (rng() % 5 == 0 && !after.empty()) {
      after.pop_back();
    }
    EXPECT_EQ(Diff(before, after), gnu.Run(before, after))
        << "round " << round << "\nbefore:\n" << before << "\nafter:\n"
        << after;
  }
}

// With many repeated lines several shortest scripts exist and GNU's
// tie-breaking heuristics may pick another one. Check instead that ours
// applies cleanly and changes exactly as many lines as `diff --minimal`.
TEST(UnifiedDiffTest, RandomRepetitiveInputsApplyAndAreMinimal) {
  GnuDiff gnu;
  ASSERT_TRUE(gnu.ok());
  std::mt19937 rng(7);
  const std::vector<std::string> alphabet = {"a\n", "b\n", "c\n", "\n",
                                             "  mode http\n"};
  int same_as_gnu = 0;
  constexpr int kRounds = 200;
  for (int round = 0; round < kRounds; ++round) {
    std::string before, after;
    const int n = static_cast<int>(rng() % 14);
    const int m = static_cast<int>(rng() % 14);
    for (int i = 0; i < n; ++i) {
      before += alphabet[rng() % alphabet.size()];
    }
    // Derive `after` from `before` half the time so the texts are related.
    if (rng() % 2 == 0) {
      for (const std::string& line : SplitKeepingNewlines(before)) {
        const auto roll = rng() % 6;
        if (roll == 0) {
          continue;
        }
        if (roll == 1) {
          after += alphabet[rng() % alphabet.size()];
        }
        after += line;
      }
    } else {
      for (int i = 0; i < m; ++i) {
        after += alphabet[rng() % alphabet.size()];
      }
    }
    if (rng() % 6 == 0 && !before.empty()) {
      before.pop_back();
    }
    const std::string ours = Diff(before, after);
    ASSERT_EQ(ApplyDiff(before, ours), after)
        << "round " << round << "\n" << ours;
    const std::string minimal = gnu.Run(before, after, "--minimal");
    ASSERT_EQ(CountChangedLines(ours), CountChangedLines(minimal))
        << "round " << round << "\nours:\n" << ours << "\nGNU:\n" << minimal;
    same_as_gnu += ours == gnu.Run(before, after) ? 1 : 0;
  }
  // Informational (in the XML report): how often the tie-breaking agrees
  // with GNU too; GNU also trims identical ends before shifting changes.
  RecordProperty("identical_to_gnu", same_as_gnu);
}

// The windowed diff either equals the whole one or declines.
std::string WholeOrDeclined(const std::string& head, const std::string& before,
                            const std::string& after, const std::string& tail) {
  const std::optional<std::string> windowed =
      UnifiedDiffOfWindows(head, before, after, tail, "A", "B");
  return windowed.has_value() ? *windowed : "declined";
}

TEST(UnifiedDiffOfWindowsTest, EqualsTheDiffOfTheWholeTexts) {
  std::string head, tail;
  for (int i = 0; i < 1000; ++i) {
    head += "  server s" + std::to_string(i) + " 10.0.0.1:" +
            std::to_string(i) + "\n";
    tail += "backend b" + std::to_string(i) + "\n  mode http\n";
  }
  const std::string before = "ctx1\nctx2\nctx3\nold\nctx4\nctx5\nctx6\n";
  const std::string after = "ctx1\nctx2\nctx3\nnew\nnewer\nctx4\nctx5\nctx6\n";
  const std::string whole =
      Diff(head + before + tail, head + after + tail);
  EXPECT_EQ(whole.substr(whole.find("@@")),
            "@@ -1001,7 +1001,8 @@\n ctx1\n ctx2\n ctx3\n-old\n+new\n+newer\n"
            " ctx4\n ctx5\n ctx6\n");
  EXPECT_EQ(WholeOrDeclined(head, before, after, tail), whole);
  // A line of the window that also occurs in the head only.
  const std::string moved = "ctx1\nctx2\nctx3\n  server s5 10.0.0.1:5\nold\n"
                            "ctx4\nctx5\nctx6\n";
  EXPECT_EQ(WholeOrDeclined(head, before, moved, tail),
            Diff(head + before + tail, head + moved + tail));
  EXPECT_EQ(WholeOrDeclined(head, before, before, tail), "");
  EXPECT_EQ(WholeOrDeclined("", before, after, ""), Diff(before, after));
}

TEST(UnifiedDiffOfWindowsTest, DeclinesWhenContextLiesBeyondTheWindow) {
  // The change is the window's first line: its context is in the head.
  EXPECT_EQ(WholeOrDeclined("h1\nh2\n", "a\nc1\nc2\nc3\n", "b\nc1\nc2\nc3\n",
                            "t\n"),
            "declined");
  // An inserted "x" slides down into the tail, as diff -u shows it.
  EXPECT_EQ(Diff("h\nh\nh\nx\nx\nx\n", "h\nh\nh\nx\nx\nx\nx\n"),
            "--- A\n+++ B\n@@ -4,3 +4,4 @@\n x\n x\n x\n+x\n");
  EXPECT_EQ(WholeOrDeclined("h\nh\nh\n", "x\n", "x\nx\n", "x\nx\n"),
            "declined");
  // Lines straddling the edges of the windows.
  EXPECT_EQ(WholeOrDeclined("h", "a\n", "b\n", ""), "declined");
  EXPECT_EQ(WholeOrDeclined("", "a", "b", "\n"), "declined");
}

TEST(UnifiedDiffOfWindowsTest, RandomWindowsEqualTheWholeDiffOrDecline) {
  std::mt19937 rng(5);
  const std::vector<std::string> alphabet = {"a\n", "b\n", "c\n", "\n",
                                             "  mode http\n"};
  int answered = 0;
  constexpr int kRounds = 20000;
  for (int round = 0; round < kRounds; ++round) {
    auto random_lines = [&](int count) {
      std::string out;
      for (int i = 0; i < count; ++i) {
        out += rng() % 3 == 0 ? alphabet[rng() % alphabet.size()]
                              : "line " + std::to_string(rng() % 1000) + "\n";
      }
      return out;
    };
    const std::string head = random_lines(static_cast<int>(rng() % 12));
    const std::string tail = random_lines(static_cast<int>(rng() % 12));
    const std::string context_top = random_lines(static_cast<int>(rng() % 6));
    const std::string context_bottom =
        random_lines(static_cast<int>(rng() % 6));
    const std::string before = context_top +
                               random_lines(static_cast<int>(rng() % 5)) +
                               context_bottom;
    const std::string after = context_top +
                              random_lines(static_cast<int>(rng() % 5)) +
                              context_bottom;
    const std::optional<std::string> windowed =
        UnifiedDiffOfWindows(head, before, after, tail, "A", "B");
    if (windowed.has_value()) {
      ++answered;
      ASSERT_EQ(*windowed, Diff(head + before + tail, head + after + tail))
          << "round " << round << "\nhead:\n" << head << "before:\n"
          << before << "after:\n" << after << "tail:\n" << tail;
    }
  }
  // Most windows with 3 or more common lines around the change answer.
  EXPECT_GT(answered, kRounds / 4);
  RecordProperty("answered", answered);
}

// A 100k-line config where a template change touched every backend, its
// backends reversed, and one with no line in common: the diff is exact and
// applies (how fast: tools/bench, not a timed test).
TEST(UnifiedDiffTest, LargeConfigDiffsApply) {
  std::string before, after;
  for (int i = 0; i < 12500; ++i) {
    const std::string name = "app" + std::to_string(i);
    std::string block = "backend " + name + "_80\n  balance roundrobin\n" +
                        "  mode http\n  option forwardfor\n" +
                        "  server " + name + "_1 10.0.0.1:" +
                        std::to_string(31000 + i % 1000) + "\n";
    before += block + "  server b\n\n\n";
    after += block + "  http-request set-header X-Port %[dst_port]\n" +
             "  server b\n\n\n";
  }
  const std::string diff = UnifiedDiff(before, after, "A", "B");
  EXPECT_EQ(ApplyDiff(before, diff), after);
  EXPECT_EQ(CountChangedLines(diff), 12500);

  // Backends reordered: thousands of edits among repeated lines, so the
  // search gives up on minimality but must still produce a valid diff.
  std::string reordered;
  for (size_t pos = before.size(); pos > 0;) {
    const size_t block = before.rfind("backend ", pos - 1);
    reordered += before.substr(block, pos - block);
    pos = block;
  }
  ASSERT_EQ(reordered.size(), before.size());
  const std::string reversed = UnifiedDiff(before, reordered, "A", "B");
  EXPECT_EQ(ApplyDiff(before, reversed), reordered);

  // Everything different: no common line at all.
  std::string other;
  for (int i = 0; i < 100000; ++i) {
    other += "other " + std::to_string(i) + "\n";
  }
  const std::string replaced = UnifiedDiff(before, other, "A", "B");
  EXPECT_EQ(ApplyDiff(before, replaced), other);
}

}  // namespace
}  // namespace mlb
