// The StatusBoard's figures as /status (JSON) and /metrics (the Prometheus
// text format, read back by the real Prometheus parser) show them, and the
// state of every service port.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "core/app/admin_server.h"
#include "core/app/status_board.h"
#include "tests/support/http_call.h"
#include "tests/support/prometheus_text.h"

namespace mlb {
namespace {

using ::testing::HasSubstr;

std::string Parsed(const std::string& text) {
  return testing::PrometheusParsed(text);
}

Poco::JSON::Object::Ptr ParseJson(const std::string& text) {
  Poco::JSON::Parser parser;
  return parser.parse(text).extract<Poco::JSON::Object::Ptr>();
}

// The ports /status lists for `app_id` (null if it lists no such app).
Poco::JSON::Array::Ptr Ports(const StatusBoard& board,
                             const std::string& app_id) {
  const Poco::JSON::Object::Ptr app =
      ParseJson(board.Json())->getObject("apps")->getObject(app_id);
  return app.isNull() ? nullptr : app->getArray("ports");
}

TEST(StatusBoardTest, LabelValuesAreEscapedAsTheTextFormatSays) {
  EXPECT_EQ(PrometheusLabelValue("/a\\b\"c\nd"), "/a\\\\b\\\"c\\nd");
  // The real parser reads the hostile value back as it was.
  const std::string hostile = "/evil\"} 1\nfake_metric 2\\";
  EXPECT_EQ(Parsed("# TYPE x gauge\nx{app=\"" + PrometheusLabelValue(hostile) +
                   "\"} 1\n"),
            "x gauge x {app=" + hostile + "} 1.0\n");
}

TEST(StatusBoardTest, MetricsOfANewBoardParseAndAreZero) {
  StatusBoard board;
  const std::string histogram =
      "marathonlb_update_duration_seconds histogram "
      "marathonlb_update_duration_seconds";
  std::string buckets;
  for (const char* le : {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
                         "0.5", "1", "2.5", "5", "10", "30", "+Inf"}) {
    buckets += histogram + "_bucket {le=" + le + "} 0.0\n";
  }
  EXPECT_EQ(Parsed(board.Metrics()),
            buckets + histogram + "_sum {} 0.0\n" + histogram +
                "_count {} 0.0\n"
            "marathonlb_syncs counter marathonlb_syncs_total {result=ok} 0.0\n"
            "marathonlb_syncs counter marathonlb_syncs_total {result=failed} "
            "0.0\n"
            "marathonlb_reloads counter marathonlb_reloads_total {result=ok} "
            "0.0\n"
            "marathonlb_reloads counter marathonlb_reloads_total "
            "{result=failed} 0.0\n"
            "marathonlb_live_changes counter marathonlb_live_changes_total {} "
            "0.0\n"
            "marathonlb_live_fallbacks counter "
            "marathonlb_live_fallbacks_total {} 0.0\n"
            "marathonlb_event_stream_connected gauge "
            "marathonlb_event_stream_connected {} 0.0\n"
            "marathonlb_event_lag_seconds gauge marathonlb_event_lag_seconds "
            "{} 0.0\n"
            "marathonlb_dropped_service_ports gauge "
            "marathonlb_dropped_service_ports {} 0.0\n"
            "marathonlb_config_bytes gauge marathonlb_config_bytes {} 0.0\n"
            "marathonlb_config_generation gauge marathonlb_config_generation "
            "{} 0.0\n"
            "marathonlb_last_success_timestamp_seconds gauge "
            "marathonlb_last_success_timestamp_seconds {} 0.0\n");
}

TEST(StatusBoardTest, FiguresMoveInMetricsAndStatusAlike) {
  StatusBoard board;
  board.RecordUpdate(0.00390625);  // exact in binary, as the others
  board.RecordSync(true, "http://m1:8080", "", 2);
  board.RecordUpdate(0.125);
  board.RecordSync(false, "http://m1:8080", "HTTP 500", 0);
  board.RecordUpdate(40);
  board.RecordReload(true, "");
  board.RecordReload(true, "");
  board.RecordReload(false, "cannot bind");
  board.SetHaproxyRunning(true);
  board.RecordLiveChange(1, 0, 3.5, 0);
  board.RecordLiveFallback("cookie");
  board.SetStreamConnected(true, "http://m1:8080");
  board.RecordEventLag(0.25);
  board.SetConfig("abc", true);
  board.SetConfig("abc", false);  // found unchanged: no new generation
  const std::string metrics = board.Metrics();
  for (const char* line :
       {"# HELP marathonlb_syncs_total Updates by result: ok (Marathon read, "
        "config live) or failed.",
        "# TYPE marathonlb_syncs_total counter",
        "marathonlb_update_duration_seconds_bucket{le=\"0.005\"} 1",
        "marathonlb_update_duration_seconds_bucket{le=\"0.1\"} 1",
        "marathonlb_update_duration_seconds_bucket{le=\"0.25\"} 2",
        "marathonlb_update_duration_seconds_bucket{le=\"30\"} 2",
        "marathonlb_update_duration_seconds_bucket{le=\"+Inf\"} 3",
        "marathonlb_update_duration_seconds_sum 40.12890625",
        "marathonlb_update_duration_seconds_count 3",
        "marathonlb_syncs_total{result=\"ok\"} 1",
        "marathonlb_syncs_total{result=\"failed\"} 1",
        "marathonlb_reloads_total{result=\"ok\"} 2",
        "marathonlb_reloads_total{result=\"failed\"} 1",
        "marathonlb_live_changes_total 1", "marathonlb_live_fallbacks_total 1",
        "marathonlb_event_stream_connected 1",
        "marathonlb_event_lag_seconds 0.25",
        "marathonlb_dropped_service_ports 2", "marathonlb_config_bytes 3",
        "marathonlb_config_generation 1", "marathonlb_haproxy_running 1"}) {
    EXPECT_THAT(metrics, HasSubstr("\n" + std::string(line) + "\n"));
  }
  // The last success is the first sync's, not the failed one's.
  const Poco::JSON::Object::Ptr status = ParseJson(board.Json());
  const std::string when = status->getValue<std::string>("last_success_time");
  ASSERT_EQ(when.size(), 24u) << when;  // 2026-12-06T00:13:00.123Z
  EXPECT_EQ(status->getValue<std::string>("config_sha256"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(status->getValue<int>("config_bytes"), 3);
  EXPECT_EQ(status->getValue<int>("generation"), 1);
  EXPECT_EQ(status->getValue<int>("updates"), 3);
  EXPECT_EQ(status->getValue<double>("event_lag_seconds"), 0.25);
  EXPECT_EQ(status->getValue<int>("syncs"), 2);
  EXPECT_EQ(status->getValue<int>("failed_syncs"), 1);
  EXPECT_EQ(status->getValue<int>("reloads"), 3);
  EXPECT_EQ(status->getValue<int>("failed_reloads"), 1);
  EXPECT_EQ(status->getValue<int>("live_changes"), 1);
  EXPECT_EQ(status->getValue<int>("live_fallbacks"), 1);
  EXPECT_THAT(Parsed(metrics),
              HasSubstr("marathonlb_last_success_timestamp_seconds gauge "
                        "marathonlb_last_success_timestamp_seconds {} "));
  // Values read back exactly, in the fewest digits that do.
  board.RecordEventLag(0.1 + 0.2);  // 0.30000000000000004
  EXPECT_THAT(board.Metrics(),
              HasSubstr("\nmarathonlb_event_lag_seconds 0.30000000000000004\n"));
  board.RecordEventLag(1796540266.656);
  EXPECT_THAT(board.Metrics(),
              HasSubstr("\nmarathonlb_event_lag_seconds 1796540266.656\n"));
}

TEST(StatusBoardTest, DroppedLinesAreReadBack) {
  const DroppedPort port = ParseDroppedLine(
      "app /x, service port 10002: HAProxy cannot bind it (...); service "
      "port skipped");
  EXPECT_EQ(port.app_id, "/x");
  EXPECT_EQ(port.kind, DroppedPort::Kind::kServicePort);
  EXPECT_EQ(port.number, 10002);
  EXPECT_EQ(port.reason, "HAProxy cannot bind it (...)");
  const DroppedPort index = ParseDroppedLine(
      "app /y/z, service port index 1: backend y is already used by app /w, "
      "service port index 0; service port skipped");
  EXPECT_EQ(index.app_id, "/y/z");
  EXPECT_EQ(index.kind, DroppedPort::Kind::kPortIndex);
  EXPECT_EQ(index.number, 1);
  EXPECT_EQ(index.reason,
            "backend y is already used by app /w, service port index 0");
  const DroppedPort app = ParseDroppedLine("app /g: label X is not a number");
  EXPECT_EQ(app.app_id, "/g");
  EXPECT_EQ(app.kind, DroppedPort::Kind::kApp);
  EXPECT_EQ(app.reason, "label X is not a number");
  const DroppedPort other = ParseDroppedLine("deployment group /g: odd");
  EXPECT_EQ(other.app_id, "");
  EXPECT_EQ(other.reason, "deployment group /g: odd");
}

TEST(StatusBoardTest, PortStatesKeepTheirSinceAndChangesAreReportedOnce) {
  StatusBoard board;
  const std::string busy =
      "app /busy, service port 10001: HAProxy cannot bind it (x); dropped "
      "until the app changes it or SIGHUP; service port skipped";
  PortChanges changes = board.SetServicePorts({{"/web", 10000}}, {busy});
  EXPECT_EQ(changes.dropped, std::vector<std::string>{busy});
  EXPECT_TRUE(changes.cleared.empty());
  Poco::JSON::Object::Ptr status = ParseJson(board.Json());
  Poco::JSON::Object::Ptr apps = status->getObject("apps");
  ASSERT_FALSE(apps.isNull());
  EXPECT_EQ(apps->size(), 2u);
  Poco::JSON::Object::Ptr web = Ports(board, "/web")->getObject(0);
  EXPECT_EQ(web->getValue<int>("service_port"), 10000);
  EXPECT_EQ(web->getValue<std::string>("state"), "routed");
  EXPECT_EQ(web->getValue<std::string>("reason"), "");
  Poco::JSON::Object::Ptr dropped = Ports(board, "/busy")->getObject(0);
  EXPECT_EQ(dropped->getValue<int>("service_port"), 10001);
  EXPECT_EQ(dropped->getValue<std::string>("state"), "dropped");
  EXPECT_EQ(dropped->getValue<std::string>("reason"),
            "HAProxy cannot bind it (x); dropped until the app changes it or "
            "SIGHUP");
  const std::string since = dropped->getValue<std::string>("since");
  EXPECT_EQ(since.size(), 24u) << since;

  // The same again: nothing to log, the same "since".
  changes = board.SetServicePorts({{"/web", 10000}}, {busy});
  EXPECT_TRUE(changes.dropped.empty());
  EXPECT_TRUE(changes.cleared.empty());
  EXPECT_EQ(Ports(board, "/busy")->getObject(0)->getValue<std::string>("since"),
            since);

  // Another reason: logged again, a new "since" (not older than the last).
  const std::string refused =
      "app /busy, service port 10001: haproxy -c refused its lines (y); "
      "dropped until the app changes them or SIGHUP; service port skipped";
  changes = board.SetServicePorts({{"/web", 10000}}, {refused});
  EXPECT_EQ(changes.dropped, std::vector<std::string>{refused});
  EXPECT_TRUE(changes.cleared.empty());
  EXPECT_GE(Ports(board, "/busy")->getObject(0)->getValue<std::string>("since"),
            since);

  // Routed now: cleared, once.
  changes = board.SetServicePorts({{"/web", 10000}, {"/busy", 10001}}, {});
  EXPECT_TRUE(changes.dropped.empty());
  EXPECT_EQ(changes.cleared,
            std::vector<std::string>{
                "app /busy, service port 10001: no longer dropped (routed)"});
  changes = board.SetServicePorts({{"/web", 10000}, {"/busy", 10001}}, {});
  EXPECT_TRUE(changes.cleared.empty());

  // Dropped again, then gone from Marathon.
  const std::string index =
      "app /busy, service port index 0: bad label; service port skipped";
  changes = board.SetServicePorts({{"/web", 10000}}, {index});
  EXPECT_EQ(changes.dropped, std::vector<std::string>{index});
  EXPECT_EQ(changes.cleared.size(), 0u);
  changes = board.SetServicePorts({{"/web", 10000}}, {});
  EXPECT_EQ(changes.cleared,
            std::vector<std::string>{"app /busy, service port index 0: no "
                                     "longer dropped (gone from the config)"});
}

TEST(StatusBoardTest, DisabledPortsAreListedAndEndADrop) {
  StatusBoard board;
  const std::string bad =
      "app /a, service port 10001: bad label; service port skipped";
  board.SetServicePorts({{"/a", 10000}}, {bad}, {});
  const PortChanges changes =
      board.SetServicePorts({{"/a", 10000}}, {}, {{"/a", 10001}});
  EXPECT_TRUE(changes.dropped.empty());
  EXPECT_EQ(changes.cleared,
            std::vector<std::string>{
                "app /a, service port 10001: no longer dropped (disabled)"});
  const Poco::JSON::Array::Ptr ports = Ports(board, "/a");
  ASSERT_EQ(ports->size(), 2u);
  EXPECT_EQ(ports->getObject(0)->getValue<std::string>("state"), "routed");
  EXPECT_EQ(ports->getObject(1)->getValue<int>("service_port"), 10001);
  EXPECT_EQ(ports->getObject(1)->getValue<std::string>("state"), "disabled");
  EXPECT_EQ(ports->getObject(1)->getValue<std::string>("reason"),
            "HAPROXY_{n}_ENABLED (or --strict-mode) leaves it out");
}

TEST(StatusBoardTest, StatusListsTenThousandAppsAtMost) {
  StatusBoard board;
  std::vector<std::pair<std::string, int>> routed;
  for (size_t i = 0; i < StatusBoard::kMaxListedApps + 5; ++i) {
    routed.emplace_back("/app-" + std::to_string(100000 + i), 10000);
    routed.emplace_back("/app-" + std::to_string(100000 + i), 10001);
  }
  board.SetServicePorts(routed, {});
  const Poco::JSON::Object::Ptr status = ParseJson(board.Json());
  EXPECT_EQ(status->getObject("apps")->size(), StatusBoard::kMaxListedApps);
  EXPECT_EQ(status->getValue<int>("apps_not_listed"), 5);
  EXPECT_EQ(status->getObject("apps")
                ->getObject("/app-109999")
                ->getArray("ports")
                ->size(),
            2u);
  EXPECT_TRUE(status->getObject("apps")->getObject("/app-110000").isNull());
}

TEST(StatusBoardTest, AdminServesMetricsAsText) {
  StatusBoard board;
  board.RecordSync(true, "http://lb-user:s3cret-pass@m1:8080", "", 0);
  AdminOptions options;
  options.address = "127.0.0.1:0";
  options.config_path = "haproxy.cfg";
  options.raise = [](int) {};
  std::unique_ptr<AdminServer> admin;
  ASSERT_TRUE(AdminServer::Start(std::move(options), &board, &admin).ok());
  const testing::HttpResponse r =
      testing::HttpCall("GET", "127.0.0.1", admin->port(), "/metrics", "", {},
                        std::chrono::milliseconds(5000));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, board.Metrics());
  EXPECT_EQ(r.Header("Content-Type"),
            "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_THAT(r.body, HasSubstr("\nmarathonlb_syncs_total{result=\"ok\"} 1\n"));
  EXPECT_EQ(r.body.find("s3cret-pass"), std::string::npos);
}

}  // namespace
}  // namespace mlb
