// Whether a template pack file may be loaded. dlopen runs a pack's static
// initialisers before marathon-lb can look at its descriptor, so the file is
// judged by where it lies and who may write it, the way ssh (StrictModes)
// judges authorized_keys and sudo judges sudoers, before any of its code
// runs:
//   - the file, after following symlinks, is a regular file (not a FIFO,
//     which would block start-up, a device or a directory named *.so);
//   - the file and every directory from / down to it are owned by root or by
//     marathon-lb's effective user, and writable by no one else: neither
//     group- nor world-writable. A directory above the plugin directory may
//     be world-writable if it is sticky (/tmp): there no one else can rename
//     or remove what we own.
// A symlink is followed and judged by its target and the target's
// directories, and every symlink met on the way must itself be owned by root
// or marathon-lb's effective user (whoever owns a link chooses where it
// leads, even in a sticky /tmp). Once every directory of the path is writable only by root or
// by marathon-lb's user, no one else can swap the file between this check and
// dlopen, so the loader opens the checked path itself. (Not
// /proc/self/fd/N: glibc recognises an already loaded library by the name it
// was opened with, so a reused descriptor number returns an earlier pack.)
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <string>

#include "core/base/status.h"

namespace mlb {

// The owner and mode rule for one file or directory described by `st`
// (from lstat or fstat), for a process whose effective user is `euid`.
// `what` names it in the message ("" for the pack or plugin directory
// itself, "directory /opt" for one above it); `above` allows the sticky
// exception. Fails with e.g. "writable by other users (mode 0666)",
// "directory /opt is writable by its group (mode 0775)",
// "owned by uid 1000, not by root or marathon-lb's user (uid 0)".
Status CheckOwnerAndMode(const struct stat& st, uid_t euid,
                         const std::string& what, bool above);

// Checks the directory `dir` (symlinks resolved) and every directory above
// it. Fails with the reason, without the directory's name.
Status CheckPluginDirectory(const std::string& dir);

// Checks the pack at `path` as the header comment says, without blocking
// and without running any of its code. On success `*real_path` is the
// resolved path to load. Fails with the reason, without `path`:
//   "not a regular file (a FIFO)", "cannot be read: Permission denied",
//   "directory /opt/packs is writable by other users (mode 0777)", ...
Status CheckPackFile(const std::string& path, std::string* real_path);

}  // namespace mlb
