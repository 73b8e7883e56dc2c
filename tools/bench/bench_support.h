// Timing, statistics, resource and file helpers for the benchmark binary.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace mlb::bench {

// Wall time since construction or the last Restart(), on the steady clock.
class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  void Restart() { start_ = std::chrono::steady_clock::now(); }
  double ElapsedMs() const {
    return std::chrono::duration<double, std::milli>(
               std::chrono::steady_clock::now() - start_)
        .count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

// Median of `samples`: the mean of the two middle values for an even count,
// 0 for none.
double Median(std::vector<double> samples);

// Samples per named metric, reported in order of first use.
class SampleSet {
 public:
  void Add(const std::string& metric, double value);
  // Prints "<metric> <median>" for every metric.
  void ReportMedians() const;

 private:
  std::vector<std::pair<std::string, std::vector<double>>> metrics_;
};

// Peak resident set size (getrusage ru_maxrss) in KiB: of this process, and
// of the largest child waited for so far.
long PeakRssKb();
long ChildrenPeakRssKb();
// Bytes malloc has handed out and not yet got back (jemalloc's
// stats.allocated), in KiB: the live data, whatever the allocator keeps
// resident after frees.
long HeapInUseKb();

bool ReadFile(const std::string& path, std::string* out);
bool WriteFile(const std::string& path, const std::string& text);

// One result line on stdout, "<key> <value>"; tools/bench parses these.
void Report(const std::string& key, double value);

// "--name value" and "--name=value" arguments after the mode word.
class Flags {
 public:
  // False (with *error set) on a word that is not a flag or lacks a value.
  bool Parse(int argc, char** argv, int first, std::string* error);
  std::string Get(const std::string& name, const std::string& fallback) const;
  int GetInt(const std::string& name, int fallback) const;
  bool Has(const std::string& name) const { return values_.count(name) > 0; }

 private:
  std::map<std::string, std::string> values_;
};

}  // namespace mlb::bench
