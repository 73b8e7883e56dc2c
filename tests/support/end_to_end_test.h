// The common ground of the end-to-end fixtures (integration, tls, packs,
// live): the binaries `meson test` names, a scratch directory per test with an
// empty templates/ and the path of haproxy.cfg, and echo backends that stop
// with the test.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/integration_support.h"

namespace mlb::integration {

class EndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A poll interval would make `marathon-lb poll` loop forever; a framework
    // name would hide an app.
    unsetenv("POLL_INTERVAL");
    unsetenv("FRAMEWORK_NAME");
    mlb_binary_ = RequiredEnv("MLB_BINARY");
    sim_binary_ = RequiredEnv("MLB_SIM_BINARY");
    echo_binary_ = RequiredEnv("MLB_ECHO_BINARY");
    plugin_dir_ = RequiredEnv("MLB_PLUGIN_DIR");
    dir_ = std::make_unique<TempDir>();
    templates_dir_ = dir_->File("templates");
    std::filesystem::create_directory(templates_dir_);
    cfg_ = dir_->File("haproxy.cfg");
  }

  // templates/HAPROXY_<name>, read by marathon-lb --templates-dir.
  void WriteTemplate(const std::string& name, const std::string& text) {
    WriteFile(templates_dir_ + "/HAPROXY_" + name, text);
  }

  // HEAD (stats socket in the test dir) and the :80, :9091 and :443
  // frontends on 127.0.0.1 at the given ports.
  void WriteLoopbackFrontends(int http_port, int appid_port, int https_port) {
    WriteTemplate("HEAD", LoopbackHead(dir_->File("haproxy.sock")));
    WriteTemplate("HTTP_FRONTEND_HEAD",
                  LoopbackFrontendHead("marathon_http_in", http_port));
    WriteTemplate("HTTP_FRONTEND_APPID_HEAD",
                  LoopbackFrontendHead("marathon_http_appid_in", appid_port));
    WriteTemplate("HTTPS_FRONTEND_HEAD",
                  LoopbackFrontendHead("marathon_https_in", https_port,
                                       " ssl {sslCerts}"));
  }

  // Starts an echo backend answering NAME on ip:<free port>; returns the port.
  int StartEcho(const std::string& name, const std::string& ip) {
    return StartEchoBackend(echo_binary_, *dir_, name, ip, &echoes_);
  }

  // An http app of group external on service port `port`, bound to
  // 127.0.0.1, with `labels` and one task: an echo backend answering as
  // `name` on `ip`.
  std::string EchoApp(const std::string& id, int port, const std::string& name,
                      const std::string& ip,
                      std::map<std::string, std::string> labels) {
    labels.emplace("HAPROXY_GROUP", "external");
    labels.emplace("HAPROXY_0_BIND_ADDR", "127.0.0.1");
    labels.emplace("HAPROXY_0_MODE", "http");
    return AppJson(id, {port}, labels, {{ip, {StartEcho(name, ip)}}});
  }

  // One `marathon-lb poll` update of `state` (through a file: URL) into cfg_
  // (group external, no :80/:443), with `extra` flags (the reload command
  // `true` unless they name one); its output in marathon-lb-<N>.log.
  RunResult Poll(const std::string& state,
                 const std::vector<std::string>& extra = {}) {
    const std::string state_file = dir_->File("state.json");
    AtomicWrite(state_file, state);
    std::vector<std::string> argv = {
        mlb_binary_,        "poll",
        "--marathon",       "file:" + state_file,
        "--haproxy-config", cfg_,
        "--group",          "external",
        "--templates-dir",  templates_dir_,
        "--plugin-dir",     plugin_dir_,
        "--dont-bind-http-https",
        "--syslog-socket",  "/dev/null"};
    if (std::find(extra.begin(), extra.end(), "--command") == extra.end()) {
      argv.insert(argv.end(), {"--command", "true"});
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunBounded(argv,
                      dir_->File("marathon-lb-" + std::to_string(++poll_runs_) +
                                 ".log"));
  }

  std::string mlb_binary_, sim_binary_, echo_binary_, plugin_dir_;
  std::unique_ptr<TempDir> dir_;
  std::string templates_dir_, cfg_;
  std::vector<std::unique_ptr<ScopedProcess>> echoes_;
  int poll_runs_ = 0;  // Poll()s so far
};

}  // namespace mlb::integration
