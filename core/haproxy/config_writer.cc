#include "core/haproxy/config_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string_view>
#include <algorithm>

#include "core/base/files.h"
#include "core/base/logging.h"
#include "core/base/process.h"
#include "core/base/unified_diff.h"
#include "core/haproxy/haproxy_binary.h"

namespace mlb {
namespace {

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// The live config, empty when there is none (or it cannot be read).
std::string ReadFileOrEmpty(const std::string& path) {
  std::string out;
  if (!ReadWholeFile(path, &out).ok()) {
    return std::string();
  }
  return out;
}

constexpr size_t kChunk = 65536;

// pread(2) of exactly `size` bytes at `offset` into `out`; false on an error
// or a short file.
bool ReadAt(int fd, off_t offset, size_t size, char* out) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n = pread(fd, out + done, size - done,
                            offset + static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

// Start of the line `lines` lines before the line starting at `pos`.
size_t LinesBack(const std::string& text, size_t pos, int lines) {
  for (; lines > 0 && pos > 0; --lines) {
    const size_t nl = pos >= 2 ? text.rfind('\n', pos - 2) : std::string::npos;
    pos = nl == std::string::npos ? 0 : nl + 1;
  }
  return pos;
}

// Start of the line `lines` lines after the line starting at `pos`.
size_t LinesForward(const std::string& text, size_t pos, int lines) {
  for (; lines > 0 && pos < text.size(); --lines) {
    const size_t nl = text.find('\n', pos);
    pos = nl == std::string::npos ? text.size() : nl + 1;
  }
  return pos;
}

// Compares the live config at `path` with `text` and sets *diff to
// UnifiedDiff(live, text, labels), in memory proportional to what changed
// rather than to the file: the file is read once from the start, in chunks
// compared with `text`, until the first difference (an unchanged config is
// read just once), then backwards from its end to the last difference, and
// only the lines in between (with some common lines around them) are loaded
// and diffed. Sets *unchanged when the file equals `text` (a missing file
// reads as empty).
void DiffWithLive(const std::string& path, const std::string& text,
                  const std::string& before_label,
                  const std::string& after_label, bool* unchanged,
                  std::string* diff) {
  *unchanged = false;
  diff->clear();
  auto whole_files = [&]() {
    const std::string live = ReadFileOrEmpty(path);
    *unchanged = live == text;
    *diff = UnifiedDiff(live, text, before_label, after_label);
  };
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    whole_files();
    return;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    whole_files();
    return;
  }
  // The common prefix, streaming from the start.
  std::string buffer(kChunk, '\0');
  size_t prefix = 0;
  size_t live_size = 0;  // known once the end was read
  bool size_known = false;
  while (true) {
    const ssize_t n = read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      close(fd);
      whole_files();
      return;
    }
    if (n == 0) {
      live_size = prefix;
      size_known = true;
      break;
    }
    const size_t got = static_cast<size_t>(n);
    const size_t comparable = std::min(got, text.size() - prefix);
    const char* live_chunk = buffer.data();
    const char* new_chunk = text.data() + prefix;
    if (std::memcmp(live_chunk, new_chunk, comparable) != 0) {
      prefix += static_cast<size_t>(
          std::mismatch(live_chunk, live_chunk + comparable, new_chunk).first -
          live_chunk);
      break;
    }
    prefix += comparable;
    if (comparable < got) {
      break;  // the file goes on past the end of `text`
    }
  }
  if (!size_known) {
    live_size = static_cast<size_t>(st.st_size);
  }
  if (size_known && live_size == text.size() && prefix == text.size()) {
    close(fd);
    *unchanged = true;
    return;
  }
  if (live_size < prefix) {  // the file changed under us
    close(fd);
    whole_files();
    return;
  }
  // The common suffix, reading backwards from the end, not into the prefix.
  const size_t limit = std::min(live_size, text.size()) - prefix;
  size_t suffix = 0;
  while (suffix < limit) {
    const size_t size = std::min(kChunk, limit - suffix);
    if (!ReadAt(fd, static_cast<off_t>(live_size - suffix - size), size,
                buffer.data())) {
      close(fd);
      whole_files();
      return;
    }
    const char* new_chunk = text.data() + text.size() - suffix - size;
    size_t same = 0;  // from the end of the chunk
    while (same < size &&
           buffer[size - 1 - same] == new_chunk[size - 1 - same]) {
      ++same;
    }
    suffix += same;
    if (same < size) {
      break;
    }
  }
  // Whole common lines only: the head ends after the last newline of the
  // prefix, the tail starts after the first newline inside the suffix (the
  // byte before it is then common to both files).
  const size_t nl_before = prefix == 0 ? std::string::npos
                                       : text.rfind('\n', prefix - 1);
  const size_t common_head = nl_before == std::string::npos ? 0 : nl_before + 1;
  const size_t nl_after = text.find('\n', text.size() - suffix);
  const size_t common_tail =
      nl_after == std::string::npos ? text.size() : nl_after + 1;
  // Live offset = new offset + shift, within the tail.
  const size_t live_tail = common_tail + live_size - text.size();

  // Diff a window of a few common lines around what changed; should the
  // diff need more context than that, a wider one, then the whole files.
  std::string live_window;
  for (const int margin : {8, 256}) {
    const size_t begin = LinesBack(text, common_head, margin);
    const size_t new_end = LinesForward(text, common_tail, margin);
    const size_t live_end = live_tail + (new_end - common_tail);
    live_window.assign(live_end - begin, '\0');
    if (!ReadAt(fd, static_cast<off_t>(begin), live_window.size(),
                live_window.data())) {
      break;
    }
    const std::string_view all(text);
    std::optional<std::string> out = UnifiedDiffOfWindows(
        all.substr(0, begin), live_window,
        all.substr(begin, new_end - begin), all.substr(new_end), before_label,
        after_label);
    if (out.has_value()) {
      close(fd);
      *diff = std::move(*out);
      return;
    }
  }
  close(fd);
  std::string().swap(live_window);
  whole_files();
}

}  // namespace

std::string ConfigWriter::SidePath(const std::string& name) const {
  return DirectoryOf(options_.config_path) + "/" + name;
}

namespace {

// `text` with every `from` replaced by `to`.
std::string ReplaceAll(std::string text, const std::string& from,
                       const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

void RemoveAll(const std::vector<std::string>& paths) {
  for (const std::string& path : paths) {
    unlink(path.c_str());
  }
}

}  // namespace

Status ConfigWriter::Apply(const std::string& text,
                           const std::vector<SideFile>& side_files,
                           ApplyReport* report, bool reload) {
  *report = ApplyReport();
  side_names_.clear();
  for (const SideFile& side : side_files) {
    side_names_.push_back(side.name);
  }
  // An operator may keep haproxy.cfg as a symlink into a volume: the file
  // it links to is replaced, and the link stays.
  const std::string target = FollowSymlink(options_.config_path);
  bool unchanged = false;
  struct stat st;
  report->first = stat(target.c_str(), &st) != 0 || st.st_size == 0;
  const bool want_diff = !report->first || options_.dry_run;
  if (want_diff) {
    DiffWithLive(target, text, target, target + " (new)", &unchanged,
                 &report->diff);
  } else {
    unchanged = text.empty();
  }
  for (const SideFile& side : side_files) {
    const std::string path = FollowSymlink(SidePath(side.name));
    const std::string live = ReadFileOrEmpty(path);
    if (live != side.text) {
      unchanged = false;
      if (want_diff) {
        report->diff += UnifiedDiff(live, side.text, path, path + " (new)");
      }
    }
  }
  if (unchanged) {
    report->outcome = ApplyReport::Outcome::kUnchanged;
    if (options_.roll_back_failed_reload && !running_.empty()) {
      // The config in place is the one HAProxy runs (a failed one was
      // rolled back): nothing to retry.
      failed_reloads_ = 0;
    } else if (failed_reloads_ > 0 && !options_.dry_run) {
      Reload(report);  // the retry of a failed reload
    }
    return Status::OK();
  }
  if (options_.dry_run) {
    report->outcome = ApplyReport::Outcome::kDryRun;
    return Status::OK();
  }
  // The side files first, each to a temp file beside its own; the copy of
  // the config that haproxy -c reads names those.
  std::vector<std::string> side_temps;
  // The checked copy differs from `text` only when there are side files to
  // check it with: otherwise no copy of the config is made.
  const bool check_copy = !side_files.empty() && !options_.skip_validation;
  std::string checked_text = check_copy ? text : std::string();
  for (const SideFile& side : side_files) {
    std::string side_temp;
    Status s = WriteTempFileBeside(FollowSymlink(SidePath(side.name)),
                                   side.text, std::nullopt, &side_temp);
    if (!s.ok()) {
      RemoveAll(side_temps);
      return s;
    }
    side_temps.push_back(side_temp);
    if (check_copy) {
      checked_text = ReplaceAll(std::move(checked_text), SidePath(side.name),
                                side_temp);
    }
  }
  std::string temp;
  // The target's mode is kept; 0644 for a new file.
  Status written = WriteTempFileBeside(target, text, std::nullopt, &temp);
  std::string checked = temp;
  if (written.ok() && check_copy && checked_text != text) {
    written = WriteTempFileBeside(target, checked_text, std::nullopt, &checked);
    if (!written.ok()) {
      unlink(temp.c_str());
    }
  }
  if (!written.ok()) {
    RemoveAll(side_temps);
    return written;
  }
  bool accepted = true;
  if (!options_.skip_validation) {
    Status s = Check(checked, report, &accepted);
    if (checked != temp) {
      unlink(checked.c_str());
    }
    if (!s.ok()) {
      // HAProxy did not run (not found, cannot be executed): nothing was
      // refused, so nothing is kept as rejected.
      RemoveAll(side_temps);
      unlink(temp.c_str());
      report->outcome = ApplyReport::Outcome::kRejected;
      return Status::Error(s.message() + "; the live config is unchanged");
    }
    if (!accepted) {
      RemoveAll(side_temps);
      report->outcome = ApplyReport::Outcome::kRejected;
      Archive("haproxy_temp_config_fail", text);
      report->rejected_path = target + ".rejected";
      if (rename(temp.c_str(), report->rejected_path.c_str()) != 0) {
        report->rejected_path = temp;
      }
      MLB_RETURN_IF_ERROR(s);
      return Status::Error("haproxy -c rejected the new config, kept in " +
                           report->rejected_path +
                           "; the live config is unchanged");
    }
  }
  for (size_t i = 0; i < side_files.size(); ++i) {
    Status s = RenameOver(side_temps[i],
                          FollowSymlink(SidePath(side_files[i].name)));
    if (!s.ok()) {
      RemoveAll(std::vector<std::string>(side_temps.begin() + i,
                                         side_temps.end()));
      unlink(temp.c_str());
      return s;
    }
    Archive(side_files[i].name, side_files[i].text);
  }
  MLB_RETURN_IF_ERROR(RenameOver(temp, target));
  report->outcome = ApplyReport::Outcome::kApplied;
  Archive("hap_cfg", text, target);
  if (text != failed_text_) {
    failed_reloads_ = 0;  // a new config: its own reload
  }  // else: the retry of a config whose reload failed and was rolled back
  failed_text_.clear();
  if (reload && (options_.reload || !options_.reload_command.empty())) {
    Reload(report);
  }
  return Status::OK();
}

Status ConfigWriter::ReloadInPlace(ApplyReport* report) {
  *report = ApplyReport();
  if (!options_.reload && options_.reload_command.empty()) {
    return Status::Error("no reload command (--command) to reload with");
  }
  const std::string target = FollowSymlink(options_.config_path);
  bool accepted = true;
  if (!options_.skip_validation) {
    MLB_RETURN_IF_ERROR(Check(target, report, &accepted));
    if (!accepted) {
      return Status::Error("haproxy -c rejected " + target + "; not reloaded");
    }
  }
  Reload(report);
  return Status::OK();
}

Status ConfigWriter::Check(const std::string& path, ApplyReport* report,
                           bool* accepted) const {
  *accepted = false;
  std::string binary;
  MLB_RETURN_IF_ERROR(FindHaproxy(options_.haproxy_binary, &binary)
                          .WithContext("cannot check the config"));
  CommandResult check;
  MLB_RETURN_IF_ERROR(RunCommand({binary, "-c", "-f", path}, &check)
                          .WithContext("cannot run " + binary));
  // Spawn's child exits 127 when the exec fails (the file went since it was
  // found, or is not a program this machine runs): not a refusal.
  if (check.exit_code == 127 && check.output.rfind("cannot run ", 0) == 0) {
    return Status::Error("cannot check the config",
                         check.output.substr(0, check.output.find('\n')));
  }
  report->validation_output = check.output;
  *accepted = check.exit_code == 0;
  return Status::OK();
}

void ConfigWriter::Archive(const std::string& name, std::string_view text,
                           const std::string& holder) const {
  if (options_.archive_dir.empty() || options_.archive_versions <= 0) {
    return;
  }
  const std::string base = options_.archive_dir + "/" + name + ".";
  for (int i = options_.archive_versions - 1; i >= 1; --i) {
    // A missing older copy is no error.
    rename((base + std::to_string(i)).c_str(),
           (base + std::to_string(i + 1)).c_str());
  }
  if (!holder.empty()) {
    // A link beside the copy first, then renamed over it: a copy in place
    // or none, never half of one.
    const std::string link_path = base + "1.link";
    unlink(link_path.c_str());
    if (link(holder.c_str(), link_path.c_str()) == 0) {
      if (rename(link_path.c_str(), (base + "1").c_str()) == 0) {
        return;
      }
      unlink(link_path.c_str());
    }  // another filesystem, or no links there: a copy
  }
  AtomicWriteOptions record;
  record.durable = false;
  const Status s = WriteFileAtomically(base + "1", text, record);
  if (!s.ok()) {
    Log().warning("--archive-versions: " + s.message());
  }
}

void ConfigWriter::Reload(ApplyReport* report) {
  report->reload_attempts = failed_reloads_ + 1;
  report->reload_error = ReloadOnce();
  report->reloaded = report->reload_error.empty();
  if (report->reloaded) {
    failed_reloads_ = 0;
    NoteRunning();
    return;
  }
  ++failed_reloads_;
  const int retries = failed_reloads_ - 1;
  report->retry_reload = options_.max_reload_retries < 0 ||
                         retries < options_.max_reload_retries;
  if (failed_reloads_ > 1) {
    report->reload_error +=
        " (" + std::to_string(failed_reloads_) + " attempts)";
  }
  if (!report->retry_reload) {
    failed_reloads_ = 0;  // given up: the next config reloads afresh
  }
  if (options_.roll_back_failed_reload) {
    failed_text_ = ReadFileOrEmpty(FollowSymlink(options_.config_path));
    RollBack(report);
  }
}

void ConfigWriter::NoteRunning() {
  running_.clear();
  if (!options_.roll_back_failed_reload) {
    return;  // nothing is rolled back: the files are not read back
  }
  std::vector<std::string> paths = {FollowSymlink(options_.config_path)};
  for (const std::string& name : side_names_) {
    paths.push_back(FollowSymlink(SidePath(name)));
  }
  for (const std::string& path : paths) {
    std::string text;
    if (!ReadWholeFile(path, &text).ok()) {
      running_.clear();  // nothing known to roll back to
      return;
    }
    running_.emplace_back(path, std::move(text));
  }
}

void ConfigWriter::RollBack(ApplyReport* report) {
  if (running_.empty()) {
    report->reload_error +=
        "; no config HAProxy ran is known, the new one stays in place";
    return;
  }
  for (const auto& [path, text] : running_) {
    // The side files first: the config that names them comes last.
    if (path == running_.front().first) {
      continue;
    }
    const Status s = WriteFileAtomically(path, text);
    if (!s.ok()) {
      report->reload_error += "; cannot roll back " + path + ": " + s.message();
      return;
    }
  }
  const Status s =
      WriteFileAtomically(running_.front().first, running_.front().second);
  if (!s.ok()) {
    report->reload_error +=
        "; cannot roll back " + running_.front().first + ": " + s.message();
    return;
  }
  report->rolled_back = true;
  report->reload_error += "; " + running_.front().first +
                          " rolled back to the config HAProxy runs";
}

std::string ConfigWriter::ReloadOnce() const {
  if (options_.reload) {
    const Status s = options_.reload();
    return s.ok() ? "" : s.message();
  }
  CommandResult reload;
  const Status s = RunCommand(options_.reload_command, &reload);
  if (!s.ok()) {
    return s.message();
  }
  if (reload.exit_code != 0) {
    return "reload command `" + JoinCommandLine(options_.reload_command) +
           "` exited with " + std::to_string(reload.exit_code) + ": " +
           reload.output;
  }
  return "";
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
