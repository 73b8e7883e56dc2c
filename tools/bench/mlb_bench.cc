// mlb_bench: measures marathon-lb's update path on a Marathon state file
// (tools/gen_state.py makes them; tools/bench runs everything).
//
//   mlb_bench stages --state S [--changed C] [--work-dir D] [--runs N]
//                    [--haproxy-runs M] [--threads T]
//       Median times of ParseApps, BuildServices, Generate + Text() and the
//       three together, one after the other on one thread; then of the
//       controller's update (core/render/update_pipeline.h: apps built and rendered
//       while the next are read) on 1 and on T threads (default 2), whose
//       config must equal the stages' byte for byte. With --changed, of
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
//       Only the update pipeline (T = 0: the stages one after the other),
//       for profiles.
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

// Parse, build and render `json` into *pass, adding each stage's time to
// *samples as <prefix>parse_ms, ... and <prefix>full_ms (parse to text).
Status TimedPass(Pipeline& pipeline, const std::string& json,
                 const std::string& prefix, Pass* pass, SampleSet* samples) {
  Stopwatch total;
  Stopwatch stage;
  MLB_RETURN_IF_ERROR(pipeline.Parse(json, pass));
  samples->Add(prefix + "parse_ms", stage.ElapsedMs());
  stage.Restart();
  pipeline.Build(pass);
  samples->Add(prefix + "build_ms", stage.ElapsedMs());
  stage.Restart();
  MLB_RETURN_IF_ERROR(pipeline.Render(pass));
  samples->Add(prefix + "render_ms", stage.ElapsedMs());
  samples->Add(prefix + "full_ms", total.ElapsedMs());
  return Status::OK();
}

void ReportConfig(const Pass& pass) {
  const ConfigStats stats = Describe(pass.generation, pass.text);
  Report("apps", static_cast<double>(pass.apps.size()));
  Report("service_ports", static_cast<double>(pass.services.services.size()));
  Report("config_bytes", static_cast<double>(stats.bytes));
  Report("config_lines", static_cast<double>(stats.lines));
  Report("backends", static_cast<double>(stats.backends));
  Report("servers", static_cast<double>(stats.servers));
  Report("warnings", static_cast<double>(pass.parse_warnings.size() +
                                         pass.services.warnings.size()));
  Report("errors", static_cast<double>(pass.services.errors.size() +
                                       pass.generation.errors.size()));
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
  Pass base;
  for (int run = -1; run < runs; ++run) {
    Pass pass;
    SampleSet warm_up;
    s = TimedPass(*pipeline, json, "", &pass, run >= 0 ? &samples : &warm_up);
    if (!s.ok()) {
      return Fail(s.message());
    }
    if (run == runs - 1) {
      base = std::move(pass);
    }
  }
  // The controller's path: the same update with the apps built and rendered
  // while the next are read, on one thread and on `threads` threads. Its
  // config must be the one of the stages above, byte for byte.
  const int threads = flags.GetInt("threads", 2);
  for (const int t : {1, threads}) {
    const std::string key =
        t == 1 ? "pipelined_1_ms" : "pipelined_ms";
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
        if (text != base.text) {
          return Fail("the pipelined update (" + std::to_string(t) +
                      " threads) made another config than the stages");
        }
        if (t == threads) {
          Report("in_order", result.in_order ? 1 : 0);
        }
      }
    }
  }
  Report("threads", threads);
  samples.ReportMedians();
  ReportConfig(base);

  const std::string path = ConfigPath(flags);
  if (flags.Has("changed")) {
    std::string changed_json;
    if (!ReadFile(flags.Get("changed", ""), &changed_json)) {
      return Fail("cannot read --changed " + flags.Get("changed", ""));
    }
    Pass changed;
    s = pipeline->RunAll(changed_json, &changed);
    if (!s.ok()) {
      return Fail(s.message());
    }
    MeasureDiff(base.text, changed.text, runs);
    s = MeasureWrite(path, base.text, changed.text, runs);
    if (!s.ok()) {
      return Fail(s.message());
    }
  }
  if (!WriteFile(path, base.text)) {
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
  Pass base;
  s = pipeline->RunAll(base_json, &base);
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
    s = TimeIncrement(*pipeline, changed_json, threads, base.text, unchecked,
                      "incr_", run >= 0 ? &samples : &warm_up);
    if (!s.ok()) {
      return Fail(s.message());
    }
  }
  options.skip_validation = false;
  ConfigWriter checked(options);
  for (int run = 0; run < flags.GetInt("haproxy-runs", 0); ++run) {
    s = TimeIncrement(*pipeline, changed_json, threads, base.text, checked,
                      "incr_checked_", &samples);
    if (!s.ok()) {
      return Fail(s.message());
    }
  }
  samples.ReportMedians();
  return 0;
}

// Only the controller's path, `--runs` times (for profiles); with
// --threads 0 the stages one after the other instead.
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
    Pass pass;  // --threads 0: the stages one after the other
    Stopwatch watch;
    const int threads = flags.GetInt("threads", 2);
    s = threads == 0
            ? pipeline->RunAll(json, &pass)
            : pipeline->RunPipelined(json, threads, &result, &text);
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
