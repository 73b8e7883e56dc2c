// A scoped temporary directory for tests: made by mkdtemp(3) under
// ::testing::TempDir() ($TEST_TMPDIR, else $TMPDIR, else /tmp), removed with
// its contents when the object goes out of scope. MLB_KEEP_TEMP=1 keeps it
// for post-mortems. Header-only, gtest and the standard library only (the
// simulator's tests link no part of marathon-lb).
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

namespace mlb::testing {

class TempDir {
 public:
  // "<::testing::TempDir()><prefix>XXXXXX"; throws std::runtime_error if it
  // cannot be made.
  explicit TempDir(const std::string& prefix = "mlb-test-") {
    std::string pattern = ::testing::TempDir() + prefix + "XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp " + pattern + ": " +
                               std::strerror(errno));
    }
    path_ = pattern;
  }
  ~TempDir() {
    const char* keep = std::getenv("MLB_KEEP_TEMP");
    if (keep == nullptr || std::string(keep) != "1") {
      std::error_code ignored;
      std::filesystem::remove_all(path_, ignored);
    }
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // `name` in the directory.
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace mlb::testing
