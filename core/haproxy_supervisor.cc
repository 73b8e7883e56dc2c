#include "core/haproxy_supervisor.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/process.h"
#include "core/unified_diff.h"

namespace mlb {
namespace {

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// One exact-size read: a stringstream would hold the (multi-megabyte) live
// config twice, plus the growth of its buffer.
std::string ReadFileOrEmpty(const std::string& path) {
  std::string out;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return out;
  }
  struct stat st;
  if (fstat(fd, &st) == 0 && st.st_size > 0) {
    out.resize(static_cast<size_t>(st.st_size));
  }
  size_t size = 0;
  while (true) {
    if (size == out.size()) {
      // The file grew (or is not a regular file): read on in steps.
      out.resize(out.size() + 65536);
    }
    const ssize_t n = read(fd, out.data() + size, out.size() - size);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    size += static_cast<size_t>(n);
  }
  close(fd);
  out.resize(size);
  return out;
}

// Writes `text` to a new temp file beside `target`, with `target`'s mode.
Status WriteTempBeside(const std::string& target, const std::string& text,
                       std::string* temp_path) {
  const size_t slash = target.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : target.substr(0, slash);
  const std::string base =
      slash == std::string::npos ? target : target.substr(slash + 1);
  std::string pattern = dir + "/." + base + ".new.XXXXXX";
  const int fd = mkstemp(pattern.data());
  if (fd < 0) {
    return Status::Error("cannot create a temp file in " + dir,
                         std::strerror(errno));
  }
  struct stat st;
  const mode_t mode = stat(target.c_str(), &st) == 0 ? (st.st_mode & 07777)
                                                     : 0644;
  size_t written = 0;
  bool ok = fchmod(fd, mode) == 0;
  while (ok && written < text.size()) {
    const ssize_t n = write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    ok = n > 0;
    written += ok ? static_cast<size_t>(n) : 0;
  }
  ok = ok && fsync(fd) == 0;
  const int saved_errno = errno;
  close(fd);
  if (!ok) {
    unlink(pattern.c_str());
    return Status::Error("cannot write " + pattern, std::strerror(saved_errno));
  }
  *temp_path = pattern;
  return Status::OK();
}

// The file to replace: the config path, or what it links to (an operator
// may keep haproxy.cfg as a symlink into a volume; the link must survive).
std::string ResolveTarget(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) {
    return path;
  }
  char* real = realpath(path.c_str(), nullptr);
  if (real == nullptr) {
    return path;
  }
  std::string out = real;
  free(real);
  return out;
}

// fsync(2) on the directory, so the rename itself survives a crash.
void SyncDirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

}  // namespace

Status HaproxySupervisor::Apply(const std::string& text, ApplyReport* report) {
  *report = ApplyReport();
  const std::string target = ResolveTarget(options_.config_path);
  const std::string live = ReadFileOrEmpty(target);
  if (live == text) {
    report->outcome = ApplyReport::Outcome::kUnchanged;
    return Status::OK();
  }
  report->diff = UnifiedDiff(live, text, target, target + " (new)");
  if (options_.dry_run) {
    report->outcome = ApplyReport::Outcome::kDryRun;
    return Status::OK();
  }
  std::string temp;
  MLB_RETURN_IF_ERROR(WriteTempBeside(target, text, &temp));
  if (!options_.skip_validation) {
    CommandResult check;
    Status s = RunCommand({options_.haproxy_binary, "-c", "-f", temp}, &check);
    report->validation_output = check.output;
    if (!s.ok() || check.exit_code != 0) {
      report->outcome = ApplyReport::Outcome::kRejected;
      report->rejected_path = target + ".rejected";
      if (rename(temp.c_str(), report->rejected_path.c_str()) != 0) {
        report->rejected_path = temp;
      }
      if (!s.ok()) {
        return s.WithContext("cannot run " + options_.haproxy_binary);
      }
      return Status::Error("haproxy -c rejected the new config, kept in " +
                           report->rejected_path +
                           "; the live config is unchanged");
    }
  }
  if (rename(temp.c_str(), target.c_str()) != 0) {
    const int saved_errno = errno;
    unlink(temp.c_str());
    return Status::Error("cannot replace " + target, std::strerror(saved_errno));
  }
  SyncDirectoryOf(target);
  report->outcome = ApplyReport::Outcome::kApplied;
  if (options_.reload) {
    Status s = options_.reload();
    report->reloaded = s.ok();
    report->reload_error = s.ok() ? "" : s.message();
    return Status::OK();
  }
  if (options_.reload_command.empty()) {
    return Status::OK();
  }
  CommandResult reload;
  Status s = RunCommand(options_.reload_command, &reload);
  if (!s.ok()) {
    report->reload_error = s.message();
  } else if (reload.exit_code != 0) {
    report->reload_error = "reload command `" +
                           JoinCommandLine(options_.reload_command) +
                           "` exited with " + std::to_string(reload.exit_code) +
                           ": " + reload.output;
  } else {
    report->reloaded = true;
  }
  return Status::OK();
}

std::vector<std::string> DetectReloadCommand() {
  if (Exists("/etc/init/haproxy.conf")) {
    return {"reload", "haproxy"};
  }
  for (const char* dir :
       {"/usr/lib/systemd/system", "/lib/systemd/system", "/etc/systemd/system"}) {
    if (Exists(std::string(dir) + "/haproxy.service")) {
      return {"systemctl", "reload", "haproxy"};
    }
  }
  if (Exists("/etc/init.d/haproxy")) {
    return {"/etc/init.d/haproxy", "reload"};
  }
  return {};
}

}  // namespace mlb
