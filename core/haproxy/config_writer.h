// ConfigWriter puts a new HAProxy config in place safely, then reloads
// (HaproxyProcess, haproxy_process.h, supervises an HAProxy marathon-lb owns).
//
// Apply(text):
//   unchanged   -> nothing happens;
//   --dry       -> the diff is reported, nothing is written;
//   otherwise   -> the text goes to a temp file beside the target (same
//                  directory, so rename(2) is atomic; the target's mode is
//                  kept, 0644 for a new file), `haproxy -c -f` checks it
//                  (unless skip_validation), rename(2) swaps it in and the
//                  reload command runs.
// A config HAProxy rejects never replaces the live one: it is kept as
// "<target>.rejected" for inspection and HAProxy's output is returned.
//
// Files beside the config (HAProxy maps, --haproxy-map) go with it: they
// count in "unchanged", are written to temp files that the checked copy of
// the config names instead of theirs, and are renamed into place just
// before the config; a rejected config leaves them as they were.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/base/status.h"

namespace mlb {

struct ConfigWriterOptions {
  std::string config_path;              // --haproxy-config
  // --haproxy-binary; empty: haproxy in PATH, then /usr/sbin/haproxy
  // (FindHaproxy, haproxy_binary.h), looked up at every check.
  std::string haproxy_binary;
  bool skip_validation = false;         // --skip-validation
  bool dry_run = false;                 // --dry
  std::vector<std::string> reload_command;  // empty: no reload
  // When set, called instead of reload_command (marathon-lb owns HAProxy).
  std::function<Status()> reload;
  // A failed reload is tried again by the next Apply, even of an unchanged
  // config, at most max_reload_retries times; -1: until it succeeds
  // (--max-reload-retries). Apply never waits: the caller spaces the
  // retries (ApplyReport::retry_reload).
  int max_reload_retries = 10;
  // --archive-versions: every config put in place is also copied to
  // <archive_dir>/hap_cfg.1 (the older copies moving up to .N), every
  // rejected one to haproxy_temp_config_fail.1, as marathon-lb 1.15 keeps
  // them in its temp dir. Empty archive_dir or 0: none.
  std::string archive_dir;
  int archive_versions = 0;
  // When a reload fails, put back the config (and side files) of the last
  // reload that succeeded: the config HAProxy actually runs, so that a
  // restarted HAProxy runs it too and the next Apply writes afresh. Only
  // when `reload` knows HAProxy ran the file (marathon-lb owns HAProxy:
  // --run-haproxy); a reload command may fail for reasons of its own.
  bool roll_back_failed_reload = false;
};

// A file that lives in the config's directory and is put in place with it.
struct SideFile {
  std::string name;  // plain file name: "domain2backend.map"
  std::string text;
};

struct ApplyReport {
  enum class Outcome { kUnchanged, kDryRun, kApplied, kRejected };
  Outcome outcome = Outcome::kUnchanged;
  // Unified diff, live -> new; left empty for a first config (`first`)
  // unless dry_run: a diff from nothing is the whole file.
  std::string diff;
  // There was no config before (the target was missing or empty).
  bool first = false;
  std::string validation_output;  // haproxy -c output
  std::string rejected_path;      // where a rejected config was kept
  bool reloaded = false;          // the reload command ran and exited 0
  // Runs of the reload of this config so far, this one included (2: the
  // first retry).
  int reload_attempts = 0;
  std::string reload_error;       // why the reload did not succeed
  // The reload failed and may be tried again: call Apply again later.
  bool retry_reload = false;
  // The reload failed and the config HAProxy runs was put back in place
  // (roll_back_failed_reload); reload_error says so.
  bool rolled_back = false;
};

class ConfigWriter {
 public:
  explicit ConfigWriter(ConfigWriterOptions options)
      : options_(std::move(options)) {}

  // Errors: the target cannot be written, or HAProxy rejected the config
  // ("haproxy -c rejected the new config, kept in <path>; the live config is
  // unchanged"). A failed reload is reported in ApplyReport, not as an error:
  // the new config is in place by then.
  Status Apply(const std::string& text, ApplyReport* report) {
    return Apply(text, {}, report);
  }
  // The same with `side_files`, which the config names as
  // "<directory of config_path>/<name>". With `reload` false the new files
  // are put in place without a reload: the caller makes HAProxy run what
  // they say another way (its runtime API, live_servers.h) and calls
  // NoteRunning(), or calls ReloadSkipped().
  Status Apply(const std::string& text,
               const std::vector<SideFile>& side_files, ApplyReport* report,
               bool reload = true);

  // The reload an Apply(reload = false) left out, after all: the way
  // around it failed. Fills the reload fields of *report as Apply would.
  void ReloadSkipped(ApplyReport* report) { Reload(report); }

  // Validates the config in place (unless skip_validation) and reloads it,
  // as marathon-lb 1.15 does on SIGUSR1. Errors: nothing to reload with,
  // or "haproxy -c rejected <path>; not reloaded" (the output in *report).
  Status ReloadInPlace(ApplyReport* report);

  const ConfigWriterOptions& options() const { return options_; }

  // HAProxy now runs the files in place (it was started on them outside
  // Apply): they are what a failed reload rolls back to.
  void NoteRunning();

 private:
  // After a failed reload (roll_back_failed_reload): writes back the files
  // NoteRunning() saw and says so in report->reload_error.
  void RollBack(ApplyReport* report);
  // `haproxy -c -f path`, its output into report->validation_output and
  // whether HAProxy accepted it into *accepted. Error: HAProxy cannot run.
  Status Check(const std::string& path, ApplyReport* report,
               bool* accepted) const;
  // "<directory of config_path>/<name>", as the config names it.
  std::string SidePath(const std::string& name) const;
  // Keeps `text` as <archive_dir>/<name>.1, moving the older copies up.
  // The copies are for the record, not fsynced. `holder`, when given, is a
  // file that holds `text` and is only ever replaced, never written in
  // place (the config): the copy is then a hard link to it, where the
  // archive is on its filesystem, and costs no write.
  void Archive(const std::string& name, std::string_view text,
               const std::string& holder = "") const;
  // Runs the reload once and fills the report's reload fields.
  void Reload(ApplyReport* report);
  // One run of the reload; "" when it succeeded, else why not.
  std::string ReloadOnce() const;

  int failed_reloads_ = 0;  // of the config in place; 0: none pending
  // The config whose reload failed and was rolled back: Apply()ing it again
  // is its retry (counted against max_reload_retries).
  std::string failed_text_;
  // The side files of the last Apply, by name.
  std::vector<std::string> side_names_;
  // The files HAProxy runs (path, content): the config first, then its side
  // files. Empty until a reload succeeded, and without
  // roll_back_failed_reload (nothing reads them then).
  std::vector<std::pair<std::string, std::string>> running_;

  ConfigWriterOptions options_;
};

// marathon-lb's reload command detection when --command is not given:
// upstart, then systemd, then SysV init; empty if none is found.
std::vector<std::string> DetectReloadCommand();

}  // namespace mlb
