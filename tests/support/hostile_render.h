// For tests that render a hostile app next to a good one and check that
// HAProxy still accepts the config: the render with a resolvable agent, a
// real `haproxy -c` on the text, and the check that the error names the
// hostile app's port and label.
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <string>
#include <vector>

#include "core/base/process.h"
#include "tests/support/testing.h"

namespace mlb::testing {

class HostileRenderTest : public WithBuiltinPacks<> {
 protected:
  // `json` rendered with agent1 -> 1.1.1.1.
  RenderResult RenderApps(const std::string& json,
                          RenderOptions options = {}) {
    options.hosts.emplace("agent1", "1.1.1.1");
    RenderResult r = Render(*registry_, json, options);
    EXPECT_TRUE(r.status.ok()) << r.status.message();
    return r;
  }

  // `haproxy -c` on `text`, every "crt <path>" pointed at a generated
  // certificate: "" when HAProxy accepts it, else HAProxy's output.
  static std::string HaproxyRefusal(std::string text) {
    // One directory per process: test runs of other checkouts on this
    // machine would otherwise rewrite check.cfg under this one.
    static const std::string dir = [] {
      const std::string d = ::testing::TempDir() + "/hostile_render." +
                            std::to_string(getpid());
      std::atexit([] {
        std::error_code ignored;
        std::filesystem::remove_all(::testing::TempDir() + "/hostile_render." +
                                        std::to_string(getpid()),
                                    ignored);
      });
      return d;
    }();
    const std::string pem = dir + "/test.pem";
    if (system(("mkdir -p " + dir + " && [ -s " + pem +
                " ] || openssl req -x509 -newkey rsa:2048 -nodes -days 1 "
                "-subj /CN=test -keyout " + dir + "/k.pem -out " + dir +
                "/c.pem 2>/dev/null && cat " + dir + "/c.pem " + dir +
                "/k.pem > " + pem)
                   .c_str()) != 0) {
      return "cannot make a test certificate";
    }
    for (size_t at = text.find("crt "); at != std::string::npos;
         at = text.find("crt ", at + 4 + pem.size())) {
      const size_t end = text.find_first_of(" \n", at + 4);
      text.replace(at + 4, end - at - 4, pem);
    }
    const std::string cfg = dir + "/check.cfg";
    WriteFile(cfg, text);
    CommandResult result;
    if (!RunCommand({"haproxy", "-c", "-f", cfg}, &result).ok()) {
      return "cannot run haproxy";
    }
    return result.exit_code == 0 ? "" : result.output;
  }
};

// Whether one of `errors` drops service port 0 of /evil naming `label`.
inline bool MentionsEvilPortAndLabel(const std::vector<std::string>& errors,
                                     const std::string& label) {
  for (const std::string& e : errors) {
    if (e.find("app /evil, service port index 0") != std::string::npos &&
        e.find(label) != std::string::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace mlb::testing
