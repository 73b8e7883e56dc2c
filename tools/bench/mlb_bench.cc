// mlb_bench: measures marathon-lb's update path on a Marathon state file
// (tools/gen_state.py makes them; tools/bench runs everything).
//
//   mlb_bench stages --state S [--changed C] [--work-dir D] [--runs N]
//                    [--haproxy-runs M] [--threads T]
//       Median times of ParseApps alone, and of the controller's update
//       (core/render/update_pipeline.h: apps built and rendered while the
//       next are read) + Text() on 1 and on T threads (default 2), whose
//       configs must be equal byte for byte. With --changed, of
//       UnifiedDiff(S's config, C's config) and of ConfigWriter::Apply(
//       C's config) over S's config (skip_validation; it reads the live
//       file, diffs, writes, renames); with --haproxy-runs, of
//       `haproxy -c -f` on S's config, which is left in D/haproxy.cfg.
//   mlb_bench rss --state S --config FILE [--threads T]
//       One update as the controller runs it (the update pipeline reading
//       file:S in chunks, Text(), Apply over the live FILE), with the peak
//       RSS and the heap in use after each step. Run it in a fresh process.
//   mlb_bench incremental --state S --changed C [--work-dir D] [--runs N]
//                    [--haproxy-runs M] [--threads T]
//       With S's config live, the time from C's JSON in memory to C's config
//       on disk (update pipeline + Apply); with --haproxy-runs, also through
//       `haproxy -c`.
//   mlb_bench pipelined --state S [--runs N] [--threads T]
//       Only the update pipeline, for profiles.
//
// Common flags: --plugin-dir DIR, --ssl-cert PEM (for the :443 frontend),
// --bind-http-https 0|1 (default 1), --haproxy PATH (default
// /usr/sbin/haproxy), --lru-cache-capacity N (default: marathon-lb's). Each
// timed series is preceded by one untimed warm-up run.
//
// Output: one "<key> <value>" line per result on stdout; times in ms, sizes in
// bytes, memory in KiB. Errors go to stderr with exit status 1.
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "tools/bench/bench_support.h"
#include "tools/bench/pipeline.h"
#include "core/haproxy/config_writer.h"
#include "core/marathon/client.h"
#include "core/base/process.h"
#include "core/base/unified_diff.h"

namespace mlb::bench {
namespace {

int Fail(const std::string& message) {
  std::cerr << "mlb_bench: " << message << "\n";
  return 1;
}

PipelineOptions OptionsFrom(const Flags& flags) {
  PipelineOptions options;
  options.plugin_dir = flags.Get("plugin-dir", "");
  options.bind_http_https = flags.Get("bind-http-https", "1") != "0";
  if (flags.Has("ssl-cert")) {
    options.ssl_certs = {flags.Get("ssl-cert", "")};
  }
  options.haproxy_dir = flags.Get("work-dir", "/tmp");
  if (flags.Has("lru-cache-capacity")) {
    options.cache_capacity =
        static_cast<size_t>(flags.GetInt("lru-cache-capacity", 1000));
  }
  return options;
}

std::string ConfigPath(const Flags& flags) {
  return flags.Get("work-dir", "/tmp") + "/haproxy.cfg";
}

void ReportConfig(const UpdateResult& result, const std::string& text) {
  const ConfigStats stats = Describe(result.generation, text);
  Report("apps", static_cast<double>(result.apps));
  Report("service_ports", static_cast<double>(
                              result.services - result.generation.errors.size()));
  Report("config_bytes", static_cast<double>(stats.bytes));
  Report("config_lines", static_cast<double>(stats.lines));
  Report("backends", static_cast<double>(stats.backends));
  Report("servers", static_cast<double>(stats.servers));
  Report("warnings", static_cast<double>(result.parse_warnings.size() +
                                         result.warnings.size()));
  Report("errors", static_cast<double>(result.errors.size() +
                                       result.generation.errors.size()));
}

// Median time of UnifiedDiff(before, after).
void MeasureDiff(const std::string& before, const std::string& after,
                 int runs) {
  SampleSet samples;
  std::string diff;
  for (int run = -1; run < runs; ++run) {
    Stopwatch watch;
    diff = UnifiedDiff(before, after, "haproxy.cfg", "haproxy.cfg (new)");
    if (run >= 0) {
      samples.Add("diff_ms", watch.ElapsedMs());
    }
  }
  samples.ReportMedians();
  Report("diff_bytes", static_cast<double>(diff.size()));
}

// Median time of Apply(after) with `before` live at `path`.
Status MeasureWrite(const std::string& path, const std::string& before,
                    const std::string& after, int runs) {
  ConfigWriterOptions options;
  options.config_path = path;
  options.skip_validation = true;
  ConfigWriter writer(options);
  SampleSet samples;
  for (int run = -1; run < runs; ++run) {
    if (!WriteFile(path, before)) {
      return Status::Error("cannot write " + path);
    }
    ApplyReport report;
    Stopwatch watch;
    MLB_RETURN_IF_ERROR(writer.Apply(after, &report));
    const double ms = watch.ElapsedMs();
    if (report.outcome != ApplyReport::Outcome::kApplied) {
      return Status::Error("Apply did not write " + path);
    }
    if (run >= 0) {
      samples.Add("write_ms", ms);
    }
  }
  samples.ReportMedians();
  return Status::OK();
}

// Median wall time of `haproxy -c -f path`; the config must validate.
Status MeasureHaproxyCheck(const std::string& haproxy, const std::string& path,
                           int runs) {
  SampleSet samples;
  for (int run = 0; run < runs; ++run) {
    CommandResult result;
    Stopwatch watch;
    MLB_RETURN_IF_ERROR(RunCommand({haproxy, "-c", "-f", path}, &result));
    const double ms = watch.ElapsedMs();
    if (result.exit_code != 0) {
      return Status::Error(haproxy + " -c rejected " + path + ":\n" +
                           result.output.substr(0, 4000));
    }
    samples.Add("haproxy_check_ms", ms);
  }
  samples.ReportMedians();
  Report("haproxy_peak_rss_kb", static_cast<double>(ChildrenPeakRssKb()));
  return Status::OK();
}

// The pipeline of the flags and the JSON of --state.
Status LoadPipelineAndState(const Flags& flags,
                            std::unique_ptr<Pipeline>* pipeline,
                            std::string* json) {
  MLB_RETURN_IF_ERROR(Pipeline::Create(OptionsFrom(flags), pipeline));
  if (!ReadFile(flags.Get("state", ""), json)) {
    return Status::Error("cannot read --state " + flags.Get("state", ""));
  }
  return Status::OK();
}

int RunStages(const Flags& flags) {
  std::unique_ptr<Pipeline> pipeline;
  std::string json;
  Status s = LoadPipelineAndState(flags, &pipeline, &json);
  if (!s.ok()) {
    return Fail(s.message());
  }
  Report("json_bytes", static_cast<double>(json.size()));
  const int runs = flags.GetInt("runs", 5);
  SampleSet samples;
  for (int run = -1; run < runs; ++run) {
    std::vector<App> apps;
    Stopwatch watch;
    s = pipeline->Parse(json, &apps);
    if (!s.ok()) {
      return Fail(s.message());
    }
    if (run >= 0) {
      samples.Add("parse_ms", watch.ElapsedMs());
    }
  }
  // The controller's update on one thread and on `threads` threads: one
  // config.
  const int threads = flags.GetInt("threads", 2);
  std::string base;
  UpdateResult base_result;
  for (const int t : {1, threads}) {
    const std::string key = t == 1 ? "pipelined_1_ms" : "pipelined_ms";
    for (int run = -1; run < runs; ++run) {
      UpdateResult result;
      std::string text;
      Stopwatch watch;
      s = pipeline->RunPipelined(json, t, &result, &text);
      const double ms = watch.ElapsedMs();
      if (!s.ok()) {
        return Fail(s.message());
      }
      if (run >= 0) {
        samples.Add(key, ms);
      }
      if (run == runs - 1) {
        if (t == 1) {
          base = std::move(text);
          base_result = std::move(result);
        } else if (text != base) {
          return Fail("the update on " + std::to_string(t) +
                      " threads made another config than on one");
        }
      }
    }
  }
  Report("threads", threads);
  samples.ReportMedians();
  ReportConfig(base_result, base);

  const std::string path = ConfigPath(flags);
  if (flags.Has("changed")) {
    std::string changed_json;
    if (!ReadFile(flags.Get("changed", ""), &changed_json)) {
      return Fail("cannot read --changed " + flags.Get("changed", ""));
    }
    UpdateResult changed;
    std::string changed_text;
    s = pipeline->RunPipelined(changed_json, 1, &changed, &changed_text);
    if (!s.ok()) {
      return Fail(s.message());
    }
    MeasureDiff(base, changed_text, runs);
    s = MeasureWrite(path, base, changed_text, runs);
    if (!s.ok()) {
      return Fail(s.message());
    }
  }
  if (!WriteFile(path, base)) {
    return Fail("cannot write " + path);
  }
  const int haproxy_runs = flags.GetInt("haproxy-runs", 0);
  if (haproxy_runs > 0) {
    s = MeasureHaproxyCheck(flags.Get("haproxy", "/usr/sbin/haproxy"), path,
                            haproxy_runs);
    if (!s.ok()) {
      return Fail(s.message());
    }
  }
  Report("bench_peak_rss_kb", static_cast<double>(PeakRssKb()));
  return 0;
}

// After each step of an update: the peak RSS so far (a high-water mark, so
// where it grows is where the peak is made) and the heap in use (the data
// that step left alive).
void ReportMemory(const std::string& step) {
  Report("rss_" + step + "_kb", static_cast<double>(PeakRssKb()));
  Report("heap_" + step + "_kb", static_cast<double>(HeapInUseKb()));
}

// One update with the steps of MarathonLb::Update(): the file read in
// chunks by the update pipeline (apps built and rendered as they are read),
// the config text, the write.
int RunRss(const Flags& flags) {
  ReportMemory("start");
  std::unique_ptr<Pipeline> pipeline;
  Status s = Pipeline::Create(OptionsFrom(flags), &pipeline);
  if (!s.ok()) {
    return Fail(s.message());
  }
  ReportMemory("loaded");
  UpdateResult result;
  s = pipeline->RunPipelinedFile(flags.Get("state", ""),
                                 flags.GetInt("threads", 2), &result);
  if (s.ok()) {
    s = result.generated;
  }
  if (!s.ok()) {
    return Fail(s.message());
  }
  ReportMemory("updated");
  const std::string text = result.generation.config.Text();
  ReportMemory("rendered");
  ConfigWriterOptions options;
  options.config_path = flags.Get("config", "");
  options.skip_validation = true;
  ConfigWriter writer(options);
  ApplyReport report;
  s = writer.Apply(text, &report);
  if (!s.ok()) {
    return Fail(s.message());
  }
  ReportMemory("written");
  return 0;
}

// Times from the changed JSON to its config on disk, `base` being live, as
// the controller updates: the update pipeline on `threads` threads, then
// Apply.
Status TimeIncrement(Pipeline& pipeline, const std::string& changed_json,
                     int threads, const std::string& base_text,
                     ConfigWriter& writer, const std::string& prefix,
                     SampleSet* samples) {
  if (!WriteFile(writer.options().config_path, base_text)) {
    return Status::Error("cannot write " + writer.options().config_path);
  }
  Stopwatch total;
  UpdateResult result;
  std::string text;
  MLB_RETURN_IF_ERROR(
      pipeline.RunPipelined(changed_json, threads, &result, &text));
  samples->Add(prefix + "update_ms", total.ElapsedMs());
  Stopwatch write;
  ApplyReport report;
  MLB_RETURN_IF_ERROR(writer.Apply(text, &report));
  samples->Add(prefix + "write_ms", write.ElapsedMs());
  samples->Add(prefix + "total_ms", total.ElapsedMs());
  if (report.outcome != ApplyReport::Outcome::kApplied) {
    return Status::Error("the changed state did not change the config");
  }
  return Status::OK();
}

int RunIncremental(const Flags& flags) {
  std::unique_ptr<Pipeline> pipeline;
  Status s = Pipeline::Create(OptionsFrom(flags), &pipeline);
  if (!s.ok()) {
    return Fail(s.message());
  }
  std::string base_json;
  std::string changed_json;
  if (!ReadFile(flags.Get("state", ""), &base_json) ||
      !ReadFile(flags.Get("changed", ""), &changed_json)) {
    return Fail("cannot read --state or --changed");
  }
  UpdateResult base_result;
  std::string base;
  s = pipeline->RunPipelined(base_json, 1, &base_result, &base);
  if (!s.ok()) {
    return Fail(s.message());
  }
  ConfigWriterOptions options;
  options.config_path = ConfigPath(flags);
  options.skip_validation = true;
  options.haproxy_binary = flags.Get("haproxy", "/usr/sbin/haproxy");
  ConfigWriter unchecked(options);
  const int runs = flags.GetInt("runs", 5);
  const int threads = flags.GetInt("threads", 2);
  SampleSet samples;
  for (int run = -1; run < runs; ++run) {
    SampleSet warm_up;
    s = TimeIncrement(*pipeline, changed_json, threads, base, unchecked,
                      "incr_", run >= 0 ? &samples : &warm_up);
    if (!s.ok()) {
      return Fail(s.message());
    }
  }
  options.skip_validation = false;
  ConfigWriter checked(options);
  for (int run = 0; run < flags.GetInt("haproxy-runs", 0); ++run) {
    s = TimeIncrement(*pipeline, changed_json, threads, base, checked,
                      "incr_checked_", &samples);
    if (!s.ok()) {
      return Fail(s.message());
    }
  }
  samples.ReportMedians();
  return 0;
}

// Only the controller's path, `--runs` times (for profiles).
int RunPipelinedOnly(const Flags& flags) {
  std::unique_ptr<Pipeline> pipeline;
  std::string json;
  Status s = LoadPipelineAndState(flags, &pipeline, &json);
  if (!s.ok()) {
    return Fail(s.message());
  }
  SampleSet samples;
  for (int run = -1; run < flags.GetInt("runs", 5); ++run) {
    UpdateResult result;
    std::string text;
    Stopwatch watch;
    s = pipeline->RunPipelined(json, flags.GetInt("threads", 2), &result,
                               &text);
    if (!s.ok()) {
      return Fail(s.message());
    }
    if (run >= 0) {
      samples.Add("pipelined_ms", watch.ElapsedMs());
    }
  }
  samples.ReportMedians();
  return 0;
}

int Main(int argc, char** argv) {
  if (argc < 2) {
    return Fail("usage: mlb_bench stages|rss|incremental --state FILE ...");
  }
  const std::string mode = argv[1];
  Flags flags;
  std::string error;
  if (!flags.Parse(argc, argv, 2, &error)) {
    return Fail(error);
  }
  if (!flags.Has("state")) {
    return Fail("--state FILE is required");
  }
  if (mode == "stages") {
    return RunStages(flags);
  }
  if (mode == "pipelined") {
    return RunPipelinedOnly(flags);
  }
  if (mode == "rss") {
    return flags.Has("config") ? RunRss(flags) : Fail("rss needs --config");
  }
  if (mode == "incremental") {
    return flags.Has("changed") ? RunIncremental(flags)
                                : Fail("incremental needs --changed");
  }
  return Fail("unknown mode '" + mode + "' (stages, rss or incremental)");
}

}  // namespace
}  // namespace mlb::bench

int main(int argc, char** argv) { return mlb::bench::Main(argc, argv); }
