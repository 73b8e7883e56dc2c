// core/base/process: Spawn()'s child (output, exit code, a clean signal
// state, stdin and descriptors, process group, parent-death signal) and
// RunCommand() on top of it.
#include "core/base/process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace mlb {
namespace {

using Clock = std::chrono::steady_clock;

// Everything written to `fd` until EOF (at most 10 s); closes `fd`.
std::string ReadToEnd(int fd) {
  std::string out;
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    poll(&p, 1, 100);
    char buf[4096];
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      break;
    }
  }
  close(fd);
  return out;
}

// The wait status of `pid`, reaped (-1 if it did not end within 10 s, in
// which case it is killed).
int WaitFor(pid_t pid) {
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  int status = 0;
  while (Clock::now() < deadline) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

// The value of one "Name:\t..." line of /proc/<pid>/status text.
std::string StatusField(const std::string& status, const std::string& name) {
  const size_t at = status.find("\n" + name + ":\t");
  if (at == std::string::npos) {
    return "missing";
  }
  const size_t start = at + name.size() + 3;
  return status.substr(start, status.find('\n', start) - start);
}

// Blocks the controller's signals in this thread and ignores two others, as
// marathon-lb's process does; restores everything on destruction.
class ControllerSignals {
 public:
  ControllerSignals() {
    sigset_t block;
    sigemptyset(&block);
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGUSR1}) {
      sigaddset(&block, sig);
    }
    pthread_sigmask(SIG_BLOCK, &block, &old_mask_);
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ignore, &old_pipe_);
    sigaction(SIGUSR2, &ignore, &old_usr2_);
  }
  ~ControllerSignals() {
    sigaction(SIGUSR2, &old_usr2_, nullptr);
    sigaction(SIGPIPE, &old_pipe_, nullptr);
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  }

 private:
  sigset_t old_mask_;
  struct sigaction old_pipe_ {};
  struct sigaction old_usr2_ {};
};

TEST(SpawnTest, OutputAndExitCode) {
  SpawnedProcess child;
  ASSERT_TRUE(Spawn({"sh", "-c", "echo out; echo err >&2; exit 3"},
                    SpawnOptions(), &child)
                  .ok());
  ASSERT_GT(child.pid, 0);
  ASSERT_GE(child.output_fd, 3);
  EXPECT_NE(fcntl(child.output_fd, F_GETFD) & FD_CLOEXEC, 0);
  EXPECT_NE(fcntl(child.output_fd, F_GETFL) & O_NONBLOCK, 0);
  EXPECT_EQ(ReadToEnd(child.output_fd), "out\nerr\n");
  const int status = WaitFor(child.pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3);
}

TEST(SpawnTest, ChildHasNoBlockedAndNoIgnoredSignals) {
  ControllerSignals controller;
  SpawnedProcess child;
  ASSERT_TRUE(Spawn({"cat", "/proc/self/status"}, SpawnOptions(), &child).ok());
  const std::string status = ReadToEnd(child.output_fd);
  EXPECT_EQ(WaitFor(child.pid), 0);
  EXPECT_EQ(StatusField(status, "SigBlk"), "0000000000000000") << status;
  EXPECT_EQ(StatusField(status, "SigIgn"), "0000000000000000") << status;

  // This thread does block and ignore them: the child did not just inherit.
  std::ifstream in("/proc/thread-self/status");
  std::stringstream ours;
  ours << in.rdbuf();
  EXPECT_NE(StatusField(ours.str(), "SigBlk"), "0000000000000000");
  EXPECT_NE(StatusField(ours.str(), "SigIgn"), "0000000000000000");
}

TEST(SpawnTest, RunCommandChildHasNoBlockedSignalsEither) {
  ControllerSignals controller;
  CommandResult result;
  ASSERT_TRUE(
      RunCommand({"grep", "^SigBlk:", "/proc/self/status"}, &result).ok());
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.output, "SigBlk:\t0000000000000000\n");
}

TEST(SpawnTest, StdinIsDevNullAndNoOtherDescriptorIsInherited) {
  const int leaked = open("/dev/null", O_RDONLY);  // no O_CLOEXEC
  ASSERT_GE(leaked, 3);
  const std::string fd = std::to_string(leaked);
  SpawnedProcess child;
  const Status s =
      Spawn({"sh", "-c",
             "readlink /proc/$$/fd/0; test -e /proc/$$/fd/" + fd +
                 " && echo fd " + fd + " open || echo fd " + fd + " closed"},
            SpawnOptions(), &child);
  close(leaked);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(ReadToEnd(child.output_fd), "/dev/null\nfd " + fd + " closed\n");
  EXPECT_EQ(WaitFor(child.pid), 0);
}

TEST(SpawnTest, ProgramThatCannotRunExits127WithAMessage) {
  SpawnedProcess child;
  ASSERT_TRUE(
      Spawn({"/nonexistent/haproxy", "-v"}, SpawnOptions(), &child).ok());
  EXPECT_EQ(ReadToEnd(child.output_fd),
            "cannot run /nonexistent/haproxy: No such file or directory\n");
  const int status = WaitFor(child.pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 127);

  EXPECT_EQ(Spawn({}, SpawnOptions(), &child).message(), "empty command");
}

// $PATH for one test, put back when it ends.
class ScopedPath {
 public:
  explicit ScopedPath(const std::string& path) {
    const char* old = std::getenv("PATH");
    had_ = old != nullptr;
    old_ = had_ ? old : "";
    setenv("PATH", path.c_str(), 1);
  }
  ~ScopedPath() {
    if (had_) {
      setenv("PATH", old_.c_str(), 1);
    } else {
      unsetenv("PATH");
    }
  }

 private:
  bool had_ = false;
  std::string old_;
};

// A file with `mode`, in a fresh directory under `dir`.
void WriteProgram(const std::string& path, mode_t mode) {
  std::ofstream(path) << "#!/bin/sh\nexit 0\n";
  ASSERT_EQ(chmod(path.c_str(), mode), 0);
}

// --haproxy-binary's lookup (core/haproxy/haproxy_binary.h): PATH first,
// then the fallbacks; a path as it is; not found says where it looked.
TEST(FindExecutableTest, LooksInPathThenAtTheFallbacks) {
  std::string pattern = ::testing::TempDir() + "find_executable_XXXXXX";
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  const std::string dir = pattern;
  ASSERT_EQ(mkdir((dir + "/a").c_str(), 0755), 0);
  ASSERT_EQ(mkdir((dir + "/b").c_str(), 0755), 0);
  WriteProgram(dir + "/a/tool", 0644);  // not executable: skipped
  WriteProgram(dir + "/b/tool", 0755);
  WriteProgram(dir + "/fallback", 0755);
  std::string found;
  {
    ScopedPath path(dir + "/a:" + dir + "/b");
    ASSERT_TRUE(FindExecutable("tool", {dir + "/fallback"}, &found).ok());
    EXPECT_EQ(found, dir + "/b/tool");
  }
  {
    ScopedPath path(dir + "/a");
    ASSERT_TRUE(FindExecutable("tool", {dir + "/missing", dir + "/fallback"},
                               &found)
                    .ok());
    EXPECT_EQ(found, dir + "/fallback");
    EXPECT_EQ(FindExecutable("tool", {dir + "/missing", dir + "/a/tool"},
                             &found)
                  .message(),
              "tool not found in PATH (" + dir + "/a) nor at " + dir +
                  "/missing or " + dir + "/a/tool");
    EXPECT_EQ(FindExecutable("tool", {}, &found).message(),
              "tool not found in PATH (" + dir + "/a)");
  }
  ASSERT_TRUE(FindExecutable(dir + "/b/tool", {}, &found).ok());
  EXPECT_EQ(found, dir + "/b/tool");
  EXPECT_EQ(FindExecutable(dir + "/b/none", {dir + "/fallback"}, &found)
                .message(),
            dir + "/b/none not found");
  EXPECT_EQ(FindExecutable(dir + "/a/tool", {}, &found).message(),
            dir + "/a/tool: not an executable file");
  EXPECT_EQ(FindExecutable(dir + "/a", {}, &found).message(),
            dir + "/a: not an executable file");
  std::filesystem::remove_all(dir);
}

TEST(SpawnTest, NewProcessGroupIsInPlaceWhenSpawnReturns) {
  SpawnOptions options;
  options.new_process_group = true;
  options.capture_output = false;
  SpawnedProcess child;
  ASSERT_TRUE(Spawn({"sleep", "30"}, options, &child).ok());
  EXPECT_EQ(child.output_fd, -1);
  EXPECT_EQ(getpgid(child.pid), child.pid);
  EXPECT_EQ(kill(-child.pid, SIGKILL), 0);
  const int status = WaitFor(child.pid);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

TEST(SpawnTest, TerminateWithParentEndsTheChildWithTheSpawningThread) {
  SpawnOptions options;
  options.terminate_with_parent = true;
  options.capture_output = false;
  int ready[2];
  ASSERT_EQ(pipe2(ready, O_CLOEXEC), 0);
  SpawnedProcess child;
  Status spawned;
  std::thread spawner([&] {
    spawned = Spawn({"sleep", "30"}, options, &child);
    // The thread ends once the child has armed the signal (its exec closed
    // the pipe's other end).
    char c;
    close(ready[1]);
    while (spawned.ok() && read(ready[0], &c, 1) > 0) {
    }
  });
  spawner.join();
  close(ready[0]);
  ASSERT_TRUE(spawned.ok()) << spawned.message();
  const auto start = Clock::now();
  const int status = WaitFor(child.pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << status;
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace mlb
