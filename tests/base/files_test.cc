// core/base/files: whole-file reads (limits, errors, files whose size stat
// does not give) and atomic replacement (modes, symbolic links, nothing left
// behind).
#include "core/base/files.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace mlb {
namespace {

class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/files_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    ASSERT_EQ(std::system(("rm -rf " + dir_ + " && mkdir -p " + dir_).c_str()),
              0);
    dir_ = std::filesystem::canonical(dir_).string();  // as realpath(3) says
  }
  std::string File(const std::string& name) const { return dir_ + "/" + name; }
  static void Write(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  }
  static std::string Read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream out;
    out << in.rdbuf();
    return out.str();
  }
  static mode_t ModeOf(const std::string& path) {
    struct stat st;
    return lstat(path.c_str(), &st) == 0 ? st.st_mode : 0;
  }
  // The names in the test's directory, sorted, dot files included.
  std::vector<std::string> Names() const {
    std::vector<std::string> out;
    DIR* dir = opendir(dir_.c_str());
    while (dirent* entry = readdir(dir)) {
      const std::string name = entry->d_name;
      if (name != "." && name != "..") {
        out.push_back(name);
      }
    }
    closedir(dir);
    std::sort(out.begin(), out.end());
    return out;
  }

  std::string dir_;
};

// LockFile: one holder at a time (another open file, as another process
// would have, is refused, naming the holder's pid), not inherited across
// exec, and free again once the holder closes it.
TEST_F(FilesTest, LockFileHasOneHolderAndNamesIt) {
  const std::string path = File("haproxy.cfg.lock");
  int first = -1;
  ASSERT_TRUE(LockFile(path, &first).ok());
  EXPECT_EQ(Read(path), std::to_string(getpid()) + "\n");
  EXPECT_NE(fcntl(first, F_GETFD) & FD_CLOEXEC, 0);
  int second = -1;
  const Status refused = LockFile(path, &second);
  EXPECT_EQ(refused.message(), path + " is locked by another process (pid " +
                                   std::to_string(getpid()) + ")");
  EXPECT_EQ(second, -1);
  close(first);
  ASSERT_TRUE(LockFile(path, &second).ok());
  close(second);
  EXPECT_EQ(LockFile(File("no/such/dir/x.lock"), &second).message(),
            "cannot lock " + File("no/such/dir/x.lock") +
                ": No such file or directory");
}

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

TEST_F(FilesTest, NewFileIs0644WhateverTheUmask) {
  const mode_t old_umask = umask(077);
  const Status s = WriteFileAtomically(File("new.cfg"), "text\n");
  umask(old_umask);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(Read(File("new.cfg")), "text\n");
  EXPECT_EQ(ModeOf(File("new.cfg")) & 07777, 0644u);
  EXPECT_EQ(Names(), std::vector<std::string>{"new.cfg"});
}

TEST_F(FilesTest, ReplacementKeepsTheModeUnlessOneIsGiven) {
  Write(File("kept"), "old");
  ASSERT_EQ(chmod(File("kept").c_str(), 0640), 0);
  ASSERT_TRUE(WriteFileAtomically(File("kept"), "new").ok());
  EXPECT_EQ(Read(File("kept")), "new");
  EXPECT_EQ(ModeOf(File("kept")) & 07777, 0640u);

  AtomicWriteOptions options;
  options.mode = 0600;
  ASSERT_TRUE(WriteFileAtomically(File("kept"), "private", options).ok());
  EXPECT_EQ(Read(File("kept")), "private");
  EXPECT_EQ(ModeOf(File("kept")) & 07777, 0600u);
  EXPECT_EQ(Names(), std::vector<std::string>{"kept"});
}

TEST_F(FilesTest, SymbolicLinkIsFollowedOrReplacedAsAsked) {
  ASSERT_EQ(mkdir(File("volume").c_str(), 0755), 0);
  Write(File("volume/real.cfg"), "old");
  ASSERT_EQ(chmod(File("volume/real.cfg").c_str(), 0604), 0);
  ASSERT_EQ(symlink("volume/real.cfg", File("link.cfg").c_str()), 0);
  EXPECT_EQ(FollowSymlink(File("link.cfg")), File("volume/real.cfg"));
  EXPECT_EQ(FollowSymlink(File("volume/real.cfg")), File("volume/real.cfg"));

  AtomicWriteOptions follow;
  follow.follow_symlink = true;
  ASSERT_TRUE(WriteFileAtomically(File("link.cfg"), "through", follow).ok());
  EXPECT_TRUE(S_ISLNK(ModeOf(File("link.cfg"))));
  EXPECT_EQ(Read(File("volume/real.cfg")), "through");
  EXPECT_EQ(ModeOf(File("volume/real.cfg")) & 07777, 0604u);

  // Not followed: the link itself becomes a file; what it named stays.
  ASSERT_TRUE(WriteFileAtomically(File("link.cfg"), "instead").ok());
  EXPECT_TRUE(S_ISREG(ModeOf(File("link.cfg"))));
  EXPECT_EQ(Read(File("link.cfg")), "instead");
  EXPECT_EQ(Read(File("volume/real.cfg")), "through");

  // A dangling link is not followed anywhere.
  ASSERT_EQ(symlink("nowhere", File("dangling").c_str()), 0);
  EXPECT_EQ(FollowSymlink(File("dangling")), File("dangling"));
}

TEST_F(FilesTest, TempFileWaitsBesideTheTargetUntilRenamedOver) {
  Write(File("haproxy.cfg"), "live");
  ASSERT_EQ(chmod(File("haproxy.cfg").c_str(), 0640), 0);
  std::string temp;
  ASSERT_TRUE(
      WriteTempFileBeside(File("haproxy.cfg"), "next", std::nullopt, &temp)
          .ok());
  EXPECT_EQ(temp.rfind(File(".haproxy.cfg.new."), 0), 0u) << temp;
  EXPECT_EQ(Read(temp), "next");
  EXPECT_EQ(ModeOf(temp) & 07777, 0640u);
  EXPECT_EQ(Read(File("haproxy.cfg")), "live");

  ASSERT_TRUE(RenameOver(temp, File("haproxy.cfg")).ok());
  EXPECT_EQ(Read(File("haproxy.cfg")), "next");
  EXPECT_EQ(Names(), std::vector<std::string>{"haproxy.cfg"});
}

TEST_F(FilesTest, FailuresNameTheTargetAndLeaveNothingBehind) {
  const std::string missing = File("missing-dir/cert.pem");
  EXPECT_EQ(WriteFileAtomically(missing, "x").message(),
            "cannot write " + missing + ": No such file or directory");

  std::string temp;
  ASSERT_TRUE(
      WriteTempFileBeside(File("a.cfg"), "x", mode_t{0600}, &temp).ok());
  EXPECT_EQ(RenameOver(temp, missing).message(),
            "cannot write " + missing + ": No such file or directory");
  EXPECT_TRUE(Names().empty());
}

}  // namespace
}  // namespace mlb
