#include "core/process.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mlb {

Status RunCommand(const std::vector<std::string>& argv, CommandResult* result) {
  *result = CommandResult();
  if (argv.empty()) {
    return Status::Error("empty command");
  }
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return Status::Error("pipe", std::strerror(errno));
  }
  std::vector<char*> args;
  for (const std::string& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return Status::Error("fork", std::strerror(errno));
  }
  if (pid == 0) {
    // Child: stdout and stderr into the pipe, stdin from /dev/null, nothing
    // else inherited.
    const int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    const long max_fd = sysconf(_SC_OPEN_MAX);
    for (int fd = 3; fd < max_fd && fd < 65536; ++fd) {
      close(fd);
    }
    execvp(args[0], args.data());
    const std::string msg =
        "cannot run " + argv[0] + ": " + std::strerror(errno) + "\n";
    ssize_t ignored = write(2, msg.data(), msg.size());
    (void)ignored;
    _exit(127);
  }
  close(fds[1]);
  char buf[4096];
  while (true) {
    const ssize_t n = read(fds[0], buf, sizeof(buf));
    if (n > 0) {
      result->output.append(buf, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return Status::Error("waitpid", std::strerror(errno));
    }
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
