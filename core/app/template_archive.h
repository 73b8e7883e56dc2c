// Templates from a tarball: --template-url URL [--template-sha256 HEX].
//
// FetchTemplateArchive downloads the archive (http://, https://, file://),
// checks the optional SHA-256 pin, and extracts it into a fresh private
// directory (mkdtemp, mode 0700) whose templates/ subdirectory then holds the
// HAPROXY_<NAME> files. The archive is untrusted input. Extraction is done
// entry by entry by this module (libarchive only reads): every file and
// directory is created with openat() relative to a directory descriptor,
// O_NOFOLLOW at every path component and O_EXCL for files, so nothing can be
// written outside the directory even if a check below had a hole.
//
// Refused, with one message "template archive <URL>: <what>" naming the entry
// where there is one:
//   - absolute names, ".." components, a path through a symbolic link;
//   - hard links (all of them), symbolic links whose target is absolute or
//     does not resolve inside the directory;
//   - devices, fifos, sockets;
//   - more than max_entries entries, more than max_extracted_bytes written
//     (counted as data is written, not taken from headers), a download over
//     max_download_bytes;
//   - a SHA-256 mismatch, bytes that are not a (compressed) tar archive, an
//     entry that appears twice, no templates/ directory.
// On refusal the partial directory is removed.
//
// Thread-safety: the functions share no state; call them from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/base/http_client.h"
#include "core/base/status.h"

namespace mlb {

struct TemplateArchiveLimits {
  uint64_t max_download_bytes = 16 << 20;
  uint64_t max_extracted_bytes = 64 << 20;  // all files together
  int max_entries = 1000;
  int max_redirects = 5;
  int timeout_ms = 30000;  // the whole download
};

struct TemplateArchiveOptions {
  std::string url;     // http://, https:// or file:///PATH
  std::string sha256;  // 64 hex digits (any case); empty: not pinned
  std::string ca_cert; // PEM bundle for https; empty: the system CAs
  std::string parent_dir;  // where the private dir goes; empty: $TMPDIR or /tmp
  TemplateArchiveLimits limits;
  // Once cancelled (SIGTERM), the download ends at once. Not owned; null:
  // none.
  HttpCancel* cancel = nullptr;
};

// A private directory holding one extracted archive; removed (with its
// contents) by the destructor.
class ExtractedArchive {
 public:
  explicit ExtractedArchive(std::string dir) : dir_(std::move(dir)) {}
  ~ExtractedArchive();
  ExtractedArchive(const ExtractedArchive&) = delete;
  ExtractedArchive& operator=(const ExtractedArchive&) = delete;

  const std::string& dir() const { return dir_; }
  std::string templates_dir() const { return dir_ + "/templates"; }

  // What was fetched, for the log: "N bytes, sha256 HEX, M entries".
  std::string summary;

 private:
  std::string dir_;
};
using ExtractedArchivePtr = std::unique_ptr<ExtractedArchive>;

// Download, pin check and extraction. On error *out is untouched and no
// directory is left behind.
Status FetchTemplateArchive(const TemplateArchiveOptions& options,
                            ExtractedArchivePtr* out);

// The steps, for tests. `url` only names the archive in messages.
Status DownloadArchive(const std::string& url, const std::string& ca_cert,
                       const TemplateArchiveLimits& limits, std::string* bytes,
                       HttpCancel* cancel = nullptr);
Status ExtractArchive(const std::string& url, const std::string& bytes,
                      const std::string& parent_dir,
                      const TemplateArchiveLimits& limits,
                      ExtractedArchivePtr* out);

// Lower-case hex SHA-256 of `bytes`.
std::string Sha256Hex(const std::string& bytes);

// Whether `text` is 64 hex digits.
bool IsSha256Hex(const std::string& text);

}  // namespace mlb
