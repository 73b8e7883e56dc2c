#include "core/base/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mlb {
namespace {

constexpr size_t kReadStep = 65536;

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

Status ReadWholeFile(const std::string& path, std::string* out,
                     uint64_t max_bytes, int* error_number) {
  out->clear();
  int ignored_error = 0;
  int& error = error_number != nullptr ? *error_number : ignored_error;
  error = 0;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
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
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
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

}  // namespace mlb
