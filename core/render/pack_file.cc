#include "core/render/pack_file.h"

#include "core/base/files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace mlb {
namespace {


Status CannotRead(const std::string& what) {
  return Status::Error((what.empty() ? "" : what + " ") + "cannot be read: " +
                       std::strerror(errno));
}

// Resolves every symlink of `path` (realpath), or fails naming the error.
Status Resolve(const std::string& path, std::string* real) {
  char* resolved = realpath(path.c_str(), nullptr);
  if (resolved == nullptr) {
    return CannotRead("");
  }
  *real = resolved;
  std::free(resolved);
  return Status::OK();
}

// Walks `path` as the kernel does and judges every symlink met on the way
// (in the path itself or in a link's target): its owner must be root or
// marathon-lb's effective user. A symlink is a directory entry like any
// other, and whoever owns it chooses where the path leads, even in a sticky
// directory such as /tmp (the kernel's protected_symlinks, ssh's
// StrictModes). Called after Resolve, so loops and missing entries have
// been reported already; `..` is taken on the resolved prefix, as the kernel
// does.
Status CheckSymlinkOwners(const std::string& path) {
  const uid_t euid = geteuid();
  std::string done;  // the resolved prefix so far, "" = "/"
  if (path.empty() || path[0] != '/') {
    char* cwd = getcwd(nullptr, 0);
    if (cwd == nullptr) {
      return CannotRead("");
    }
    done = cwd;
    std::free(cwd);
    if (done == "/") {
      done.clear();
    }
  }
  std::vector<std::string> todo;  // components left, last one first
  auto push_front = [&todo](const std::string& text) {
    std::vector<std::string> parts;
    for (size_t from = 0; from <= text.size();) {
      size_t slash = text.find('/', from);
      if (slash == std::string::npos) {
        slash = text.size();
      }
      parts.push_back(text.substr(from, slash - from));
      from = slash + 1;
    }
    todo.insert(todo.end(), parts.rbegin(), parts.rend());
  };
  push_front(path);
  int links = 0;
  while (!todo.empty()) {
    const std::string part = std::move(todo.back());
    todo.pop_back();
    if (part.empty() || part == ".") {
      continue;
    }
    if (part == "..") {
      done = done.substr(0, done.empty() ? 0 : done.rfind('/'));
      continue;
    }
    const std::string next = done + "/" + part;
    struct stat st;
    if (lstat(next.c_str(), &st) != 0) {
      return CannotRead("");
    }
    if (!S_ISLNK(st.st_mode)) {
      done = next;
      continue;
    }
    if (st.st_uid != 0 && st.st_uid != euid) {
      return Status::Error("symlink " + next + " is owned by uid " +
                           std::to_string(st.st_uid) +
                           ", not by root or marathon-lb's user (uid " +
                           std::to_string(euid) + ")");
    }
    if (++links > 40) {  // the kernel's limit; Resolve found no loop
      errno = ELOOP;
      return CannotRead("");
    }
    std::vector<char> target(static_cast<size_t>(st.st_size) + 2);
    const ssize_t n = readlink(next.c_str(), target.data(), target.size());
    if (n < 0) {
      return CannotRead("");
    }
    const std::string text(target.data(), static_cast<size_t>(n));
    if (!text.empty() && text[0] == '/') {
      done.clear();
    }
    push_front(text);
  }
  return Status::OK();
}

// Checks `real_dir` (absolute, no symlinks) and every directory above it,
// from / down. `name_last`: name `real_dir` in the message too (it holds a
// pack); the plugin directory itself is named by the caller.
Status CheckDirectoryChain(const std::string& real_dir, bool name_last) {
  const uid_t euid = geteuid();
  size_t end = 0;
  while (true) {
    // "/", "/a", "/a/b", ..., real_dir.
    const std::string dir = end == 0 ? "/" : real_dir.substr(0, end);
    const bool last = end == real_dir.size() || real_dir == "/";
    const std::string what = last && !name_last ? "" : "directory " + dir;
    struct stat st;
    if (lstat(dir.c_str(), &st) != 0) {
      return CannotRead(what);
    }
    MLB_RETURN_IF_ERROR(CheckOwnerAndMode(st, euid, what, !last));
    if (last) {
      return Status::OK();
    }
    end = real_dir.find('/', end + 1);
    if (end == std::string::npos) {
      end = real_dir.size();
    }
  }
}

}  // namespace

Status CheckOwnerAndMode(const struct stat& st, uid_t euid,
                         const std::string& what, bool above) {
  const std::string subject = what.empty() ? "" : what + " is ";
  if (st.st_uid != 0 && st.st_uid != euid) {
    return Status::Error(subject + "owned by uid " +
                         std::to_string(st.st_uid) +
                         ", not by root or marathon-lb's user (uid " +
                         std::to_string(euid) + ")");
  }
  // In a sticky directory only an entry's owner (or the directory's, or
  // root) may rename or remove it, so others writing there cannot replace
  // the plugin directory below it.
  const bool sticky_above =
      above && S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX) != 0;
  if ((st.st_mode & S_IWOTH) != 0 && !sticky_above) {
    return Status::Error(subject + "writable by other users (mode " +
                         ModeText(st.st_mode) + ")");
  }
  if ((st.st_mode & S_IWGRP) != 0 && !sticky_above) {
    return Status::Error(subject + "writable by its group (mode " +
                         ModeText(st.st_mode) + ")");
  }
  return Status::OK();
}

Status CheckPluginDirectory(const std::string& dir) {
  std::string real;
  MLB_RETURN_IF_ERROR(Resolve(dir, &real));
  MLB_RETURN_IF_ERROR(CheckSymlinkOwners(dir));
  return CheckDirectoryChain(real, false);
}

Status CheckPackFile(const std::string& path, std::string* real_path) {
  std::string real;
  MLB_RETURN_IF_ERROR(Resolve(path, &real));
  MLB_RETURN_IF_ERROR(CheckSymlinkOwners(path));
  const size_t slash = real.rfind('/');
  MLB_RETURN_IF_ERROR(
      CheckDirectoryChain(slash == 0 ? "/" : real.substr(0, slash), true));
  // lstat first: opening a FIFO would block and opening a device may act.
  struct stat st;
  if (lstat(real.c_str(), &st) != 0) {
    return CannotRead("");
  }
  if (!S_ISREG(st.st_mode)) {
    return Status::Error("not a regular file (" + KindText(st.st_mode) + ")");
  }
  // The owner and mode are read from the opened file. O_NONBLOCK and
  // O_NOFOLLOW in case the file was replaced since lstat.
  const int fd =
      open(real.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    return CannotRead("");
  }
  const int rc = fstat(fd, &st);
  const int fstat_errno = errno;
  close(fd);
  if (rc != 0) {
    errno = fstat_errno;
    return CannotRead("");
  }
  if (!S_ISREG(st.st_mode)) {
    return Status::Error("not a regular file (" + KindText(st.st_mode) + ")");
  }
  MLB_RETURN_IF_ERROR(CheckOwnerAndMode(st, geteuid(), "", false));
  *real_path = real;
  return Status::OK();
}

}  // namespace mlb
