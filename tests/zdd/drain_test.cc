// Which old tasks zdd may kill, from the stats of every marathon-lb: only
// those in maintenance with no session on every load balancer, and none
// while a load balancer is unreachable or reloading (test_zdd's
// find_drained/draining cases, made strict); and how the new app grows
// (test_zdd's scale cases).
#include "core/zdd/drain.h"

#include <gtest/gtest.h>

namespace mlb::zdd {
namespace {

const char kHeader[] =
    "# pxname,svname,qcur,qmax,scur,smax,slim,stot,status,weight\n";

std::string Row(const std::string& proxy, const std::string& server,
                const std::string& status, int scur = 0, int qcur = 0) {
  return proxy + "," + server + "," + std::to_string(qcur) + ",0," +
         std::to_string(scur) + ",0,100,0," + status + ",1\n";
}

LbView View(const std::string& url, const std::string& csv, int pids = 2) {
  LbView view;
  view.url = url;
  view.pids = pids;
  view.error = ParseStatsCsv(csv, &view.rows);
  return view;
}

// Old tasks on 10.0.6.25 ports 16916, 31184, 23336; one new task.
DrainInput Input() {
  DrainInput input;
  input.backend = "nginx_10000";
  input.old_tasks = {{"t1", ServerNames("10.0.6.25", "10.0.6.25", {16916})},
                     {"t2", ServerNames("10.0.6.25", "10.0.6.25", {31184})},
                     {"t3", ServerNames("10.0.6.25", "10.0.6.25", {23336})}};
  input.expected_servers = 4;
  input.min_up = 1;
  return input;
}

std::string Backend(const std::string& t1, const std::string& t2,
                    const std::string& t3, int t3_sessions = 0) {
  return std::string(kHeader) + Row("nginx_10000", "FRONTEND", "OPEN") +
         Row("nginx_10000", "10_0_6_25_16916", t1) +
         Row("nginx_10000", "10_0_6_25_31184", t2) +
         Row("nginx_10000", "10_0_6_25_23336", t3, 0, t3_sessions) +
         Row("nginx_10000", "10_0_7_1_1000", "UP") +
         Row("nginx_10000", "BACKEND", "UP");
}

TEST(DrainTest, ServerNamesAsMarathonLb) {
  EXPECT_EQ(ServerNames("10.0.6.25", "10.0.6.25", {16916, 1}),
            (std::vector<std::string>{"10_0_6_25_16916", "10_0_6_25_1"}));
  EXPECT_EQ(ServerNames("agent-1.example", "10.0.0.9", {80}),
            (std::vector<std::string>{"agent-1_example_10_0_0_9_80"}));
}

TEST(DrainTest, ParsesStatsCsvByColumnName) {
  std::vector<StatsRow> rows;
  ASSERT_TRUE(ParseStatsCsv(Backend("MAINT", "UP", "MAINT", 3) +
                                "# pxname,svname,qcur\nhttp-in,x,9\n",
                            &rows)
                  .ok());
  ASSERT_EQ(rows.size(), 7u);
  EXPECT_EQ(rows[3].server, "10_0_6_25_23336");
  EXPECT_EQ(rows[3].status, "MAINT");
  EXPECT_EQ(rows[3].qcur, 3);
  EXPECT_EQ(rows[6].proxy, "http-in");
  EXPECT_EQ(ParseStatsCsv("pxname\n", &rows).message(),
            "stats CSV: no '# pxname,svname,...' header line");
}

TEST(DrainTest, DrainedOnlyWhenMaintWithoutSessionsOnEveryLb) {
  // t1: MAINT on both; t2: UP on one; t3: MAINT on both, queued on one.
  const DrainVerdict verdict = JudgeDrain(
      Input(), {View("http://lb1", Backend("MAINT", "UP", "MAINT")),
                View("http://lb2", Backend("MAINT", "MAINT", "MAINT", 1))});
  EXPECT_EQ(verdict.drained, std::vector<std::string>{"t1"});
  EXPECT_EQ(verdict.waiting, "");
}

TEST(DrainTest, SessionsKeepATaskAlive) {
  const DrainVerdict verdict = JudgeDrain(
      Input(), {View("http://lb1", Backend("UP", "UP", "MAINT", 2))});
  EXPECT_TRUE(verdict.drained.empty());
  EXPECT_EQ(verdict.waiting,
            "no old task of backend nginx_10000 is drained on every "
            "marathon-lb yet (MAINT, no current or queued session)");
}

TEST(DrainTest, AnUnreachableLbMeansWait) {
  LbView down;
  down.url = "http://lb2";
  down.error = Status::Error("http://lb2/_haproxy_getpids",
                             "connect: Connection refused");
  const DrainVerdict verdict = JudgeDrain(
      Input(), {View("http://lb1", Backend("MAINT", "MAINT", "MAINT")), down});
  EXPECT_TRUE(verdict.drained.empty());
  EXPECT_EQ(verdict.waiting,
            "marathon-lb http://lb2 did not answer: "
            "http://lb2/_haproxy_getpids: connect: Connection refused");
}

TEST(DrainTest, AReloadingLbMeansWait) {
  const DrainVerdict verdict = JudgeDrain(
      Input(), {View("http://lb1", Backend("MAINT", "MAINT", "MAINT"), 3)});
  EXPECT_TRUE(verdict.drained.empty());
  EXPECT_EQ(verdict.waiting,
            "marathon-lb http://lb1 is reloading (3 HAProxy "
            "PIDs)");
  DrainInput unchecked = Input();
  unchecked.max_pids = 0;
  EXPECT_EQ(JudgeDrain(unchecked,
                       {View("http://lb1", Backend("MAINT", "UP", "UP"), 9)})
                .drained,
            std::vector<std::string>{"t1"});
}

TEST(DrainTest, WaitsForEveryServerAndEnoughUp) {
  DrainInput more = Input();
  more.expected_servers = 5;
  EXPECT_EQ(JudgeDrain(more, {View("http://lb1", Backend("MAINT", "UP", "UP"))})
                .waiting,
            "marathon-lb http://lb1 has 4 servers in backend nginx_10000, "
            "expecting 5");
  DrainInput up = Input();
  up.min_up = 3;
  EXPECT_EQ(
      JudgeDrain(up, {View("http://lb1", Backend("MAINT", "MAINT", "UP"))})
          .waiting,
      "marathon-lb http://lb1 has 2 servers UP in backend nginx_10000, "
      "expecting at least 3");
}

TEST(DrainTest, AnotherProxyStillRoutingKeepsTheTask) {
  // An LB whose config still routes to t1 through a per-app backend.
  const std::string csv = Backend("MAINT", "UP", "UP") +
                          Row("nginx-green_10000", "10_0_6_25_16916", "UP");
  EXPECT_TRUE(JudgeDrain(Input(), {View("http://lb1", csv)}).drained.empty());
}

TEST(DrainTest, ScaleUpByHalfThenToTarget) {
  EXPECT_EQ(NextInstances(10, 30, 30, 0, 0), 15);   // +50 %
  EXPECT_EQ(NextInstances(10, 8, 30, 0, 0), 30);    // reached the old size
  EXPECT_EQ(NextInstances(10, 20, 30, 15, 0), 15);  // hybrid: 15 new
  EXPECT_EQ(NextInstances(1, 3, 3, 0, 0), 2);
  EXPECT_EQ(NextInstances(2, 30, 30, 0, 3), 5);  // --linear-increase 3
  EXPECT_EQ(NextInstances(28, 30, 30, 0, 3), 30);
}

}  // namespace
}  // namespace mlb::zdd
