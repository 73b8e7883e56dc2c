// The certificates of the :443 frontend and of certificate labels, as
// marathon-lb's Docker `run` script prepared them, done in C++:
//
//   * HAPROXY_SSL_CERT (PEM text, backslash escapes interpreted as by bash's
//     `echo -e`) is written to the default certificate path (mode 0600,
//     atomically), HAPROXY_SSL_CERT0 ... HAPROXY_SSL_CERT100 to cert<i>.pem
//     beside it; both are appended to the frontend's certificate list.
//   * Neither HAPROXY_SSL_CERT nor --ssl-certs: the default path is used, and
//     if no file is there a self-signed certificate is generated into it
//     (2048-bit RSA, CN *, 3650 days; certificate and key in one PEM).
//
// Every certificate file marathon-lb names in a config can be checked
// before HAProxy sees it (CheckCertificateFile): a missing or unusable file
// is an error naming the file rather than a config HAProxy refuses.
#pragma once

#include <sys/types.h>

#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace mlb {

// Where marathon-lb's Docker image kept the default certificate.
inline constexpr char kDefaultCertificatePath[] = "/etc/ssl/cert.pem";

// The environment's certificates (only the non-empty variables, as `run`).
struct EnvironmentCertificates {
  std::optional<std::string> main;      // HAPROXY_SSL_CERT
  std::map<int, std::string> numbered;  // HAPROXY_SSL_CERT0 ... 100
};

// Reads HAPROXY_SSL_CERT and HAPROXY_SSL_CERT0 ... HAPROXY_SSL_CERT100.
EnvironmentCertificates ReadEnvironmentCertificates();

struct FrontendCertificateOptions {
  std::string ssl_certs;  // --ssl-certs, comma-separated; empty: not given
  std::string default_path = kDefaultCertificatePath;  // --default-ssl-cert
  // false (--dry): decide the list but write and generate nothing.
  bool write = true;
};

struct FrontendCertificate {
  std::string path;
  // Where it came from, for error messages: "--ssl-certs",
  // "HAPROXY_SSL_CERT", "HAPROXY_SSL_CERT7" or "--default-ssl-cert".
  std::string source;
  // Would have been written or generated, but `write` was false.
  bool pending = false;
};

struct FrontendCertificates {
  std::vector<FrontendCertificate> certs;  // in `crt` order; never empty
  std::vector<std::string> notes;          // what was written, for the log
};

// Decides the :443 certificate list and writes the files it implies:
//   --ssl-certs given: its entries, then (if HAPROXY_SSL_CERT is set) the
//     default path and the numbered files;
//   otherwise: the default path, then the numbered files.
// The numbered files are only used when HAPROXY_SSL_CERT is set (as `run`).
// Fails, naming the file, when a file cannot be written or generated; the
// files are not checked here (see CheckCertificateFile).
Status PrepareFrontendCertificates(const FrontendCertificateOptions& options,
                                   const EnvironmentCertificates& env,
                                   FrontendCertificates* out);

// What bash's `echo -e TEXT` prints: TEXT with \n, \t, \\, \0nnn, \xHH,
// \uHHHH, ... replaced, and a final newline (none after \c, which also drops
// the rest). Unknown escapes stay as they are.
std::string ExpandEchoEscapes(std::string_view text);

// Writes `text` to a temp file beside `path` (mode 0600), fsyncs it and
// renames it over `path`.
Status WritePrivateFile(const std::string& path, const std::string& text);

// Generates a self-signed certificate for `common_name` (2048-bit RSA,
// SHA-256, valid from now for `days`) and writes it as WritePrivateFile does:
// the certificate, then the private key, in one PEM file.
Status GenerateSelfSignedCertificate(const std::string& path,
                                     const std::string& common_name,
                                     int days = 3650);

// Whether HAProxy can load `path` as a `crt`: a regular PEM file (at most
// 1 MiB) holding a certificate and its private key (the key may be in
// `path`.key instead, which HAProxy also reads), or a directory whose
// regular files (but the .key, .ocsp, .issuer and .sctl ones) all are, and
// are at least one. A FIFO or a device is refused without being opened.
// Errors read
//   "certificate /x.pem: cannot read: No such file or directory".
Status CheckCertificateFile(const std::string& path);

// CheckCertificateFile with a memory: a file that is unchanged since its last
// check (same inode, size, mtime and ctime; and still readable) is not parsed
// again. Not thread-safe.
class CertificateChecker {
 public:
  Status Check(const std::string& path);

 private:
  struct Entry {
    dev_t device;
    ino_t inode;
    off_t size;
    timespec mtime;
    timespec ctime;
    Status status;
  };
  std::map<std::string, Entry> checked_;
};

}  // namespace mlb
