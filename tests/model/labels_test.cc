// The label table: the core's labels and the packs' declared ones, every
// 2015 label read by its kind, and a bad value dropping only its own service
// port with one line naming app, label and value.
#include "core/model/labels.h"

#include <gtest/gtest.h>

#include "tests/support/testing.h"

namespace mlb {
namespace {

class LabelsTest : public testing::WithBuiltinPacks<> {
 protected:
  Status Parse(const std::map<std::string, std::string>& labels, int n,
               PortLabels* out) {
    warnings_.clear();
    return ParsePortLabels(labels, n, registry_->labels(), registry_->catalog(),
                           out, &warnings_);
  }
  // The value of pack label `name` ("HAPROXY_{n}_STICKY"), or null.
  static const sdk::LabelValue* Value(const PortLabels& pl,
                                      const std::string& name) {
    return testing::PackLabelValue(pl, name);
  }
  std::vector<std::string> warnings_;
};

// The core declares the labels that define a service port; the built-in
// packs the others, each with its kind.
TEST_F(LabelsTest, TableDeclaresEveryLabel) {
  std::vector<std::string> rows;
  for (const LabelSpec& spec : registry_->labels().labels()) {
    rows.push_back(spec.name + " " + std::string(LabelKindName(spec.kind)) +
                   " " + (spec.family.empty() ? "core" : spec.family));
    EXPECT_FALSE(spec.description.empty()) << spec.name;
  }
  EXPECT_EQ(rows, (std::vector<std::string>{
                      "HAPROXY_GROUP group list core",
                      "HAPROXY_{n}_GROUP group list core",
                      "HAPROXY_{n}_ENABLED bool core",
                      "HAPROXY_{n}_VHOST host list core",
                      "HAPROXY_{n}_BIND_ADDR bind address core",
                      "HAPROXY_{n}_PORT port core",
                      "HAPROXY_{n}_MODE mode core",
                      "HAPROXY_{n}_BACKEND_HEALTHCHECK_PORT_INDEX integer core",
                      "HAPROXY_DEPLOYMENT_GROUP word core",
                      "HAPROXY_DEPLOYMENT_STARTED_AT text core",
                      "HAPROXY_DEPLOYMENT_TARGET_INSTANCES integer core",
                      "HAPROXY_DEPLOYMENT_NEW_INSTANCES integer core",
                      "HAPROXY_DEPLOYMENT_ALT_PORT port core",
                      "HAPROXY_DEPLOYMENT_COLOUR word core",
                      "HAPROXY_APP_ID text core",
                      "HAPROXY_{n}_<TEMPLATE> template core",
                      "HAPROXY_{n}_AUTH text auth",
                      "HAPROXY_{n}_USE_HSTS bool backends",
                      "HAPROXY_{n}_HTTP_BACKEND_PROXYPASS_PATH word backends",
                      "HAPROXY_{n}_HTTP_BACKEND_REVPROXY_PATH word backends",
                      "HAPROXY_{n}_HTTP_BACKEND_REDIR word backends",
                      "HAPROXY_{n}_BALANCE words backends",
                      "HAPROXY_{n}_BACKEND_NETWORK_ALLOWED_ACL network list "
                      "backends",
                      "HAPROXY_{n}_SSL_CERT certificate frontends",
                      "HAPROXY_{n}_PATH words frontends",
                      "HAPROXY_{n}_BIND_OPTIONS words frontends",
                      "HAPROXY_{n}_BACKEND_WEIGHT integer frontends",
                      "HAPROXY_{n}_REDIRECT_TO_HTTPS bool redirect",
                      "HAPROXY_{n}_STICKY bool sticky"}));
}

TEST_F(LabelsTest, ParsesEveryTypedLabelOfItsOwnPortOnly) {
  PortLabels pl;
  ASSERT_TRUE(Parse({{"HAPROXY_1_VHOST", "A.Example.com,b.example.com"},
                     {"HAPROXY_1_STICKY", "TRUE"},
                     {"HAPROXY_1_REDIRECT_TO_HTTPS", "y"},
                     {"HAPROXY_1_SSL_CERT", "/etc/ssl/a.pem"},
                     {"HAPROXY_1_BIND_ADDR", "127.0.0.9"},
                     {"HAPROXY_1_PORT", " 8080 "},
                     {"HAPROXY_1_MODE", "HTTP"},
                     {"HAPROXY_1_BACKEND_HEALTHCHECK_PORT_INDEX", " -2 "},
                     {"HAPROXY_0_PORT", "9999"}},
                    1, &pl)
                  .ok());
  EXPECT_EQ(pl.vhost, "a.example.com,b.example.com");
  ASSERT_EQ(pl.values.size(), 3u);
  EXPECT_TRUE(Value(pl, "HAPROXY_{n}_STICKY")->flag);
  EXPECT_TRUE(Value(pl, "HAPROXY_{n}_REDIRECT_TO_HTTPS")->flag);
  EXPECT_EQ(Value(pl, "HAPROXY_{n}_SSL_CERT")->text, "/etc/ssl/a.pem");
  EXPECT_EQ(pl.bind_addr, "127.0.0.9");
  EXPECT_EQ(pl.port, 8080);
  EXPECT_EQ(pl.mode, "http");
  // Any integer here; ServiceBuilder checks it names a port of the app.
  EXPECT_EQ(pl.healthcheck_port_index, -2);
  EXPECT_TRUE(warnings_.empty());
}

TEST_F(LabelsTest, DefaultsWithoutLabels) {
  PortLabels pl;
  ASSERT_TRUE(Parse({}, 0, &pl).ok());
  EXPECT_EQ(pl.vhost, "");
  EXPECT_TRUE(pl.values.empty());
  EXPECT_EQ(pl.bind_addr, "*");
  EXPECT_EQ(pl.port, 0);
  EXPECT_EQ(pl.healthcheck_port_index, std::nullopt);
  EXPECT_EQ(pl.mode, "");
  EXPECT_TRUE(pl.templates.empty());
}

TEST_F(LabelsTest, BooleansAcceptOnlyPythonMarathonLbTrueWords) {
  for (const char* yes : {"true", "T", "yes", "Y", "tRuE"}) {
    PortLabels pl;
    ASSERT_TRUE(Parse({{"HAPROXY_0_STICKY", yes}}, 0, &pl).ok());
    EXPECT_TRUE(Value(pl, "HAPROXY_{n}_STICKY")->flag) << yes;
  }
  for (const char* no : {"false", "1", "on", "", "yess"}) {
    PortLabels pl;
    ASSERT_TRUE(Parse({{"HAPROXY_0_STICKY", no}}, 0, &pl).ok());
    EXPECT_FALSE(Value(pl, "HAPROXY_{n}_STICKY")->flag) << no;
  }
}

struct BadLabel {
  const char* label;
  const char* value;
  const char* message;
};

class BadLabelTest : public LabelsTest,
                     public ::testing::WithParamInterface<BadLabel> {};

TEST_P(BadLabelTest, FailsWithMessageNamingLabelAndValue) {
  PortLabels pl;
  Status s = Parse({{GetParam().label, GetParam().value}}, 0, &pl);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.scope(), Status::Scope::kService);
  EXPECT_EQ(s.message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Values, BadLabelTest,
    ::testing::Values(
        BadLabel{"HAPROXY_0_PORT", "http",
                 "label HAPROXY_0_PORT: 'http' is not a port number (1-65535)"},
        BadLabel{"HAPROXY_0_PORT", "0",
                 "label HAPROXY_0_PORT: '0' is not a port number (1-65535)"},
        BadLabel{"HAPROXY_0_PORT", "65536",
                 "label HAPROXY_0_PORT: '65536' is not a port number "
                 "(1-65535)"},
        BadLabel{"HAPROXY_0_PORT", "80.5",
                 "label HAPROXY_0_PORT: '80.5' is not a port number "
                 "(1-65535)"},
        BadLabel{"HAPROXY_0_BACKEND_HEALTHCHECK_PORT_INDEX", "1st",
                 "label HAPROXY_0_BACKEND_HEALTHCHECK_PORT_INDEX: '1st' is not "
                 "an integer"},
        BadLabel{"HAPROXY_0_MODE", "udp",
                 "label HAPROXY_0_MODE: 'udp' is not a mode (tcp or http)"},
        // Control characters: refused by the label policy at every level
        // (label_policy_test.cc has the whole corpus).
        BadLabel{"HAPROXY_0_VHOST", "a.com\n  acl x always_true",
                 "label HAPROXY_0_VHOST refused by --label-policy restricted: "
                 "'a.com\\n  acl x always_true' has a newline (U+000A) at "
                 "character 6"},
        BadLabel{"HAPROXY_0_BIND_ADDR", "1.2.3.4\r",
                 "label HAPROXY_0_BIND_ADDR refused by --label-policy "
                 "restricted: '1.2.3.4\\r' has a carriage return (U+000D) at "
                 "character 8"},
        BadLabel{"HAPROXY_0_SSL_CERT", "/a.pem\x01",
                 "label HAPROXY_0_SSL_CERT refused by --label-policy "
                 "restricted: '/a.pem\\x01' has a control character (U+0001) "
                 "at character 7"},
        BadLabel{"HAPROXY_0_BACKEND_HEAD", "\nbackend {backend}\n  {colour}\n",
                 "label HAPROXY_0_BACKEND_HEAD: unknown placeholder {colour} "
                 "(BACKEND_HEAD supplies {backend}, {balance}, {mode})"},
        BadLabel{"HAPROXY_0_FRONTEND_HEAD", "frontend {backend\n",
                 "label HAPROXY_0_FRONTEND_HEAD: unclosed '{' at offset 9"}));

TEST_F(LabelsTest, VerbatimTemplateLabelKeepsBracesLiterally) {
  PortLabels pl;
  ASSERT_TRUE(
      Parse({{"HAPROXY_0_BACKEND_HTTP_OPTIONS", "  acl a { ssl_fc }\n"}}, 0, &pl)
          .ok());
  ASSERT_EQ(pl.templates.count("BACKEND_HTTP_OPTIONS"), 1u);
  std::string out;
  ASSERT_TRUE(pl.templates["BACKEND_HTTP_OPTIONS"]->Render({}, &out).ok());
  EXPECT_EQ(out, "  acl a { ssl_fc }\n");
}

TEST_F(LabelsTest, TemplateLabelCrLfIsReadAsLf) {
  PortLabels pl;
  ASSERT_TRUE(
      Parse({{"HAPROXY_0_FRONTEND_BACKEND_GLUE", "  use_backend {backend}\r\n"}},
            0, &pl)
          .ok());
  std::string out;
  ASSERT_TRUE(pl.templates["FRONTEND_BACKEND_GLUE"]
                  ->Render({{"backend", "b"}}, &out)
                  .ok());
  EXPECT_EQ(out, "  use_backend b\n");
}

TEST_F(LabelsTest, UnknownAndGlobalOnlyTemplateLabelsAreWarnedAndIgnored) {
  PortLabels pl;
  ASSERT_TRUE(Parse({{"HAPROXY_0_VHOSTS", "a.com"},
                     {"HAPROXY_0_HEAD", "global\n"},
                     {"HAPROXY_1_NOPE", "x"}},
                    0, &pl)
                  .ok());
  EXPECT_EQ(warnings_,
            (std::vector<std::string>{
                "label HAPROXY_0_HEAD: template HEAD cannot be overridden per "
                "app; ignored",
                "label HAPROXY_0_VHOSTS is not a marathon-lb label or template; "
                "ignored"}));
  EXPECT_TRUE(pl.templates.empty());
}

TEST_F(LabelsTest, IndexWithLeadingZeroIsNotThatPortsLabel) {
  PortLabels pl;
  ASSERT_TRUE(Parse({{"HAPROXY_00_BACKEND_HEAD", "\nbackend x\n"},
                     {"HAPROXY_01_PORT", "99"}},
                    0, &pl)
                  .ok());
  EXPECT_TRUE(pl.templates.empty());
  ASSERT_TRUE(Parse({{"HAPROXY_01_PORT", "99"}}, 1, &pl).ok());
  EXPECT_EQ(pl.port, 0);
}

TEST_F(LabelsTest, GroupsAreSplitOnCommasWithoutTrimming) {
  EXPECT_EQ(ParseAppGroups({{"HAPROXY_GROUP", "external, internal,,x"}}),
            (std::vector<std::string>{"external", " internal", "", "x"}));
  EXPECT_TRUE(ParseAppGroups({}).empty());
}

// The end-to-end promise: one bad label removes only its own service port.
TEST_F(LabelsTest, BadLabelDropsOnlyItsOwnServicePort) {
  const std::string json = R"({"apps": [
      {"id": "/bad", "labels": {"HAPROXY_GROUP": "external",
                                "HAPROXY_1_PORT": "eighty"},
       "ports": [10000, 10001],
       "tasks": [{"host": "10.0.0.1", "ports": [31000, 31001]}]},
      {"id": "/good", "labels": {"HAPROXY_GROUP": "external",
                                 "HAPROXY_0_VHOST": "good.example.com"},
       "ports": [10002], "tasks": [{"host": "10.0.0.2", "ports": [31002]}]}]})";
  testing::RenderResult r = testing::Render(*registry_, json);
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.errors,
            (std::vector<std::string>{
                "app /bad, service port index 1: label HAPROXY_1_PORT: "
                "'eighty' is not a port number (1-65535); service port "
                "skipped"}));
  EXPECT_NE(r.text.find("\nbackend bad_10000\n"), std::string::npos);
  EXPECT_EQ(r.text.find("bad_10001"), std::string::npos);
  EXPECT_NE(r.text.find("\nbackend good_10002\n"), std::string::npos);
  EXPECT_NE(r.text.find("use_backend good_10002 if host_good_example_com_good_10002"),
            std::string::npos);
}

// A label template that only fails when rendered (the redirect variant of
// HTTP_FRONTEND_ACL supplies no {appId}) drops that port and nothing else.
TEST_F(LabelsTest, LabelTemplateFailingAtRenderDropsOnlyItsPort) {
  const std::string json = R"({"apps": [
      {"id": "/r", "labels": {"HAPROXY_GROUP": "external",
          "HAPROXY_0_VHOST": "r.example.com",
          "HAPROXY_0_REDIRECT_TO_HTTPS": "true",
          "HAPROXY_0_HTTP_FRONTEND_ACL":
              "  acl host_{cleanedUpHostname} hdr(host) -i {hostname}\n  use_backend {backend} if host_{cleanedUpHostname} # {appId}\n"},
       "ports": [10000], "tasks": [{"host": "10.0.0.1", "ports": [31000]}]},
      {"id": "/s", "labels": {"HAPROXY_GROUP": "external",
                              "HAPROXY_0_VHOST": "s.example.com"},
       "ports": [10001], "tasks": [{"host": "10.0.0.2", "ports": [31001]}]}]})";
  testing::RenderResult r = testing::Render(*registry_, json);
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.errors, (std::vector<std::string>{
                          "app /r, service port index 0: label "
                          "HAPROXY_0_HTTP_FRONTEND_ACL: unknown placeholder "
                          "{appId}; service port skipped"}));
  EXPECT_EQ(r.text.find("r_10000"), std::string::npos) << r.text;
  EXPECT_EQ(r.text.find("r.example.com"), std::string::npos);
  EXPECT_NE(r.text.find("use_backend s_10001 if host_s_example_com_s_10001"),
            std::string::npos);
}

// Names a pack may and may not declare (LabelTable::Add): per port
// HAPROXY_{n}_<SUFFIX>, per app HAPROXY_<SUFFIX>, the suffix [A-Z0-9_]+; the
// core's own names and the kinds a pack may not declare are refused.
TEST(LabelTableTest, DeclaredNamesAndKinds) {
  const std::string shape =
      "is not named HAPROXY_{n}_[A-Z0-9_]+ or HAPROXY_[A-Z0-9_]+";
  for (const char* name :
       {"", "HAPROXY_", "HAPROXY_{n}_", "HAPROXY_{n}", "HAPROXY_{n}X",
        "HAPROXY_{n}_{n}", "HAPROXY_{n}_X{n}", "HAPROXY_{n}_x",
        "HAPROXY_{N}_X", "HAPROXY_{n}_X ", " HAPROXY_{n}_X",
        "HAPROXY_{n}_\xc3\x89", "haproxy_{n}_X", "HAPROXY_X_{n}",
        "HAPROXY_{n}_<TEMPLATE>", "HAPROXY_{n}_A-B", "HAPROXY_{n}_A.B",
        "HAPROXY_{n}_X\n", "MARATHON_X", "HAPROXY-X"}) {
    LabelTable table;
    EXPECT_EQ(table.Add({name, LabelKind::kText, "f", "p", ""}).message(),
              "label '" + std::string(name) + "' " + shape)
        << name;
  }
  for (const char* name : {"HAPROXY_{n}_X", "HAPROXY_{n}__", "HAPROXY_{n}_0",
                           "HAPROXY_{n}_GROUPS", "HAPROXY_X", "HAPROXY_X0"}) {
    LabelTable table;
    EXPECT_TRUE(table.Add({name, LabelKind::kText, "f", "p", ""}).ok())
        << name;
  }
  // An app's label starting with a digit reads as a service port's.
  for (const char* name : {"HAPROXY_0", "HAPROXY_0_X", "HAPROXY_12_VHOST"}) {
    LabelTable table;
    EXPECT_EQ(table.Add({name, LabelKind::kText, "f", "p", ""}).message(),
              "label '" + std::string(name) +
                  "' is named like a label of one service port "
                  "(HAPROXY_{n}_...)");
  }
  for (const char* name : {"HAPROXY_GROUP", "HAPROXY_{n}_GROUP",
                           "HAPROXY_{n}_ENABLED", "HAPROXY_{n}_VHOST",
                           "HAPROXY_{n}_PORT", "HAPROXY_{n}_MODE",
                           "HAPROXY_{n}_BIND_ADDR"}) {
    LabelTable table;
    EXPECT_EQ(table.Add({name, LabelKind::kText, "f", "p", ""}).message(),
              "label " + std::string(name) + " is marathon-lb's own");
  }
  for (const uint32_t kind : {0u, 10u, 99u, 100u, 101u, 102u, 103u,
                              0xFFFFFFFFu}) {
    LabelTable table;
    EXPECT_EQ(table.Add({"HAPROXY_{n}_X", static_cast<LabelKind>(kind), "f",
                         "p", ""})
                  .message(),
              "label HAPROXY_{n}_X has no kind a pack may declare (kind " +
                  std::to_string(kind) + ")");
  }
  LabelTable table;
  ASSERT_TRUE(table.Add({"HAPROXY_{n}_X", LabelKind::kWord, "f", "p", ""}).ok());
  EXPECT_EQ(table.Add({"HAPROXY_{n}_X", LabelKind::kBool, "g", "q", ""})
                .message(),
            "label HAPROXY_{n}_X is already declared by pack p (family f)");
}

}  // namespace
}  // namespace mlb
