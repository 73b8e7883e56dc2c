#include "core/app/template_archive.h"

#include <Poco/Exception.h>
#include <Poco/URI.h>
#include <archive.h>
#include <archive_entry.h>
#include <boost/dll/shared_library.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include "core/base/files.h"
#include "core/base/http_client.h"
#include "core/base/sha256.h"
#include "core/base/text.h"
#include "core/model/labels.h"

namespace mlb {
namespace {

namespace fs = std::filesystem;

// libarchive, opened when the first archive is extracted rather than by the
// dynamic loader at start-up: it and the ten libraries it needs (libxml2,
// ICU, lzma, zstd, ...) cost every start some 4 ms on this class of
// machine (docs/performance.md), and most runs have no --template-url. Its
// functions are those of <archive.h>, called through this table.
#define MLB_LIBARCHIVE_FUNCTIONS(X)                                         \
  X(archive_entry_filetype) X(archive_entry_hardlink)                       \
  X(archive_entry_pathname) X(archive_entry_size)                           \
  X(archive_entry_size_is_set) X(archive_entry_symlink)                     \
  X(archive_error_string) X(archive_read_data) X(archive_read_free)         \
  X(archive_read_new) X(archive_read_next_header)                           \
  X(archive_read_open_memory) X(archive_read_support_filter_bzip2)          \
  X(archive_read_support_filter_gzip) X(archive_read_support_filter_xz)     \
  X(archive_read_support_filter_zstd) X(archive_read_support_format_tar)

struct LibArchive {
#define MLB_DECLARE(name) decltype(&::name) name = nullptr;
  MLB_LIBARCHIVE_FUNCTIONS(MLB_DECLARE)
#undef MLB_DECLARE
};

// The soname of the libarchive the build's <archive.h> belongs to (3.x).
constexpr char kLibArchive[] = "libarchive.so.13";

// Loads it once; it stays loaded until the process ends (its functions
// are never called after a library they live in is gone).
// Error: "cannot load libarchive.so.13 (needed for --template-url): <why>".
Status LoadLibArchive(const LibArchive** out) {
  static std::once_flag once;
  static boost::dll::shared_library* library = nullptr;
  static LibArchive table;
  static std::string error;
  std::call_once(once, [] {
    boost::dll::fs::error_code ec;
    auto* loaded = new boost::dll::shared_library(
        kLibArchive, boost::dll::load_mode::search_system_folders |
                         boost::dll::load_mode::rtld_now |
                         boost::dll::load_mode::rtld_local,
        ec);
    if (ec) {
      error = ec.message();
      delete loaded;
      return;
    }
    try {
#define MLB_RESOLVE(name) \
  table.name = &loaded->get<std::remove_pointer_t<decltype(table.name)>>(#name);
      MLB_LIBARCHIVE_FUNCTIONS(MLB_RESOLVE)
#undef MLB_RESOLVE
    } catch (const std::exception& e) {
      error = e.what();
      delete loaded;
      return;
    }
    library = loaded;
  });
  if (library == nullptr) {
    return Status::Error(std::string("cannot load ") + kLibArchive +
                             " (needed for --template-url)",
                         error);
  }
  *out = &table;
  return Status::OK();
}

// An entry name (or link target) of the archive for one log line: its
// author chose it, so control characters (newline, ESC, ...) are shown as
// QuoteValue shows them (\n, \x1b) and so is every byte outside ASCII (a
// C1 control, or a bidi override that reorders what a reader sees, is
// \xNN too). QuoteValue doubles backslashes, so a name cannot imitate an
// escape.
std::string Quoted(const std::string& s) {
  std::string out;
  for (const char c : QuoteValue(s)) {
    const uint8_t byte = static_cast<uint8_t>(c);
    if (byte < 0x80) {
      out.push_back(c);
    } else {
      out += "\\x" + Hex(&byte, 1);
    }
  }
  return out;
}

// A file descriptor closed on scope exit.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) {
      close(fd_);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Fd& operator=(Fd&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// ---------------------------------------------------------------------------
// Download.

Status ReadLocalFile(const std::string& path, uint64_t cap,
                     std::string* bytes) {
  int error = 0;
  const Status read = ReadWholeFile(path, bytes, cap, &error);
  if (!read.ok() && error != EFBIG) {
    return Status::Error("cannot be read", read.message());
  }
  return read;
}

// Redirects stay on http(s) and never go from https to plain http; the
// timeout covers the whole download, redirects included.
Status HttpGet(const std::string& url, const std::string& ca_cert,
               const TemplateArchiveLimits& limits, HttpCancel* cancel,
               std::string* bytes) {
  HttpClientOptions options;
  options.cancel = cancel;
  options.max_redirects = limits.max_redirects;
  options.refuse_https_to_http = true;
  options.connect_timeout = std::chrono::milliseconds(limits.timeout_ms);
  options.read_timeout = options.connect_timeout;
  options.total_timeout = options.connect_timeout;
  options.max_body_bytes = limits.max_download_bytes;
  options.ca_file = ca_cert;
  HttpRequest request;
  request.url = url;
  HttpResponse response;
  MLB_RETURN_IF_ERROR(HttpClient(options).Fetch(request, bytes, &response));
  if (response.status != 200) {
    return Status::Error(response.StatusLine());
  }
  return Status::OK();
}

// ---------------------------------------------------------------------------
// Extraction.

// Splits an archive name into components, dropping "." and empty ones.
// Refuses absolute names and "..".
Status SplitName(const std::string& name, std::vector<std::string>* parts) {
  if (name.empty()) {
    return Status::Error("entry with an empty name");
  }
  if (name[0] == '/') {
    return Status::Error("entry " + Quoted(name) + ": absolute name");
  }
  parts->clear();
  size_t begin = 0;
  while (begin <= name.size()) {
    size_t end = name.find('/', begin);
    if (end == std::string::npos) {
      end = name.size();
    }
    const std::string part = name.substr(begin, end - begin);
    if (part == "..") {
      return Status::Error("entry " + Quoted(name) + ": '..' in the name");
    }
    if (!part.empty() && part != ".") {
      parts->push_back(part);
    }
    begin = end + 1;
  }
  return Status::OK();
}

std::string Join(const std::vector<std::string>& parts, size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i) {
    out += (i ? "/" : "") + parts[i];
  }
  return out;
}

// Whether symbolic link `target`, placed in directory `dir` (components
// below the root), stays inside the root when read lexically.
bool TargetStaysInside(std::vector<std::string> dir, const std::string& target) {
  size_t begin = 0;
  while (begin <= target.size()) {
    size_t end = target.find('/', begin);
    if (end == std::string::npos) {
      end = target.size();
    }
    const std::string part = target.substr(begin, end - begin);
    if (part == "..") {
      if (dir.empty()) {
        return false;
      }
      dir.pop_back();
    } else if (!part.empty() && part != ".") {
      dir.push_back(part);
    }
    begin = end + 1;
  }
  return true;
}

const char* TypeName(mode_t type) {
  switch (type) {
    case AE_IFCHR:
      return "character device";
    case AE_IFBLK:
      return "block device";
    case AE_IFIFO:
      return "fifo";
    case AE_IFSOCK:
      return "socket";
    default:
      return "entry of unknown type";
  }
}

// Writes the entries of one archive under a root directory descriptor.
class Extractor {
 public:
  Extractor(const LibArchive& la, int root_fd,
            const TemplateArchiveLimits& limits)
      : la_(la), root_fd_(root_fd), limits_(limits) {}

  Status Run(archive* reader) {
    archive_entry* entry = nullptr;
    while (true) {
      const int r = la_.archive_read_next_header(reader, &entry);
      if (r == ARCHIVE_EOF) {
        break;
      }
      if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
        if (entries_ == 0) {
          return Status::Error(
              "not a tar archive (plain, gzip, bzip2, xz or zstd): " +
              std::string(la_.archive_error_string(reader)));
        }
        return Status::Error("after entry " + Quoted(last_name_) + ": " +
                             la_.archive_error_string(reader));
      }
      if (++entries_ > limits_.max_entries) {
        return Status::Error("more than " + std::to_string(limits_.max_entries) +
                             " entries");
      }
      MLB_RETURN_IF_ERROR(Entry(reader, entry));
    }
    return Status::OK();
  }

  int entries() const { return entries_; }
  uint64_t bytes() const { return written_; }

 private:
  Status Entry(archive* reader, archive_entry* entry) {
    const char* raw = la_.archive_entry_pathname(entry);
    if (raw == nullptr) {
      return Status::Error("entry with an unreadable name after " +
                           Quoted(last_name_));
    }
    const std::string name = raw;
    last_name_ = name;
    const std::string subject = "entry " + Quoted(name);
    std::vector<std::string> parts;
    MLB_RETURN_IF_ERROR(SplitName(name, &parts));
    if (const char* target = la_.archive_entry_hardlink(entry)) {
      return Status::Error(subject, "hard link to " + Quoted(target) +
                                        " (hard links are refused)");
    }
    const mode_t type = la_.archive_entry_filetype(entry);
    if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) {
      return Status::Error(subject,
                           std::string(TypeName(type)) +
                               " (only files, directories and symbolic links "
                               "are extracted)");
    }
    if (parts.empty()) {
      if (type == AE_IFDIR) {
        return Status::OK();  // "./", the root itself
      }
      return Status::Error(subject, "names the archive root");
    }
    for (size_t i = 1; i < parts.size(); ++i) {
      if (symlinks_.count(Join(parts, i)) != 0) {
        return Status::Error(subject, "path goes through the symbolic link " +
                                          Quoted(Join(parts, i)));
      }
    }
    if (type == AE_IFLNK) {
      const char* target = la_.archive_entry_symlink(entry);
      const std::string t = target != nullptr ? target : "";
      if (t.empty()) {
        return Status::Error(subject, "symbolic link without a target");
      }
      if (t[0] == '/') {
        return Status::Error(subject,
                             "symbolic link to the absolute path " + Quoted(t));
      }
      if (!TargetStaysInside({parts.begin(), parts.end() - 1}, t)) {
        return Status::Error(subject, "symbolic link to " + Quoted(t) +
                                          " leads outside the archive");
      }
    }
    if (type == AE_IFREG && la_.archive_entry_size_is_set(entry) &&
        la_.archive_entry_size(entry) >= 0 &&
        static_cast<uint64_t>(la_.archive_entry_size(entry)) >
            limits_.max_extracted_bytes - written_) {
      return TooBig(subject);
    }

    Fd parent;
    MLB_RETURN_IF_ERROR(OpenParent(subject, parts, &parent));
    const char* leaf = parts.back().c_str();
    const int dir_fd = parent.get() >= 0 ? parent.get() : root_fd_;
    if (type == AE_IFDIR) {
      if (mkdirat(dir_fd, leaf, 0700) != 0) {
        struct stat st;
        if (errno != EEXIST || fstatat(dir_fd, leaf, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISDIR(st.st_mode)) {
          return Status::Error(subject, errno == EEXIST
                                            ? "appears twice"
                                            : "cannot be created: " +
                                                  std::string(std::strerror(errno)));
        }
      }
      return Status::OK();
    }
    if (type == AE_IFLNK) {
      if (symlinkat(la_.archive_entry_symlink(entry), dir_fd, leaf) != 0) {
        return Status::Error(subject, errno == EEXIST
                                          ? "appears twice"
                                          : "cannot be created: " +
                                                std::string(std::strerror(errno)));
      }
      symlinks_.insert(Join(parts, parts.size()));
      return Status::OK();
    }
    Fd file(openat(dir_fd, leaf,
                   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (file.get() < 0) {
      return Status::Error(subject, errno == EEXIST
                                        ? "appears twice"
                                        : "cannot be created: " +
                                              std::string(std::strerror(errno)));
    }
    char buf[65536];
    while (true) {
      const la_ssize_t n = la_.archive_read_data(reader, buf, sizeof(buf));
      if (n == 0) {
        return Status::OK();
      }
      if (n < 0) {
        return Status::Error(subject, la_.archive_error_string(reader));
      }
      if (static_cast<uint64_t>(n) > limits_.max_extracted_bytes - written_) {
        return TooBig(subject);
      }
      written_ += static_cast<uint64_t>(n);
      for (la_ssize_t done = 0; done < n;) {
        const ssize_t w = write(file.get(), buf + done, static_cast<size_t>(n - done));
        if (w < 0 && errno == EINTR) {
          continue;
        }
        if (w <= 0) {
          return Status::Error(subject, "cannot be written: " +
                                            std::string(std::strerror(errno)));
        }
        done += w;
      }
    }
  }

  Status TooBig(const std::string& subject) const {
    return Status::Error(subject,
                         "more than " +
                             std::to_string(limits_.max_extracted_bytes) +
                             " bytes extracted in total");
  }

  // Opens (creating as needed) the directory that holds the last component,
  // one component at a time, never following a symbolic link. Leaves
  // *parent at -1 for the root itself.
  Status OpenParent(const std::string& subject,
                    const std::vector<std::string>& parts, Fd* parent) {
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      const int at = parent->get() >= 0 ? parent->get() : root_fd_;
      const char* name = parts[i].c_str();
      if (mkdirat(at, name, 0700) != 0 && errno != EEXIST) {
        return Status::Error(subject, "directory " + Quoted(Join(parts, i + 1)) +
                                          " cannot be created: " +
                                          std::strerror(errno));
      }
      Fd next(openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (next.get() < 0) {
        struct stat st;
        const bool link = fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                          S_ISLNK(st.st_mode);
        return Status::Error(
            subject, link ? "path goes through the symbolic link " +
                                Quoted(Join(parts, i + 1))
                          : Quoted(Join(parts, i + 1)) + " is not a directory");
      }
      *parent = std::move(next);
    }
    return Status::OK();
  }

  const LibArchive& la_;
  int root_fd_;
  const TemplateArchiveLimits& limits_;
  int entries_ = 0;
  uint64_t written_ = 0;
  std::string last_name_;
  std::set<std::string> symlinks_;  // names of the links created so far
};

// After extraction: every symbolic link must resolve (through any chain of
// links) to something inside `root`.
Status CheckSymlinks(const std::string& root) {
  char* real_root = realpath(root.c_str(), nullptr);
  if (real_root == nullptr) {
    return Status::Error(root, std::strerror(errno));
  }
  const std::string base = real_root;
  free(real_root);
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (!it->is_symlink(ec)) {
      continue;
    }
    const std::string path = it->path().string();
    char* real = realpath(path.c_str(), nullptr);
    const std::string resolved = real != nullptr ? real : "";
    free(real);
    if (resolved.empty() ||
        (resolved != base && resolved.rfind(base + "/", 0) != 0)) {
      std::error_code ignored;
      return Status::Error(
          "entry " + Quoted(path.substr(root.size() + 1)),
          "symbolic link to " + Quoted(fs::read_symlink(it->path(), ignored)) +
              " does not resolve inside the archive");
    }
  }
  if (ec) {
    return Status::Error(root, ec.message());
  }
  return Status::OK();
}

Status ExtractInto(const std::string& dir, const std::string& bytes,
                   const TemplateArchiveLimits& limits, std::string* summary) {
  Fd root(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (root.get() < 0) {
    return Status::Error(dir, std::strerror(errno));
  }
  const LibArchive* la = nullptr;
  MLB_RETURN_IF_ERROR(LoadLibArchive(&la));
  std::unique_ptr<archive, int (*)(archive*)> reader(la->archive_read_new(),
                                                     la->archive_read_free);
  // Filters with a library behind them only: libarchive would run an
  // external program for some others (lrzip, lzop, grzip).
  la->archive_read_support_filter_gzip(reader.get());
  la->archive_read_support_filter_bzip2(reader.get());
  la->archive_read_support_filter_xz(reader.get());
  la->archive_read_support_filter_zstd(reader.get());
  la->archive_read_support_format_tar(reader.get());
  if (la->archive_read_open_memory(reader.get(), bytes.data(), bytes.size()) !=
      ARCHIVE_OK) {
    return Status::Error("not a tar archive (plain, gzip, bzip2, xz or zstd): " +
                         std::string(la->archive_error_string(reader.get())));
  }
  Extractor extractor(*la, root.get(), limits);
  MLB_RETURN_IF_ERROR(extractor.Run(reader.get()));
  MLB_RETURN_IF_ERROR(CheckSymlinks(dir));
  struct stat st;
  if (stat((dir + "/templates").c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status::Error("no templates/ directory in the archive");
  }
  *summary = std::to_string(extractor.entries()) + " entries, " +
             std::to_string(extractor.bytes()) + " bytes extracted";
  return Status::OK();
}

}  // namespace

ExtractedArchive::~ExtractedArchive() {
  std::error_code ignored;
  fs::remove_all(dir_, ignored);  // does not follow symbolic links
}

std::string Sha256Hex(const std::string& bytes) {
  const Sha256Digest digest = Sha256(bytes);
  return Hex(digest.data(), digest.size());
}

bool IsSha256Hex(const std::string& text) {
  return text.size() == 64 &&
         text.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
}

Status DownloadArchive(const std::string& url, const std::string& ca_cert,
                       const TemplateArchiveLimits& limits, std::string* bytes,
                       HttpCancel* cancel) {
  const std::string context = "template archive " + url;
  try {
    Poco::URI uri(url);
    if (uri.getScheme() == "file") {
      return ReadLocalFile(uri.getPath(), limits.max_download_bytes, bytes)
          .WithContext(context);
    }
    if (uri.getScheme() != "http" && uri.getScheme() != "https") {
      return Status::Error(context,
                           "only http://, https:// and file:// URLs are "
                           "supported");
    }
    return HttpGet(url, ca_cert, limits, cancel, bytes).WithContext(context);
  } catch (const Poco::Exception& e) {
    return Status::Error(context, e.displayText());
  }
}

Status ExtractArchive(const std::string& url, const std::string& bytes,
                      const std::string& parent_dir,
                      const TemplateArchiveLimits& limits,
                      ExtractedArchivePtr* out) {
  const std::string context = "template archive " + url;
  std::string parent = parent_dir;
  if (parent.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    parent = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  }
  std::string pattern = parent + "/mlb-templates-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {  // mode 0700
    return Status::Error(context, "cannot create a directory " + pattern +
                                      ": " + std::strerror(errno));
  }
  // Owns the directory from here on: removed again on any refusal.
  auto extracted = std::make_unique<ExtractedArchive>(pattern);
  std::string summary;
  MLB_RETURN_IF_ERROR(
      ExtractInto(pattern, bytes, limits, &summary).WithContext(context));
  extracted->summary = summary;
  *out = std::move(extracted);
  return Status::OK();
}

Status FetchTemplateArchive(const TemplateArchiveOptions& options,
                            ExtractedArchivePtr* out) {
  std::string bytes;
  MLB_RETURN_IF_ERROR(
      DownloadArchive(options.url, options.ca_cert, options.limits, &bytes,
                      options.cancel));
  const std::string digest = Sha256Hex(bytes);
  if (!options.sha256.empty()) {
    std::string pin = options.sha256;
    for (char& c : pin) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (pin != digest) {
      return Status::Error("template archive " + options.url,
                           "sha256 mismatch: expected " + pin + ", got " +
                               digest);
    }
  }
  ExtractedArchivePtr extracted;
  MLB_RETURN_IF_ERROR(ExtractArchive(options.url, bytes, options.parent_dir,
                                     options.limits, &extracted));
  extracted->summary = std::to_string(bytes.size()) + " bytes, sha256 " +
                       digest + ", " + extracted->summary;
  *out = std::move(extracted);
  return Status::OK();
}

}  // namespace mlb
