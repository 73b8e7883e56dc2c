// The renderer (core/render/renderer.cc, the sdk::Emitter) against a
// careless pack and a hostile tenant, through the whole update pipeline:
// the review pack (tests/test_packs/review_pack.cc), loaded next to the
// built-in packs, is scripted by the label HAPROXY_{n}_REVIEW_DO and the
// environment variable MLB_REVIEW_BEGIN.
//
// What must hold, whatever a pack or a label does:
//   - every section of the config starts with its own section line (a line
//     that lands before it joins the section before it: another app's);
//   - a misuse of the Emitter fails with a message naming the pack's
//     mistake, and never writes text somewhere else;
//   - a failure the Emitter recorded is not lost.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/base/text.h"
#include "core/config/haproxy_words.h"
#include "tests/support/testing.h"

namespace mlb {
namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

std::string Json(const std::string& s) { return testing::JsonString(s); }

// One app in group external with `ports` service ports, one task on
// 10.0.0.<host> with ports 31000 + i, and `labels`.
std::string App(const std::string& id, const Labels& labels,
                std::vector<int> ports = {10001}, int host = 1,
                const std::string& extra = "") {
  std::string l = R"("HAPROXY_GROUP": "external")";
  for (const auto& [k, v] : labels) {
    l += ", " + Json(k) + ": " + Json(v);
  }
  std::string service_ports;
  std::string task_ports;
  for (size_t i = 0; i < ports.size(); ++i) {
    service_ports += (i ? ", " : "") + std::to_string(ports[i]);
    task_ports += (i ? ", " : "") + std::to_string(31000 + host * 10 + i);
  }
  return "{\"id\": " + Json(id) + ", \"labels\": {" + l + "}, \"ports\": [" +
         service_ports + "], \"tasks\": [{\"id\": " + Json(id + ".1") +
         ", \"host\": \"10.0.0." + std::to_string(host) +
         "\", \"ports\": [" + task_ports + "]}]" + extra + "}";
}

std::string Apps(const std::vector<std::string>& apps) {
  std::string out = R"({"apps": [)";
  for (size_t i = 0; i < apps.size(); ++i) {
    out += (i ? ", " : "") + apps[i];
  }
  return out + "]}";
}

// Why a section of `config` does not start with its own section line, or
// "" when every one does: its first directive line must be its key
// ("backend a_10001", "frontend marathon_http_in", ...). The head section
// has none of its own.
std::string SectionProblem(const HaproxyConfig& config) {
  for (const ConfigSection& section : config.sections()) {
    if (section.key == "head") {
      continue;
    }
    const std::vector<DirectiveLine> lines = DirectiveLines(section.text);
    bool unused = false;
    const std::vector<std::string> key = Words(section.key, &unused);
    if (lines.empty()) {
      if (!section.servers.empty()) {
        return "section '" + section.key + "' has servers but no section line";
      }
      continue;
    }
    if (lines.front().words != key) {
      return "section '" + section.key + "' starts with '" +
             lines.front().text + "': that line joins the section before it";
    }
  }
  return "";
}

struct Rendered {
  Status status;
  std::string text;
  std::string maps;
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
  std::string section_problem;
};

class HostilePackTest : public testing::WithReviewPack<> {
 protected:
  void TearDown() override { unsetenv("MLB_REVIEW_BEGIN"); }

  // Renders on one thread, and on two to check they agree.
  static Rendered Render(const std::string& json,
                         testing::RenderOptions options = {}) {
    Rendered out;
    UpdateResult result;
    const testing::RenderResult r =
        testing::RenderWithThreads(*registry_, json, 1, options, &result);
    const testing::RenderResult two =
        testing::RenderWithThreads(*registry_, json, 2, options);
    EXPECT_EQ(r.status.message(), two.status.message());
    EXPECT_EQ(r.text, two.text);
    EXPECT_EQ(r.maps, two.maps);
    EXPECT_EQ(r.errors, two.errors);
    out.status = r.status;
    out.text = r.text;
    out.maps = r.maps;
    out.errors = r.errors;
    out.warnings = r.warnings;
    if (r.status.ok()) {
      out.section_problem = SectionProblem(result.generation.config);
    }
    return out;
  }
};

constexpr LabelPolicy kLevels[] = {LabelPolicy::kAllow,
                                   LabelPolicy::kRestricted,
                                   LabelPolicy::kDeny};

// ---------------------------------------------------------------------------
// The invariant holds for the built-in packs and what a tenant may do with
// them: heads emptied only in the declared pairs, on the same port.

TEST_F(HostilePackTest, BuiltinPacksKeepEverySectionUnderItsOwnLine) {
  const std::vector<Labels> cases = {
      {},
      {{"HAPROXY_0_VHOST", "a.example.com"}},
      {{"HAPROXY_0_VHOST", "a.example.com,b.example.com"},
       {"HAPROXY_0_REDIRECT_TO_HTTPS", "true"},
       {"HAPROXY_0_STICKY", "true"}},
      {{"HAPROXY_0_FRONTEND_HEAD", ""},
       {"HAPROXY_0_FRONTEND_BACKEND_GLUE", ""}},
      {{"HAPROXY_0_FRONTEND_HEAD", "\n"},
       {"HAPROXY_0_FRONTEND_BACKEND_GLUE", "  # nothing\n"}},
      {{"HAPROXY_0_FRONTEND_HEAD", ""},
       {"HAPROXY_1_FRONTEND_BACKEND_GLUE", ""}},
      {{"HAPROXY_1_FRONTEND_HEAD", ""},
       {"HAPROXY_0_FRONTEND_BACKEND_GLUE", ""}},
      {{"HAPROXY_0_FRONTEND_HEAD", ""}},
      {{"HAPROXY_0_BACKEND_HEAD", ""}},
      {{"HAPROXY_0_BACKEND_HEAD", "  # only a comment\n"}},
      {{"HAPROXY_0_BACKEND_HEAD", "  balance leastconn\nbackend {backend}\n"}},
      {{"HAPROXY_0_FRONTEND_HEAD", "  bind *:1\nfrontend {backend}\n"}},
      {{"HAPROXY_0_BACKEND_HTTP_OPTIONS", "backend other\n"}},
  };
  for (const LabelPolicy policy : kLevels) {
    if (policy == LabelPolicy::kAllow) {
      continue;  // allow writes what the labels say, at the operator's risk
    }
    for (const Labels& labels : cases) {
      testing::RenderOptions options;
      options.label_policy = policy;
      // /a sorts first: a line of /b that lands outside its own sections
      // joins /a's.
      const Rendered r =
          Render(Apps({App("/a", {}), App("/b", labels, {10002, 10003}, 2)}),
                 options);
      ASSERT_TRUE(r.status.ok()) << r.status.message();
      EXPECT_EQ(r.section_problem, "")
          << LabelPolicyName(policy) << " " << labels.size() << "\n"
          << r.text;
    }
  }
}

// An emptied head pair is per port: HAPROXY_0_FRONTEND_HEAD needs
// HAPROXY_0_FRONTEND_BACKEND_GLUE, not another port's.
TEST_F(HostilePackTest, EmptyWithPairsAreCheckedOnTheirOwnPort) {
  const Rendered r = Render(Apps({App(
      "/b",
      {{"HAPROXY_0_FRONTEND_HEAD", ""},
       {"HAPROXY_0_FRONTEND_BACKEND_GLUE", ""},
       {"HAPROXY_1_FRONTEND_HEAD", "\n  \n"},
       {"HAPROXY_2_FRONTEND_BACKEND_GLUE", ""}},
      {10002, 10003, 10004}, 2)}));
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.errors, (std::vector<std::string>{
                          "app /b, service port index 1: label "
                          "HAPROXY_1_FRONTEND_HEAD refused by --label-policy "
                          "restricted: an empty FRONTEND_HEAD needs an empty "
                          "HAPROXY_1_FRONTEND_BACKEND_GLUE too (its lines "
                          "would join the previous section); service port "
                          "skipped"}))
      << r.text;
  EXPECT_EQ(r.text.find("frontend b_10002"), std::string::npos);
  EXPECT_EQ(r.text.find("frontend b_10003"), std::string::npos);
  EXPECT_NE(r.text.find("frontend b_10004"), std::string::npos);
  EXPECT_NE(r.text.find("backend b_10002"), std::string::npos);
  EXPECT_EQ(r.section_problem, "");
}

// ---------------------------------------------------------------------------
// The Emitter refuses what a pack may not do, naming the mistake; a pack's
// mistake is kGlobal (the live config stays), never text somewhere else.

// A gtest parameter name for `actions`: "fe-line false" -> "fe_line_false".
std::string ParamName(const std::string& actions) {
  std::string name;
  for (const char c : actions) {
    name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  }
  return name;
}

struct Misuse {
  const char* action;  // HAPROXY_0_REVIEW_DO
  const char* message;  // of the failed generation
};

class EmitterMisuseTest : public HostilePackTest,
                          public ::testing::WithParamInterface<Misuse> {};

TEST_P(EmitterMisuseTest, FailsTheGenerationNamingTheMistake) {
  const Rendered r = Render(
      Apps({App("/a", {}), App("/b", {{"HAPROXY_0_REVIEW_DO",
                                        GetParam().action}}, {10002}, 2)}));
  EXPECT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, EmitterMisuseTest,
    ::testing::Values(
        Misuse{"inline",
               "template REVIEW_INLINE has no section: render it with "
               "Emitter::Render"},
        Misuse{"bad-id",
               "template family review (pack test.review) has no template "
               "1010"},
        Misuse{"server-frontend",
               "template REVIEW_FE_LINE renders server lines: it goes to a "
               "backend, from AddServer"},
        Misuse{"server-inline",
               "template REVIEW_INLINE renders server lines: it goes to a "
               "backend, from AddServer"},
        Misuse{"false", "template family review failed without saying why"},
        Misuse{"fe-line false",
               "template family review failed without saying why"}),
    [](const ::testing::TestParamInfo<Misuse>& info) {
      return ParamName(info.param.action);
    });

struct BeginMisuse {
  const char* actions;  // MLB_REVIEW_BEGIN
  const char* message;
};

class BeginMisuseTest : public HostilePackTest,
                        public ::testing::WithParamInterface<BeginMisuse> {};

TEST_P(BeginMisuseTest, FailsTheGenerationNamingTheMistake) {
  setenv("MLB_REVIEW_BEGIN", GetParam().actions, 1);
  const Rendered r = Render(Apps({App("/a", {})}));
  EXPECT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, BeginMisuseTest,
    ::testing::Values(
        BeginMisuse{"per-service",
                    "template REVIEW_FE_LINE goes to a service's section: add "
                    "it from AddService, not Begin"},
        BeginMisuse{"server",
                    "template REVIEW_LAST renders server lines: it goes to a "
                    "backend, from AddServer"},
        BeginMisuse{"global false",
                    "template family review failed without saying why"}),
    [](const ::testing::TestParamInfo<BeginMisuse>& info) {
      return ParamName(info.param.actions);
    });

TEST_F(HostilePackTest, FamilyThatThrowsFailsTheGenerationNamingThePack) {
  const Rendered r = Render(Apps(
      {App("/a", {}),
       App("/b", {{"HAPROXY_0_REVIEW_DO", "fe-line throw"}}, {10002}, 2)}));
  EXPECT_EQ(r.status.message(), "template family review (" +
                                    testing::ReviewPackPath() +
                                    ") threw: review AddService threw");
  setenv("MLB_REVIEW_BEGIN", "throw", 1);
  EXPECT_EQ(Render(Apps({App("/a", {})})).status.message(),
            "template family review (" + testing::ReviewPackPath() +
                ") threw: review Begin threw");
}

TEST_F(HostilePackTest, BeginMayAddToTheHeadAndSharedSections) {
  setenv("MLB_REVIEW_BEGIN", "global", 1);
  const Rendered r = Render(Apps({App("/a", {})}));
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_NE(r.text.find("  # review global\n"), std::string::npos);
  EXPECT_EQ(r.section_problem, "");
}

// Orders at the extremes sort as numbers (no overflow), equal orders keep
// the order of the calls.
TEST_F(HostilePackTest, ExtremeOrdersSortAsNumbers) {
  const Rendered r = Render(Apps({App(
      "/a", {{"HAPROXY_0_REVIEW_DO", "last"},
             {"HAPROXY_0_REVIEW_FIRST", "  # review first {backend}\n"}})}));
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  const size_t first = r.text.find("  # review first a_10001\n");
  const size_t head = r.text.find("\nbackend a_10001\n");
  const size_t last = r.text.find("  # review last a_10001\n");
  const size_t server = r.text.find("  server ");
  ASSERT_NE(first, std::string::npos) << r.text;
  ASSERT_NE(last, std::string::npos) << r.text;
  EXPECT_LT(first, head);  // INT32_MIN: before the head (see below)
  EXPECT_LT(head, last);
  EXPECT_LT(last, server);  // server lines come last
}

// An inline template renders into a placeholder value; a label that puts a
// line end into it is refused under restricted (the label) and at the
// other levels when the value reaches the line it is spliced into.
TEST_F(HostilePackTest, InlineTemplateLineEndsNeverReachTheConfig) {
  for (const char* value : {" x\n  lua-load /x.lua\n", "x\ry", "x\r\n y",
                            "\nx\n\ny"}) {
    for (const LabelPolicy policy : kLevels) {
      testing::RenderOptions options;
      options.label_policy = policy;
      const Rendered r = Render(
          Apps({App("/a", {{"HAPROXY_0_REVIEW_DO", "render-inline"},
                           {"HAPROXY_0_REVIEW_INLINE", value}})}),
          options);
      ASSERT_TRUE(r.status.ok()) << r.status.message();
      ASSERT_EQ(r.errors.size(), 1u)
          << QuoteValue(value) << " " << LabelPolicyName(policy) << "\n"
          << r.text;
      EXPECT_EQ(r.text.find("lua-load"), std::string::npos);
      EXPECT_EQ(r.text.find("review frontend line"), std::string::npos);
    }
  }
}

// A Marathon value with a line end never adds a line, whichever template
// places it (default, or a label at any level) and whichever field brings
// it: the health check's path and its other string fields, the task's host
// (container networking, where the host is not resolved).
TEST_F(HostilePackTest, MarathonLineEndsNeverAddALine) {
  const std::vector<std::string> check_templates = {
      "BACKEND_HTTP_HEALTHCHECK_OPTIONS", "BACKEND_TCP_HEALTHCHECK_OPTIONS",
      "BACKEND_SERVER_HTTP_HEALTHCHECK_OPTIONS",
      "BACKEND_SERVER_TCP_HEALTHCHECK_OPTIONS"};
  int checked = 0;
  for (const char* end : {"\n", "\r", "\r\n"}) {
    const std::string evil = std::string("/ok") + end + "  lua-load /x.lua";
    struct Field {
      const char* placeholder;
      std::string check;  // the healthChecks entry
    };
    for (const Field& field : {
             Field{"healthCheckPath", "{\"protocol\": \"HTTP\", "
                                      "\"portIndex\": 0, \"path\": " +
                                          Json(evil) + "}"},
             Field{"healthCheck[path]", "{\"protocol\": \"HTTP\", "
                                        "\"portIndex\": 0, \"path\": " +
                                            Json(evil) + "}"},
             Field{"healthCheck[protocol]",
                   "{\"protocol\": " + Json(evil) + ", \"portIndex\": 0}"},
             Field{"healthCheck[ipProtocol]",
                   "{\"protocol\": \"TCP\", \"portIndex\": 0, "
                   "\"ipProtocol\": " + Json(evil) + "}"}}) {
      for (const LabelPolicy policy : kLevels) {
        for (const bool label : {false, true}) {
          if (!label && std::string(field.placeholder) != "healthCheckPath") {
            continue;  // the defaults use {healthCheckPath} only
          }
          if (label && policy == LabelPolicy::kDeny) {
            continue;
          }
          Labels labels;
          if (label) {
            for (const std::string& t : check_templates) {
              const bool inline_option = t.find("_SERVER_") != std::string::npos;
              labels.push_back(
                  {"HAPROXY_0_" + t,
                   inline_option
                       ? std::string(" check inter 1s #{") +
                             field.placeholder + "}"
                       : std::string("  # {") + field.placeholder + "}\n"});
            }
          }
          testing::RenderOptions options;
          options.label_policy = policy;
          const Rendered r = Render(
              Apps({App("/a", {}),
                    App("/h", labels, {10002}, 2,
                        ", \"healthChecks\": [" + field.check + "]")}),
              options);
          ASSERT_TRUE(r.status.ok()) << r.status.message();
          EXPECT_EQ(r.text.find("lua-load"), std::string::npos)
              << field.placeholder << " " << QuoteValue(end) << " "
              << LabelPolicyName(policy) << (label ? " label" : " default");
          EXPECT_EQ(r.errors.size(), 1u)
              << field.placeholder << " " << QuoteValue(end) << " "
              << LabelPolicyName(policy) << (label ? " label" : " default");
          EXPECT_EQ(r.section_problem, "");
          ++checked;
        }
      }
    }
  }
  // The task host, through a label of the server line (container
  // networking: the host is not resolved).
  for (const char* end : {"\n", "\r"}) {
    for (const LabelPolicy policy :
         {LabelPolicy::kAllow, LabelPolicy::kRestricted}) {
      testing::RenderOptions options;
      options.label_policy = policy;
      const Rendered r = Render(
          Apps({"{\"id\": \"/c\", \"labels\": {\"HAPROXY_GROUP\": "
                "\"external\", \"HAPROXY_0_BACKEND_SERVER_OPTIONS\": "
                "\"  server {serverName} {host_ipv4}:{port} # {host}\\n\"}, "
                "\"ipAddress\": {\"discovery\": {\"ports\": [{\"number\": "
                "8080}]}}, \"portDefinitions\": [{\"port\": 10001}], "
                "\"tasks\": [{\"id\": \"c.1\", \"host\": " +
                Json(std::string("agent") + end + "  lua-load /x.lua") +
                ", \"ipAddresses\": [{\"ipAddress\": \"10.1.0.1\"}]}]}"}),
          options);
      ASSERT_TRUE(r.status.ok()) << r.status.message();
      EXPECT_EQ(r.text.find("lua-load"), std::string::npos);
      EXPECT_EQ(r.errors.size(), 1u) << LabelPolicyName(policy);
      ++checked;
    }
  }
  EXPECT_EQ(checked, 3 * (3 + 3 * 2 + 2) + 4);
}

// ---------------------------------------------------------------------------
// Review defects: these fail until the renderer enforces them.

// A line that lands before its section's own line joins the section before
// it in the config: another app's backend or frontend, or the head's
// `listen stats`. Each shape is a pack declaration that the loader accepts
// and a tenant's labels (restricted) or a careless pack. /a sorts first:
// its sections are the ones the lines would join.
struct Orphan {
  const char* name;
  Labels labels;           // of /b
  bool bind_http_https;
};

class OrphanLineTest : public HostilePackTest,
                       public ::testing::WithParamInterface<Orphan> {};

TEST_P(OrphanLineTest, NoLineJoinsTheSectionBeforeIt) {
  testing::RenderOptions options;
  options.bind_http_https = GetParam().bind_http_https;
  const Rendered r = Render(
      Apps({App("/a", {{"HAPROXY_0_REVIEW_DO", "ul"}}),
            App("/b", GetParam().labels, {10002}, 2)}),
      options);
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.section_problem, "") << r.text;
}

INSTANTIATE_TEST_SUITE_P(
    ReviewDefects, OrphanLineTest,
    ::testing::Values(
        // REVIEW_FIRST (order INT32_MIN, overridable, empty by default): the
        // label's server line goes before "backend b_10002", i.e. into
        // /a's backend, after a's servers. restricted accepts it.
        Orphan{"server_before_the_backend_head",
               {{"HAPROXY_0_REVIEW_FIRST", "  server evil 127.0.0.1:9\n"}},
               true},
        Orphan{"option_before_the_backend_head",
               {{"HAPROXY_0_REVIEW_FIRST", "  balance first\n"}},
               true},
        // The documented "disable binding" pair empties the frontend the
        // frontends pack writes; another pack's line in that section stays.
        Orphan{"frontend_emptied_with_another_packs_line",
               {{"HAPROXY_0_FRONTEND_HEAD", ""},
                {"HAPROXY_0_FRONTEND_BACKEND_GLUE", ""},
                {"HAPROXY_0_REVIEW_DO", "fe-line"}},
               true},
        // REVIEW_UL_HEAD's pack declares empty_with REVIEW_UL_BODY but also
        // writes REVIEW_UL_FIXED there.
        Orphan{"head_emptied_with_an_undeclared_body_line",
               {{"HAPROXY_0_REVIEW_DO", "ul ul-fixed"},
                {"HAPROXY_0_REVIEW_UL_HEAD", ""},
                {"HAPROXY_0_REVIEW_UL_BODY", ""}},
               true},
        // A pack that adds to marathon_http_in whatever bind_http_https
        // says: with --dont-bind-http-https that section has no head.
        Orphan{"shared_frontend_without_its_head",
               {{"HAPROXY_0_REVIEW_DO", "http-line"}},
               false},
        // A pack that does not pass on a failed Add (the head's label needs
        // a placeholder the pack does not set): the body is added alone.
        Orphan{"failed_head_ignored_by_the_pack",
               {{"HAPROXY_0_REVIEW_DO", "ul-ignoring-failure"},
                {"HAPROXY_0_REVIEW_UL_HEAD",
                 "\nuserlist user_{backend}\n  # {bogus}\n"}},
               true}),
    [](const ::testing::TestParamInfo<Orphan>& info) {
      return std::string(info.param.name);
    });

// An error the Emitter recorded (a failed Add, or Fail) drops the service
// port even when the family returns true.
TEST_F(HostilePackTest, AFailureTheEmitterRecordedIsNotLost) {
  struct Shape {
    Labels labels;
    const char* error;
  };
  for (const Shape& shape :
       {Shape{{{"HAPROXY_0_REVIEW_DO", "fail-but-true"}},
              "app /b, service port index 0: review failed but returned "
              "true; service port skipped"},
        Shape{{{"HAPROXY_0_REVIEW_DO", "ul-ignoring-failure"},
               {"HAPROXY_0_REVIEW_UL_HEAD",
                "\nuserlist user_{backend}\n  # {bogus}\n"}},
              "app /b, service port index 0: label HAPROXY_0_REVIEW_UL_HEAD: "
              "unknown placeholder {bogus}; service port skipped"}}) {
    const Rendered r =
        Render(Apps({App("/a", {}), App("/b", shape.labels, {10002}, 2)}));
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.errors, (std::vector<std::string>{shape.error}));
    EXPECT_EQ(r.text.find("b_10002"), std::string::npos) << r.text;
  }
}

// Emitter::AddOnce: of every service that adds a line under one key, only
// the first (in app id, service port order, whatever thread rendered it)
// puts it in the config; a failed service's line is not the first. A pack
// that adds one to a service's own section fails the update (its bug, not
// the app's: the live config stays).
TEST_F(HostilePackTest, AddOnceKeepsTheFirstServicesLineOnly) {
  const Rendered r = Render(Apps(
      {App("/a", {{"HAPROXY_0_REVIEW_DO", "once fail-empty"}}),
       App("/b", {{"HAPROXY_0_REVIEW_DO", "once"}}, {10002}, 2),
       App("/c", {{"HAPROXY_0_REVIEW_DO", "once"}}, {10003}, 3)}));
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.text.find("  description review http line b_10002\n"),
            std::string::npos)
      << r.text;
  EXPECT_EQ(r.text.find("review http line a_10001"), std::string::npos);
  EXPECT_EQ(r.text.find("review http line c_10003"), std::string::npos);

  const Rendered own = Render(
      Apps({App("/d", {{"HAPROXY_0_REVIEW_DO", "once-backend"}})}));
  EXPECT_EQ(own.status.message(),
            "template REVIEW_LAST is added once per config from AddService, "
            "into a section the services share");
}

// Map files: declared in Begin, one word per key and value, each line once
// in service order; a line that breaks the rule drops only its service
// port. A map a family did not declare, or that is not a plain file name
// beside the config, is the family's error.
TEST_F(HostilePackTest, MapLinesAreOneWordEachAndOnlyInDeclaredMaps) {
  setenv("MLB_REVIEW_BEGIN", "map", 1);
  const Rendered r = Render(Apps(
      {App("/a", {{"HAPROXY_0_REVIEW_DO", "map-entry"},
                  {"HAPROXY_0_REVIEW_WORD", "key-a"}}),
       App("/b", {{"HAPROXY_0_REVIEW_DO", "map-spaced-key"}}, {10002}, 2),
       App("/c", {{"HAPROXY_0_REVIEW_DO", "map-comment-value"}}, {10003}, 3),
       App("/e", {{"HAPROXY_0_REVIEW_DO", "map-entry map-entry"},
                  {"HAPROXY_0_REVIEW_WORD", "key-e"}}, {10005}, 5)}));
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.maps, "# review.map\nkey-a a_10001\nkey-e e_10005\n");
  EXPECT_EQ(r.errors,
            (std::vector<std::string>{
                "app /b, service port index 0: map review.map: key 'a b' has "
                "a space or a control character; service port skipped",
                "app /c, service port index 0: map review.map: value "
                "'#c_10003' starts with '#', which makes the line a comment; "
                "service port skipped"}));

  const Rendered other =
      Render(Apps({App("/d", {{"HAPROXY_0_REVIEW_DO", "map-other"}})}));
  EXPECT_EQ(other.status.message(),
            "template family review added to map other.map, which it did not "
            "declare in Begin");

  setenv("MLB_REVIEW_BEGIN", "bad-map", 1);
  const Rendered bad = Render(Apps({App("/a", {})}));
  EXPECT_EQ(bad.status.message(),
            "template family review: map 'sub/review.map' has '/': a map is a "
            "plain file name (letters, digits, '.', '_', '-')");
}

// Fail("") drops the port with a line that says nothing: the host should
// name the family (as it does for a false without Fail).
TEST_F(HostilePackTest, FailWithoutAMessageStillSaysWhy) {
  const Rendered r = Render(Apps(
      {App("/a", {}), App("/b", {{"HAPROXY_0_REVIEW_DO", "fail-empty"}},
                          {10002}, 2)}));
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0], "app /b, service port index 0: ; service port skipped");
  EXPECT_NE(r.errors[0].find("review"), std::string::npos) << r.errors[0];
}

// A WORD label (no space, quote, backslash, brace or '#') is one word of a
// config line, and a pack may well write it inside double quotes, where
// HAProxy expands environment variables: the LB's secrets would go to the
// app (set-header X-Review "$MARATHON_PASSWORD"; "${...}" is refused for
// its braces, "$NAME" is not). The Marathon values used as words refuse '$'
// for this reason (MarathonWordProblem); the word kinds of labels do not.
TEST_F(HostilePackTest, WordLabelInsideQuotesExpandsNoEnvironmentVariable) {
  for (const char* value : {"${MARATHON_PASSWORD}", "$MARATHON_PASSWORD",
                            "x${HOME}y", "$"}) {
    for (const LabelPolicy policy : kLevels) {
      testing::RenderOptions options;
      options.label_policy = policy;
      const Rendered r = Render(
          Apps({App("/b", {{"HAPROXY_0_REVIEW_DO", "quoted"},
                           {"HAPROXY_0_REVIEW_WORD", value}})}),
          options);
      ASSERT_TRUE(r.status.ok()) << r.status.message();
      EXPECT_EQ(r.text.find("X-Review \"" + std::string(value)),
                std::string::npos)
          << value << " at " << LabelPolicyName(policy);
      EXPECT_EQ(r.errors.size(), 1u) << value;
    }
  }
}

// A hostile Marathon (or whatever writes its task state): values the
// config uses as numbers and addresses are used as they come. One bad
// number makes `haproxy -c` refuse the whole config (HAProxy 2.6: "invalid
// port '70000'", "port offset not permitted here in '*:-5'", "invalid port
// '0'", "'server a/s' : invalid port '99999'"), so no app gets an update; an
// address with a space or '#' rewrites the server line ("unix@/var/run/
// haproxy/socket #" sends the app's traffic to HAProxy's admin socket). Each
// should drop only its task or service port, with a line saying why.
TEST_F(HostilePackTest, MarathonNumbersAndAddressesOutOfTheirRange) {
  // Service ports.
  for (const char* port : {"0", "-5", "65536", "70000", "2147483647"}) {
    const Rendered r = Render(Apps(
        {App("/a", {}),
         "{\"id\": \"/p\", \"labels\": {\"HAPROXY_GROUP\": \"external\"}, "
         "\"portDefinitions\": [{\"port\": " + std::string(port) +
             "}, {\"port\": 10009}], \"tasks\": [{\"id\": \"p.1\", "
             "\"host\": \"10.0.0.3\", \"ports\": [31001, 31002]}]}"}));
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.text.find("bind *:" + std::string(port) + "\n"),
              std::string::npos)
        << "service port " << port;
    EXPECT_NE(r.text.find("bind *:10009\n"), std::string::npos) << port;
    EXPECT_EQ(r.errors.size(), 1u) << "service port " << port;
  }
  // Task ports.
  for (const char* port : {"0", "-1", "65536", "99999"}) {
    const Rendered r = Render(Apps(
        {"{\"id\": \"/p\", \"labels\": {\"HAPROXY_GROUP\": \"external\"}, "
         "\"ports\": [10009], \"tasks\": [{\"id\": \"p.1\", \"host\": "
         "\"10.0.0.3\", \"ports\": [" + std::string(port) +
             "]}, {\"id\": \"p.2\", \"host\": \"10.0.0.4\", \"ports\": "
             "[31002]}]}"}));
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.text.find("10.0.0.3:" + std::string(port)), std::string::npos)
        << "task port " << port;
    EXPECT_NE(r.text.find("10.0.0.4:31002"), std::string::npos) << port;
  }
  // Container addresses (ipAddresses[].ipAddress).
  for (const char* address :
       {"unix@/var/run/haproxy/socket #", "1.2.3.4 backup", "127.0.0.1:9090 #",
        "/run/x.sock", "abns@x", "fd@3", "1.2.3.4{", "", "not-an-address",
        "1.2.3.4\n  lua-load /x.lua"}) {
    const Rendered r = Render(Apps(
        {"{\"id\": \"/c\", \"labels\": {\"HAPROXY_GROUP\": \"external\"}, "
         "\"ipAddress\": {\"discovery\": {\"ports\": [{\"number\": 8080}]}}, "
         "\"portDefinitions\": [{\"port\": 10001}], \"tasks\": ["
         "{\"id\": \"c.1\", \"host\": \"10.0.0.1\", \"ipAddresses\": "
         "[{\"ipAddress\": " + Json(address) + "}]}, "
         "{\"id\": \"c.2\", \"host\": \"10.0.0.2\", \"ipAddresses\": "
         "[{\"ipAddress\": \"10.1.0.2\"}]}]}"}));
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.text.find(" " + std::string(address) + ":8080"),
              std::string::npos)
        << QuoteValue(address) << "\n" << r.text;
    EXPECT_NE(r.text.find(" 10.1.0.2:8080 "), std::string::npos)
        << QuoteValue(address) << ": the good task stays";
  }
}

}  // namespace
}  // namespace mlb
