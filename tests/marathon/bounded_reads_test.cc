// Every read from Marathon is bounded in size (--marathon-max-bytes) and in
// time (--marathon-total-timeout), whatever shape the hostile answer takes
// (issue 12, item 6): a body that never ends (a growing string, an array,
// whitespace, chunked or not, or a Content-Length too large), an error or a
// redirect with a body that never ends, a peer sending a byte at a time
// (headers or body). Each shape is tried through the three ways the client
// reads (the apps parsed as they arrive, the apps collected whole, an event
// subscription call), and the error names the URL and the limit's flag.
//
// And the credentials (issue 12, item 9): a redirect to another host of the
// --marathon list keeps them, to any other host or from https to http not.
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "core/marathon/client.h"
#include "core/marathon/event_stream.h"
#include "tests/support/hostile_http_server.h"
#include "tests/support/http_test_server.h"

namespace mlb {
namespace {

using std::chrono::milliseconds;
using testing::HostileHttpServer;
using testing::SeenRequest;
using testing::TestHttpServer;

constexpr uint64_t kMaxBytes = 1 << 20;
// For the slow shapes; the large ones get 30 s, so that a loaded machine
// still sends the first MiB in time.
constexpr int kTotalMs = 1000;
constexpr int kRoomyTotalMs = 30000;
// What a hostile script sends at most (it stops earlier when the client
// leaves): far above kMaxBytes.
constexpr size_t kFlood = 64 << 20;
const milliseconds kTrickle{300};

constexpr char kAppsPath[] = "/v2/apps?embed=apps.tasks";

std::string Head(const std::string& status_line,
                 const std::string& headers = "") {
  return "HTTP/1.1 " + status_line + "\r\nContent-Type: application/json\r\n" +
         headers + "Connection: close\r\n\r\n";
}

// The answer that never ends, or takes forever, in each of its shapes.
struct Shape {
  const char* name;
  HostileHttpServer::Script script;
  // The error after "Marathon request <METHOD> <PATH> failed: <URL>: ".
  std::string error;
};

const std::string kTooLarge =
    "larger than " + std::to_string(kMaxBytes) + " bytes (--marathon-max-bytes)";
const std::string kTooSlow = "no complete answer within " +
                             std::to_string(kTotalMs) +
                             " ms (--marathon-total-timeout)";

std::vector<Shape> Shapes() {
  using Out = HostileHttpServer::Writer;
  return {
      {"a string that never ends",
       [](Out& out, int) {
         out.Send(Head("200 OK") + R"({"apps": [{"id": "/)") &&
             out.Repeat(std::string(4096, 'a'), kFlood);
       },
       kTooLarge},
      {"an array of apps that never ends",
       [](Out& out, int) {
         std::string apps;
         for (int i = 0; i < 100; ++i) {
           apps += R"({"id": "/app)" + std::to_string(i) + R"(", "tasks": []},)";
         }
         out.Send(Head("200 OK") + R"({"apps": [)") && out.Repeat(apps, kFlood);
       },
       kTooLarge},
      {"an array of numbers that never ends",
       [](Out& out, int) {
         out.Send(Head("200 OK") + R"({"apps": [], "junk": [)") &&
             out.Repeat([] {
               std::string ones;
               while (ones.size() < 4096) {
                 ones += "1,";
               }
               return ones;
             }(), kFlood);
       },
       kTooLarge},
      {"whitespace that never ends",
       [](Out& out, int) {
         out.Send(Head("200 OK") + R"({"apps": )") &&
             out.Repeat(std::string(4096, ' '), kFlood);
       },
       kTooLarge},
      {"chunks that never end",
       [](Out& out, int) {
         const std::string chunk = "1000\r\n" + std::string(4096, ' ') + "\r\n";
         out.Send(Head("200 OK", "Transfer-Encoding: chunked\r\n") +
                  "9\r\n{\"apps\": \r\n") &&
             out.Repeat(chunk, kFlood);
       },
       kTooLarge},
      {"a Content-Length above the limit",
       [](Out& out, int) {
         out.Send(Head("200 OK", "Content-Length: 10000000000\r\n")) &&
             out.Repeat(std::string(4096, ' '), kFlood);
       },
       kTooLarge},
      {"a byte at a time from the status line on",
       [](Out& out, int) {
         out.Trickle(Head("200 OK") + R"({"apps": []})", kTrickle);
       },
       kTooSlow},
      {"a byte at a time in the body",
       [](Out& out, int) {
         out.Send(Head("200 OK")) && out.Trickle(R"({"apps": []})", kTrickle);
       },
       kTooSlow},
      {"an error's status line a byte at a time",
       [](Out& out, int) {
         out.Trickle(Head("500 Internal Server Error"), kTrickle);
       },
       kTooSlow},
      {"a redirect's headers a byte at a time",
       [](Out& out, int) {
         out.Trickle(Head("307 Temporary Redirect", "Location: /elsewhere\r\n"),
                     kTrickle);
       },
       kTooSlow},
  };
}

bool IsSlowShape(const Shape& shape) { return shape.error == kTooSlow; }

MarathonOptions Bounded(const std::string& url, int total_ms = kTotalMs) {
  MarathonOptions options;
  options.urls = {url};
  options.connect_timeout_ms = 1000;
  options.read_timeout_ms = 5000;  // each wait is shorter than this
  options.max_bytes = kMaxBytes;
  options.total_timeout_ms = total_ms;
  return options;
}

// The three ways the client reads an answer, each giving its error.
struct Read {
  const char* name;
  std::string method_and_path;
  std::function<Status(MarathonClient&)> call;
};

std::vector<Read> Reads() {
  return {
      {"FetchAndParseApps", std::string("GET ") + kAppsPath,
       [](MarathonClient& client) {
         std::vector<App> apps;
         std::vector<std::string> warnings;
         std::string source;
         return client.FetchAndParseApps(&apps, &warnings, &source);
       }},
      {"FetchApps", std::string("GET ") + kAppsPath,
       [](MarathonClient& client) {
         std::string json, source;
         return client.FetchApps(&json, &source);
       }},
      {"an event subscription",
       "POST /v2/eventSubscriptions?callbackUrl=http://127.0.0.1:9/",
       [](MarathonClient& client) {
         std::string answer, source;
         return client.Request(
             "POST", "/v2/eventSubscriptions?callbackUrl=http://127.0.0.1:9/",
             "", &answer, &source);
       }},
  };
}

TEST(MarathonBoundedReadsTest, EveryHostileAnswerShapeEndsWithANamedLimit) {
  for (const Shape& shape : Shapes()) {
    for (const Read& read : Reads()) {
      SCOPED_TRACE(std::string(shape.name) + ", " + read.name);
      HostileHttpServer marathon(shape.script);
      MarathonClient client(Bounded(
          marathon.url(), IsSlowShape(shape) ? kTotalMs : kRoomyTotalMs));
      EXPECT_EQ(read.call(client).message(),
                "Marathon request " + read.method_and_path +
                    " failed: " + marathon.url() + ": " + shape.error);
    }
  }
}

// An error or a redirect whose body never ends: the body is not read. The
// 500 is the answer (the next Marathon is tried), the redirect is followed.
TEST(MarathonBoundedReadsTest, ErrorAndRedirectBodiesAreNotRead) {
  const std::string endless(4096, 'x');
  HostileHttpServer broken([&](HostileHttpServer::Writer& out, int) {
    out.Send(Head("500 Internal Server Error")) && out.Repeat(endless, kFlood);
  });
  HostileHttpServer follower([&](HostileHttpServer::Writer& out, int n) {
    if (n == 0) {
      out.Send(Head("307 Temporary Redirect",
                    "Location: /leader/v2/apps?embed=apps.tasks\r\n")) &&
          out.Repeat(endless, kFlood);
    } else {
      out.Send(Head("200 OK") + R"({"apps": [{"id": "/web"}]})");
    }
  });
  MarathonClient alone(Bounded(broken.url(), kRoomyTotalMs));
  std::string json, source;
  EXPECT_EQ(alone.FetchApps(&json, &source).message(),
            std::string("Marathon request GET ") + kAppsPath + " failed: " +
                broken.url() + ": GET " + kAppsPath +
                ": HTTP 500 Internal Server Error");

  MarathonOptions options = Bounded(broken.url(), kRoomyTotalMs);
  options.urls.push_back(follower.url());
  MarathonClient client(options);
  std::vector<App> apps;
  std::vector<std::string> warnings;
  const Status s = client.FetchAndParseApps(&apps, &warnings, &source);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(apps.size(), 1u);
  EXPECT_EQ(apps[0].id, "/web");
  EXPECT_EQ(source, follower.url());
  ASSERT_EQ(follower.heads().size(), 2u);
  EXPECT_EQ(follower.heads()[1].rfind(
                "GET /leader/v2/apps?embed=apps.tasks HTTP/1.1\r\n", 0),
            0u);
}

// Within the limits nothing changes: an answer of exactly --marathon-max-bytes
// is read.
TEST(MarathonBoundedReadsTest, AnAnswerOfExactlyTheLimitIsRead) {
  std::string body = R"({"apps": []})";
  body.resize(kMaxBytes, ' ');
  HostileHttpServer marathon([&](HostileHttpServer::Writer& out, int) {
    out.Send(Head("200 OK", "Content-Length: " + std::to_string(body.size()) +
                                "\r\n") +
             body);
  });
  MarathonClient client(Bounded(marathon.url(), kRoomyTotalMs));
  std::vector<App> apps;
  std::vector<std::string> warnings;
  std::string source;
  const Status s = client.FetchAndParseApps(&apps, &warnings, &source);
  EXPECT_TRUE(s.ok()) << s.message();
  EXPECT_TRUE(apps.empty());
}

// The defaults: 256 MiB and 120 s.
TEST(MarathonBoundedReadsTest, DefaultLimits) {
  const MarathonOptions options;
  EXPECT_EQ(options.max_bytes, 268435456u);
  EXPECT_EQ(options.total_timeout_ms, 120000);
}

// Credentials --------------------------------------------------------------

using Recorder = testing::MarathonRecorder;

const char kBasic[] = "Basic bWxiOnNlY3JldA==";  // mlb:secret

// A follower redirecting to the leader: with the leader in the --marathon
// list the credentials go along; with it not listed, they do not (the
// request is still followed).
TEST(MarathonCredentialsTest, ARedirectKeepsThemOnlyToAListedMarathon) {
  for (const bool listed : {true, false}) {
    SCOPED_TRACE(listed ? "leader listed" : "leader not listed");
    Recorder leader;
    Recorder follower(leader.url());
    MarathonOptions options;
    options.urls = {follower.url()};
    if (listed) {
      options.urls.push_back(leader.url() + "/");
    }
    options.user = "mlb";
    options.password = "secret";
    std::string json, source;
    const Status s = MarathonClient(options).FetchApps(&json, &source);
    ASSERT_TRUE(s.ok()) << s.message();
    EXPECT_EQ(follower.Authorization(0), kBasic);
    EXPECT_EQ(leader.Authorization(0), listed ? kBasic : "");
  }
}

// From https to http, even to a listed Marathon: never.
TEST(MarathonCredentialsTest, ARedirectFromHttpsToHttpDropsThem) {
  const std::string dir = ::testing::TempDir() + "/bounded_reads_tls";
  ASSERT_TRUE(std::system(("rm -rf " + dir).c_str()) == 0 &&
              testing::MakeTestCertificate(dir, "IP:127.0.0.1"));
  Recorder plain;
  Recorder secure(plain.url(), testing::TestServerContext(dir));
  MarathonOptions options;
  options.urls = {secure.url(), plain.url()};
  options.ca_cert = dir + "/cert.pem";
  options.user = "mlb";
  options.password = "secret";
  std::string json, source;
  const Status s = MarathonClient(options).FetchApps(&json, &source);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(secure.Authorization(0), kBasic);
  EXPECT_EQ(plain.Authorization(0), "");
}

// Review 12b GUARD: a redirect that names a listed Marathon only in its
// user info ("http://<listed>@<other>/...") or carries user info of its
// own goes to the other host, and the credentials do not. A scheme-relative
// Location ("//<other>/...") is not followed to the other host at all (Poco
// resolves it as a path of the same host, so the follower loops until "more
// than 3 redirects"): no credentials leave either.
TEST(MarathonCredentialsTest, ReviewGuardUserinfoAndSchemeRelativeRedirectsDropThem) {
  Recorder listed;
  Recorder leader;
  const std::string listed_hp = listed.url().substr(sizeof("http://") - 1);
  const std::string leader_hp = leader.url().substr(sizeof("http://") - 1);
  for (const std::string& to :
       {"http://" + listed_hp + "@" + leader_hp, "//" + leader_hp,
        "http://mlb:secret@" + leader_hp}) {
    SCOPED_TRACE(to);
    Recorder follower(to);
    MarathonOptions options;
    options.urls = {follower.url(), listed.url()};
    options.user = "mlb";
    options.password = "secret";
    std::string json, source;
    // The outcome differs by shape (an answer, "more than 3 redirects");
    // only where the credentials went is checked.
    (void)MarathonClient(options).FetchApps(&json, &source);
    EXPECT_EQ(follower.Authorization(0), kBasic);
  }
  int seen = 0;
  for (size_t i = 0; leader.Authorization(i) != "(no request)"; ++i) {
    EXPECT_EQ(leader.Authorization(i), "") << "request " << i;
    ++seen;
  }
  EXPECT_EQ(seen, 2);  // the user-info shapes reached it, without credentials
}

}  // namespace
}  // namespace mlb
