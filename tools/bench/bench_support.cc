#include "tools/bench/bench_support.h"

#include <jemalloc/jemalloc.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace mlb::bench {

double Median(std::vector<double> samples) {
  if (samples.empty()) {
    return 0;
  }
  std::sort(samples.begin(), samples.end());
  const size_t mid = samples.size() / 2;
  if (samples.size() % 2 == 1) {
    return samples[mid];
  }
  return (samples[mid - 1] + samples[mid]) / 2;
}

void SampleSet::Add(const std::string& metric, double value) {
  for (auto& [name, values] : metrics_) {
    if (name == metric) {
      values.push_back(value);
      return;
    }
  }
  metrics_.push_back({metric, {value}});
}

void SampleSet::ReportMedians() const {
  for (const auto& [name, values] : metrics_) {
    Report(name, Median(values));
  }
}

namespace {

long MaxRssKb(int who) {
  rusage usage{};
  return getrusage(who, &usage) == 0 ? usage.ru_maxrss : -1;
}

}  // namespace

long PeakRssKb() { return MaxRssKb(RUSAGE_SELF); }

long ChildrenPeakRssKb() { return MaxRssKb(RUSAGE_CHILDREN); }

long HeapInUseKb() {
  // jemalloc's count of the bytes the program holds (its statistics are
  // refreshed by writing "epoch").
  uint64_t epoch = 1;
  size_t size = sizeof(epoch);
  mallctl("epoch", &epoch, &size, &epoch, size);
  size_t allocated = 0;
  size = sizeof(allocated);
  if (mallctl("stats.allocated", &allocated, &size, nullptr, 0) != 0) {
    return -1;
  }
  return static_cast<long>(allocated / 1024);
}

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return false;
  }
  std::ostringstream text;
  text << in.rdbuf();
  *out = std::move(text).str();
  return true;
}

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  return static_cast<bool>(out);
}

void Report(const std::string& key, double value) {
  std::printf("%s %.10g\n", key.c_str(), value);
  std::fflush(stdout);
}

bool Flags::Parse(int argc, char** argv, int first, std::string* error) {
  for (int i = first; i < argc; ++i) {
    std::string word = argv[i];
    if (word.rfind("--", 0) != 0) {
      *error = "unexpected argument '" + word + "'";
      return false;
    }
    word = word.substr(2);
    const size_t equals = word.find('=');
    if (equals != std::string::npos) {
      values_[word.substr(0, equals)] = word.substr(equals + 1);
      continue;
    }
    if (i + 1 >= argc) {
      *error = "flag --" + word + " needs a value";
      return false;
    }
    values_[word] = argv[++i];
  }
  return true;
}

std::string Flags::Get(const std::string& name,
                       const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

int Flags::GetInt(const std::string& name, int fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : std::atoi(it->second.c_str());
}

}  // namespace mlb::bench
