#include "core/base/files.h"

#include <cstdio>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace mlb {
namespace {

constexpr size_t kReadStep = 65536;

std::string BaseNameOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

Status WriteError(const std::string& target, int error_number) {
  return Status::Error("cannot write " + target, std::strerror(error_number));
}

// Writes all of `data` to `fd`; false with errno set on a failure.
bool WriteAll(int fd, std::string_view data) {
  size_t written = 0;
  while (written < data.size()) {
    const ssize_t n = write(fd, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      if (n == 0) {
        errno = EIO;
      }
      return false;
    }
    written += static_cast<size_t>(n);
  }
  return true;
}

// read(2), again after EINTR.
ssize_t ReadSome(int fd, char* buffer, size_t size) {
  while (true) {
    const ssize_t n = read(fd, buffer, size);
    if (n >= 0 || errno != EINTR) {
      return n;
    }
  }
}

}  // namespace

// The directory part of `path`: "." for a bare name, "/" for "/name".
std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) {
    return ".";
  }
  return slash == 0 ? "/" : path.substr(0, slash);
}

namespace {

Status ReadFile(const std::string& path, std::string* out, uint64_t max_bytes,
                int* error_number, bool regular_only) {
  out->clear();
  int ignored_error = 0;
  int& error = error_number != nullptr ? *error_number : ignored_error;
  error = 0;
  // O_NONBLOCK: the open of a FIFO returns at once (to be refused below)
  // instead of waiting for a writer; a regular file ignores it.
  const int fd = open(path.c_str(),
                      O_RDONLY | O_CLOEXEC | (regular_only ? O_NONBLOCK : 0));
  if (fd < 0) {
    error = errno;
    return Status::Error(std::strerror(error));
  }
  const auto fail = [&](int error_value) {
    close(fd);
    out->clear();
    error = error_value;
    if (error_value == EFBIG) {
      return Status::Error("larger than " + std::to_string(max_bytes) +
                           " bytes");
    }
    return Status::Error(std::strerror(error_value));
  };
  // The size fstat(2) gives, read in place...
  struct stat st;
  const bool stated = fstat(fd, &st) == 0;
  if (regular_only && !(stated && S_ISREG(st.st_mode))) {
    close(fd);
    error = EINVAL;
    return Status::Error("not a regular file");
  }
  if (stated && S_ISREG(st.st_mode) && st.st_size > 0) {
    if (static_cast<uint64_t>(st.st_size) > max_bytes) {
      return fail(EFBIG);
    }
    out->resize(static_cast<size_t>(st.st_size));
  }
  size_t size = 0;
  while (size < out->size()) {
    const ssize_t n = ReadSome(fd, out->data() + size, out->size() - size);
    if (n < 0) {
      return fail(errno);
    }
    if (n == 0) {
      break;  // the file shrank
    }
    size += static_cast<size_t>(n);
  }
  out->resize(size);
  // ...then whatever follows: the file grew, or it is not a regular file.
  char buffer[kReadStep];
  while (true) {
    const ssize_t n = ReadSome(fd, buffer, sizeof(buffer));
    if (n < 0) {
      return fail(errno);
    }
    if (n == 0) {
      break;
    }
    if (static_cast<uint64_t>(n) > max_bytes - out->size()) {
      return fail(EFBIG);
    }
    out->append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return Status::OK();
}

}  // namespace

Status ReadWholeFile(const std::string& path, std::string* out,
                     uint64_t max_bytes, int* error_number) {
  return ReadFile(path, out, max_bytes, error_number, false);
}

Status ReadRegularFile(const std::string& path, std::string* out,
                       uint64_t max_bytes, int* error_number) {
  return ReadFile(path, out, max_bytes, error_number, true);
}

std::string ModeText(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof(text), "%04o",
                static_cast<unsigned>(mode & 07777));
  return text;
}

std::string KindText(mode_t mode) {
  if (S_ISFIFO(mode)) {
    return "a FIFO";
  }
  if (S_ISDIR(mode)) {
    return "a directory";
  }
  if (S_ISCHR(mode)) {
    return "a character device";
  }
  if (S_ISBLK(mode)) {
    return "a block device";
  }
  if (S_ISSOCK(mode)) {
    return "a socket";
  }
  return "file type " + ModeText(mode & S_IFMT);
}

std::string FollowSymlink(const std::string& path) {
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

Status WriteTempFileBeside(const std::string& target, std::string_view data,
                           std::optional<mode_t> mode, std::string* temp_path,
                           bool durable) {
  std::string temp =
      DirectoryOf(target) + "/." + BaseNameOf(target) + ".new.XXXXXX";
  const int fd = mkstemp(temp.data());  // mode 0600 until the fchmod
  if (fd < 0) {
    return WriteError(target, errno);
  }
  if (!mode.has_value()) {
    struct stat st;
    mode = stat(target.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0644;
  }
  bool ok = fchmod(fd, *mode) == 0 && WriteAll(fd, data) &&
            (!durable || fsync(fd) == 0);
  int error = errno;
  if (close(fd) != 0 && ok) {
    ok = false;
    error = errno;
  }
  if (!ok) {
    unlink(temp.c_str());
    return WriteError(target, error);
  }
  *temp_path = std::move(temp);
  return Status::OK();
}

Status RenameOver(const std::string& temp_path, const std::string& target,
                  bool durable) {
  if (rename(temp_path.c_str(), target.c_str()) != 0) {
    const int error = errno;
    unlink(temp_path.c_str());
    return WriteError(target, error);
  }
  if (!durable) {
    return Status::OK();
  }
  const int dir_fd =
      open(DirectoryOf(target).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    fsync(dir_fd);
    close(dir_fd);
  }
  return Status::OK();
}

Status WriteFileAtomically(const std::string& path, std::string_view data,
                           const AtomicWriteOptions& options) {
  const std::string target =
      options.follow_symlink ? FollowSymlink(path) : path;
  std::string temp;
  MLB_RETURN_IF_ERROR(WriteTempFileBeside(target, data, options.mode, &temp,
                                          options.durable));
  return RenameOver(temp, target, options.durable);
}

Status LockFile(const std::string& path, int* fd) {
  *fd = -1;
  const int lock = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock < 0) {
    return Status::Error("cannot lock " + path, std::strerror(errno));
  }
  if (flock(lock, LOCK_EX | LOCK_NB) != 0) {
    const int error_number = errno;
    char pid[32] = {};
    const ssize_t n = pread(lock, pid, sizeof(pid) - 1, 0);
    close(lock);
    if (error_number != EWOULDBLOCK) {
      return Status::Error("cannot lock " + path, std::strerror(error_number));
    }
    std::string holder;
    for (ssize_t i = 0; i < n && pid[i] >= '0' && pid[i] <= '9'; ++i) {
      holder.push_back(pid[i]);
    }
    return Status::Error(path + " is locked by another process" +
                         (holder.empty() ? "" : " (pid " + holder + ")"));
  }
  const std::string text = std::to_string(getpid()) + "\n";
  if (ftruncate(lock, 0) != 0 || !WriteAll(lock, text)) {
    const int error_number = errno;
    close(lock);
    return Status::Error("cannot lock " + path, std::strerror(error_number));
  }
  *fd = lock;
  return Status::OK();
}

}  // namespace mlb
