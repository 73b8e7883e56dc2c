// core/base/files: whole-file reads (limits, errors, files whose size stat
// does not give).
#include "core/base/files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <string>

namespace mlb {
namespace {

class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/files_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    ASSERT_EQ(std::system(("rm -rf " + dir_ + " && mkdir -p " + dir_).c_str()),
              0);
  }
  std::string File(const std::string& name) const { return dir_ + "/" + name; }
  static void Write(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  }

  std::string dir_;
};

TEST_F(FilesTest, ReadsTheWholeFileByteForByte) {
  std::string text;
  for (int i = 0; i < 200000; ++i) {
    text.push_back(static_cast<char>(i * 7));  // NULs included
  }
  Write(File("big"), text);
  std::string out = "old";
  ASSERT_TRUE(ReadWholeFile(File("big"), &out).ok());
  EXPECT_EQ(out, text);

  Write(File("empty"), "");
  ASSERT_TRUE(ReadWholeFile(File("empty"), &out).ok());
  EXPECT_EQ(out, "");
}

TEST_F(FilesTest, ReadsFilesWithoutASizeLikeProc) {
  std::string out;
  ASSERT_TRUE(ReadWholeFile("/proc/self/status", &out).ok());
  EXPECT_NE(out.find("\nSigBlk:"), std::string::npos) << out;
}

TEST_F(FilesTest, ErrorsAreTheReasonWithItsErrno) {
  std::string out = "old";
  int error = 0;
  Status s = ReadWholeFile(File("missing"), &out, kNoSizeLimit, &error);
  EXPECT_EQ(s.message(), "No such file or directory");
  EXPECT_EQ(error, ENOENT);
  EXPECT_EQ(out, "");
  s = ReadWholeFile(dir_, &out, kNoSizeLimit, &error);
  EXPECT_EQ(s.message(), "Is a directory");
  EXPECT_EQ(error, EISDIR);
}

TEST_F(FilesTest, SizeLimitCountsEveryByte) {
  Write(File("ten"), "0123456789");
  std::string out;
  int error = 0;
  ASSERT_TRUE(ReadWholeFile(File("ten"), &out, 10, &error).ok());
  EXPECT_EQ(out, "0123456789");
  EXPECT_EQ(error, 0);
  Status s = ReadWholeFile(File("ten"), &out, 9, &error);
  EXPECT_EQ(s.message(), "larger than 9 bytes");
  EXPECT_EQ(error, EFBIG);
  EXPECT_EQ(out, "");
  // A file stat(2) gives no size for is limited as it is read.
  s = ReadWholeFile("/proc/self/status", &out, 16, &error);
  EXPECT_EQ(s.message(), "larger than 16 bytes");
  EXPECT_EQ(error, EFBIG);
}

}  // namespace
}  // namespace mlb
