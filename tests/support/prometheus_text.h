// /metrics read back in tests: by the Prometheus client's own text parser
// (Debian's python3-prometheus-client under the system's python3, which
// tools/install-deps installs), and one sample's value.
#pragma once

#include <cstdlib>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "core/base/process.h"

namespace mlb::testing {

// The samples the Prometheus text parser reads in `text`, one line each:
// "family type sample {label=value,...} value". A parse error (or no parser)
// fails the test, with the parser's output.
inline std::string PrometheusParsed(const std::string& text) {
  static const char kScript[] =
      "import sys\n"
      "from prometheus_client.parser import text_string_to_metric_families\n"
      "for f in text_string_to_metric_families(sys.argv[1]):\n"
      "    for s in f.samples:\n"
      "        labels = ','.join('%s=%s' % (k, v)\n"
      "                          for k, v in sorted(s.labels.items()))\n"
      "        print(f.name, f.type, s.name, '{' + labels + '}', s.value)\n";
  CommandResult result;
  const Status s =
      RunCommand({"/usr/bin/python3", "-c", kScript, text}, &result, 30000);
  EXPECT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(result.exit_code, 0)
      << "the Prometheus parser refused the text (or is not installed: "
         "tools/install-deps installs python3-prometheus-client):\n"
      << result.output << "\n---\n"
      << text;
  return result.output;
}

// The value of the sample written `sample` ("marathonlb_syncs_total" or
// "marathonlb_syncs_total{result=\"ok\"}") in the text format; -1 if none.
inline double MetricValue(const std::string& text, const std::string& sample) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.compare(0, sample.size() + 1, sample + " ") == 0) {
      return std::strtod(line.c_str() + sample.size() + 1, nullptr);
    }
  }
  return -1;
}

}  // namespace mlb::testing
