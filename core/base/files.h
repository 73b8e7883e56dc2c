// Whole-file reads and atomic file replacement.
//
// A replacement is written to a temp file beside the target (same directory,
// so rename(2) is atomic), fsynced, renamed over the target, and the
// directory is fsynced so that the rename survives a crash. Readers see the
// old file or the new one, never a part of either.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/status.h"

namespace mlb {

inline constexpr uint64_t kNoSizeLimit = std::numeric_limits<uint64_t>::max();

// Reads the file at `path` whole into *out (one exact-size read when its size
// is known). Errors: the reason alone ("No such file or directory"), or
// "larger than N bytes" past `max_bytes`; *error_number (if not null) is set
// to the errno of the failed call, EFBIG past `max_bytes`. *out is empty
// after an error.
Status ReadWholeFile(const std::string& path, std::string* out,
                     uint64_t max_bytes = kNoSizeLimit,
                     int* error_number = nullptr);

// As ReadWholeFile, for a file someone else may have put there: anything
// but a regular file (after symbolic links) is refused, "not a regular
// file", and without waiting (a FIFO would block the reader until someone
// writes it; a device may never end).
Status ReadRegularFile(const std::string& path, std::string* out,
                       uint64_t max_bytes = kNoSizeLimit,
                       int* error_number = nullptr);

// A file's permission bits as ls shows them in octal: "0644".
std::string ModeText(mode_t mode);
// What a file that is not a regular one is, for a message: "a FIFO", "a
// directory", "a character device", ... ("file type 0140000" else).
std::string KindText(mode_t mode);

// The file to replace for `path`: what it links to when it is a symbolic link
// (so that the link survives the replacement), `path` itself otherwise or
// when the link does not resolve.
std::string FollowSymlink(const std::string& path);

// The directory part of `path`: "." for a bare name, "/" for "/name".
std::string DirectoryOf(const std::string& path);

// The first half of a replacement: `data` in a new temp file beside `target`
// (".<name>.new.XXXXXX" in the same directory), fsynced unless not
// `durable`, with permission bits `mode`, or when unset those of `target`
// (0644 when it does not exist). *temp_path names it. On error nothing is
// left behind.
// Error: "cannot write <target>: <reason>".
Status WriteTempFileBeside(const std::string& target, std::string_view data,
                           std::optional<mode_t> mode, std::string* temp_path,
                           bool durable = true);

// The second half: renames `temp_path` over `target` and fsyncs the
// directory unless not `durable`. On error `temp_path` is removed and
// `target` is as it was.
// Error: "cannot write <target>: <reason>".
Status RenameOver(const std::string& temp_path, const std::string& target,
                  bool durable = true);

struct AtomicWriteOptions {
  // Permission bits of the new file; unset: those of the file it replaces,
  // 0644 for a new file.
  std::optional<mode_t> mode;
  // When `path` is a symbolic link, replace the file it links to (the link
  // stays) instead of the link itself.
  bool follow_symlink = false;
  // Whether the new content must survive a crash of the machine: the file
  // and its directory are fsynced (some 15 ms for a config of 5 MB on this
  // class of machine). A copy kept for the record need not be.
  bool durable = true;
};

// Both halves: replaces the file at `path` with `data`.
// Error: "cannot write <path>: <reason>" (the file replaced is named).
Status WriteFileAtomically(const std::string& path, std::string_view data,
                           const AtomicWriteOptions& options = {});

// Takes an exclusive lock on `path` (created if missing, mode 0644), held
// while *fd stays open (close-on-exec: a child such as HAProxy does not keep
// it), and writes this process's pid into it. Fails at once when another
// process holds it:
//   "<path> is locked by another process (pid 1234)"
//   "cannot lock <path>: <reason>"
Status LockFile(const std::string& path, int* fd);

}  // namespace mlb
