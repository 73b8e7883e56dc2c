#include "core/base/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

namespace mlb {
namespace {

// Moves `fd` to a number >= 3 (close-on-exec), so that dup2() onto 0-2 in the
// child can never be a no-op on the pipe itself.
int AboveStdio(int fd) {
  if (fd < 0 || fd >= 3) {
    return fd;
  }
  const int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  close(fd);
  return moved;
}

void CloseIfOpen(int fd) {
  if (fd >= 0) {
    close(fd);
  }
}

// The child's side of Spawn(), between clone() and exec: async-signal-safe
// calls only, on what the parent prepared (it shares the parent's memory).
[[noreturn]] void ExecChild(const std::vector<char*>& args,
                            const std::string& exec_error, int output_fd,
                            const SpawnOptions& options, pid_t parent) {
  if (options.new_process_group) {
    setpgid(0, 0);
  }
  if (options.terminate_with_parent) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) {
      _exit(1);
    }
  }
  // Ignored signals and the signal mask survive exec: default actions first,
  // then nothing blocked, so that nothing pending meets a copied handler.
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  sigemptyset(&default_action.sa_mask);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) {
      sigaction(sig, &default_action, nullptr);
    }
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);

  const int devnull = open("/dev/null", O_RDONLY);
  if (devnull >= 0) {
    dup2(devnull, 0);
  }
  if (output_fd >= 0) {
    dup2(output_fd, 1);
    dup2(output_fd, 2);
  }
  close_range(3, ~0U, 0);
  execvp(args[0], args.data());
  const char* reason = strerrordesc_np(errno);
  ssize_t ignored = write(2, exec_error.data(), exec_error.size());
  if (reason != nullptr) {
    ignored = write(2, reason, std::strlen(reason));
  }
  ignored = write(2, "\n", 1);
  (void)ignored;
  _exit(127);
}

// What the child of Spawn() runs with, on a stack of its own.
struct ChildArgs {
  const std::vector<char*>* args;
  const std::string* exec_error;
  int output_fd;
  const SpawnOptions* options;
  pid_t parent;
};

int ChildMain(void* arg) {
  const ChildArgs& a = *static_cast<const ChildArgs*>(arg);
  ExecChild(*a.args, *a.exec_error, a.output_fd, *a.options, a.parent);
}

// The child's stack: execvp needs a few pages (the paths it tries).
constexpr size_t kChildStack = 256 * 1024;

void ReadAvailable(int fd, std::string* out) {
  char buf[4096];
  while (true) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n > 0) {
      out->append(buf, static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return;  // EOF, or EAGAIN: nothing more for now
    }
  }
}

}  // namespace

Status Spawn(const std::vector<std::string>& argv, const SpawnOptions& options,
             SpawnedProcess* out) {
  *out = SpawnedProcess();
  if (argv.empty()) {
    return Status::Error("empty command");
  }
  // Everything the child needs is prepared before clone(): after it, only
  // async-signal-safe calls.
  std::vector<char*> args;
  for (const std::string& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  const std::string exec_error = "cannot run " + argv[0] + ": ";
  const pid_t parent = getpid();

  int fds[2] = {-1, -1};
  if (options.capture_output) {
    if (pipe2(fds, O_CLOEXEC) != 0) {
      return Status::Error("pipe", std::strerror(errno));
    }
    fds[0] = AboveStdio(fds[0]);
    fds[1] = AboveStdio(fds[1]);
    if (fds[0] < 0 || fds[1] < 0 || fcntl(fds[0], F_SETFL, O_NONBLOCK) != 0) {
      const int error = errno;
      CloseIfOpen(fds[0]);
      CloseIfOpen(fds[1]);
      return Status::Error("pipe", std::strerror(error));
    }
  }
  // The child shares our memory until it execs, and we wait for that
  // (CLONE_VFORK): unlike fork(), nothing of a large process is copied, and
  // its pages do not become copy-on-write (each write to one after the
  // fork a page fault). It runs on a stack of its own, with every signal
  // blocked until ExecChild has reset their actions (no handler of ours
  // may run in it).
  void* stack = mmap(nullptr, kChildStack, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) {
    const int error = errno;
    CloseIfOpen(fds[0]);
    CloseIfOpen(fds[1]);
    return Status::Error("fork", std::strerror(error));
  }
  sigset_t all;
  sigset_t old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  ChildArgs child{&args, &exec_error, fds[1], &options, parent};
  const pid_t pid = clone(ChildMain, static_cast<char*>(stack) + kChildStack,
                          CLONE_VM | CLONE_VFORK | SIGCHLD, &child);
  const int clone_error = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  munmap(stack, kChildStack);
  if (pid < 0) {
    CloseIfOpen(fds[0]);
    CloseIfOpen(fds[1]);
    return Status::Error("fork", std::strerror(clone_error));
  }
  if (options.new_process_group) {
    setpgid(pid, pid);
  }
  CloseIfOpen(fds[1]);
  out->pid = pid;
  out->output_fd = fds[0];
  return Status::OK();
}

Status RunCommand(const std::vector<std::string>& argv, CommandResult* result,
                  int timeout_ms) {
  *result = CommandResult();
  SpawnedProcess child;
  MLB_RETURN_IF_ERROR(Spawn(argv, SpawnOptions(), &child));
  const pid_t pid = child.pid;
  const int fd = child.output_fd;

  // Read until the command itself exits. Something it started in the
  // background may keep the pipe open; we do not wait for that.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  int status = 0;
  bool timed_out = false;
  while (true) {
    pollfd p{fd, POLLIN, 0};
    poll(&p, 1, 50);
    ReadAvailable(fd, &result->output);
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      break;
    }
    if (done < 0 && errno != EINTR) {
      close(fd);
      return Status::Error("waitpid", std::strerror(errno));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      timed_out = true;
      break;
    }
  }
  ReadAvailable(fd, &result->output);
  close(fd);
  if (timed_out) {
    return Status::Error("command `" + JoinCommandLine(argv) + "`",
                         "killed after " + std::to_string(timeout_ms / 1000) +
                             " s without finishing");
  }
  result->exit_code = WIFEXITED(status) ? WEXITSTATUS(status)
                                        : 128 + WTERMSIG(status);
  return Status::OK();
}

Status SplitCommandLine(const std::string& line, std::vector<std::string>* out) {
  out->clear();
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) {
        out->push_back(word);
        word.clear();
        in_word = false;
      }
    } else if (c == '\'') {
      const size_t end = line.find('\'', i + 1);
      if (end == std::string::npos) {
        return Status::Error("command " + line, "unterminated single quote");
      }
      word += line.substr(i + 1, end - i - 1);
      i = end;
      in_word = true;
    } else if (c == '"') {
      size_t j = i + 1;
      for (; j < line.size() && line[j] != '"'; ++j) {
        if (line[j] == '\\' && j + 1 < line.size() &&
            std::strchr("\"\\$`", line[j + 1]) != nullptr) {
          ++j;
        }
        word.push_back(line[j]);
      }
      if (j >= line.size()) {
        return Status::Error("command " + line, "unterminated double quote");
      }
      i = j;
      in_word = true;
    } else if (c == '\\' && i + 1 < line.size()) {
      word.push_back(line[++i]);
      in_word = true;
    } else {
      word.push_back(c);
      in_word = true;
    }
  }
  if (in_word) {
    out->push_back(word);
  }
  return Status::OK();
}

namespace {

// A regular file (or a link to one) that this process may execute.
bool IsExecutableFile(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         access(path.c_str(), X_OK) == 0;
}

}  // namespace

Status FindExecutable(const std::string& name,
                      const std::vector<std::string>& fallbacks,
                      std::string* path) {
  if (name.find('/') != std::string::npos) {
    if (access(name.c_str(), F_OK) != 0) {
      return Status::Error(name + " not found");
    }
    if (!IsExecutableFile(name)) {
      return Status::Error(name, "not an executable file");
    }
    *path = name;
    return Status::OK();
  }
  const char* env = std::getenv("PATH");
  const std::string search = env != nullptr ? env : "";
  size_t start = 0;
  while (!name.empty() && start <= search.size()) {
    size_t end = search.find(':', start);
    if (end == std::string::npos) {
      end = search.size();
    }
    // An empty entry is the current directory, as for execvp.
    const std::string dir =
        end == start ? "." : search.substr(start, end - start);
    if (!search.empty() && IsExecutableFile(dir + "/" + name)) {
      *path = dir + "/" + name;
      return Status::OK();
    }
    start = end + 1;
  }
  std::string tried;
  for (const std::string& fallback : fallbacks) {
    if (IsExecutableFile(fallback)) {
      *path = fallback;
      return Status::OK();
    }
    tried += (tried.empty() ? " nor at " : " or ") + fallback;
  }
  return Status::Error(name + " not found in PATH (" + search + ")" + tried);
}

std::string JoinCommandLine(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& a : argv) {
    if (!out.empty()) {
      out += ' ';
    }
    if (!a.empty() && a.find_first_of(" \t\n'\"\\$`") == std::string::npos) {
      out += a;
    } else {
      std::string quoted = "'";
      for (char c : a) {
        quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
      }
      out += quoted + "'";
    }
  }
  return out;
}

}  // namespace mlb
