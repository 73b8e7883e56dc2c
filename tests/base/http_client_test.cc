// core/base/http_client against local Poco servers on 127.0.0.1 (http and
// https with a test certificate): headers, redirect chains and their limit,
// credentials kept or dropped per option, timeouts, the size limit, a
// truncated body, cancellation, gzip bodies inflated as they are read.
#include "core/base/http_client.h"

#include <Poco/DeflatingStream.h>
#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/http_test_server.h"

namespace mlb {
namespace {

using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

using testing::BlackHole;
using testing::SeenRequest;
using testing::TestHttpServer;

milliseconds Since(Steady::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Steady::now() - start);
}

// A TestHttpServer that answers by path (the query aside) with scripted
// handlers; unknown paths get a 404.
class LocalServer {
 public:
  using Handler = std::function<void(Poco::Net::HTTPServerRequest&,
                                     Poco::Net::HTTPServerResponse&)>;

  explicit LocalServer(Poco::Net::Context::Ptr tls = nullptr)
      : server_([this](Poco::Net::HTTPServerRequest& req,
                       Poco::Net::HTTPServerResponse& res,
                       int) { Route(req, res); },
                tls) {}

  void On(const std::string& path, Handler handler) {
    std::lock_guard<std::mutex> lock(mu_);
    handlers_[path] = std::move(handler);
  }
  // Answers `path` with a redirect to `location`.
  void Redirect(const std::string& path, const std::string& location,
                int status = 302) {
    On(path, [location, status](Poco::Net::HTTPServerRequest&,
                                Poco::Net::HTTPServerResponse& res) {
      res.setStatusAndReason(
          static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
      if (!location.empty()) {
        res.set("Location", location);
      }
      res.setContentLength(0);
      res.send();
    });
  }
  // Answers `path` with 200 and `body`.
  void Body(const std::string& path, const std::string& body) {
    On(path, [body](Poco::Net::HTTPServerRequest&,
                    Poco::Net::HTTPServerResponse& res) {
      res.setContentType("text/plain");
      res.setContentLength(static_cast<std::streamsize>(body.size()));
      res.send() << body;
    });
  }

  std::string Url(const std::string& path = "") const {
    return server_.url(path);
  }
  std::vector<SeenRequest> seen() { return server_.requests(); }
  // The Authorization header of each request, in order.
  std::vector<std::string> Authorizations() {
    std::vector<std::string> out;
    for (const SeenRequest& request : server_.requests()) {
      out.push_back(request.Header("Authorization"));
    }
    return out;
  }
  bool Pause(milliseconds duration) { return server_.Pause(duration); }

 private:
  void Route(Poco::Net::HTTPServerRequest& req,
             Poco::Net::HTTPServerResponse& res) {
    Handler handler;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = handlers_.find(req.getURI().substr(0, req.getURI().find('?')));
      if (it != handlers_.end()) {
        handler = it->second;
      }
    }
    if (handler) {
      handler(req, res);
      return;
    }
    res.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_NOT_FOUND);
    res.send() << "not here\n";
  }

  std::mutex mu_;
  std::map<std::string, Handler> handlers_;  // guarded by mu_
  TestHttpServer server_;                    // last: stops first
};

HttpRequest Get(const std::string& url) {
  HttpRequest request;
  request.url = url;
  return request;
}

// "status body" of a Fetch(), or "error: <message>".
std::string FetchText(const HttpClient& client, const std::string& url,
                      HttpResponse* response = nullptr) {
  HttpResponse ignored;
  HttpResponse* out = response != nullptr ? response : &ignored;
  std::string body;
  const Status s = client.Fetch(Get(url), &body, out);
  if (!s.ok()) {
    return "error: " + s.message();
  }
  return std::to_string(out->status) + " " + body;
}

const char kAliceAuth[] = "Basic YWxpY2U6czNjcmV0";  // alice:s3cret

// Version() (--version, the start-up line, the User-Agent) is meson.build's
// project version: core/base/meson.build passes it to the build.
TEST(VersionTest, IsTheMesonProjectVersion) {
  const char* source = std::getenv("MLB_SOURCE_DIR");
  ASSERT_NE(source, nullptr) << "MLB_SOURCE_DIR is not set";
  std::ifstream in(std::string(source) + "/meson.build");
  std::stringstream text;
  text << in.rdbuf();
  const std::string meson = text.str();
  const std::string key = "version: '";  // the first: project()'s
  const size_t start = meson.find(key);
  ASSERT_NE(start, std::string::npos) << meson;
  const size_t end = meson.find('\'', start + key.size());
  EXPECT_EQ(Version(), meson.substr(start + key.size(),
                                    end - start - key.size()));
  EXPECT_NE(std::string(Version()), "");
}

TEST(HttpClientTest, GetSendsUserAgentHostAndTheRequestHeaders) {
  LocalServer server;
  server.Body("/hello", "hello\n");
  HttpClient client({});
  HttpRequest request = Get(server.Url("/hello?x=1"));
  request.headers = {{"Accept", "application/json"}};
  std::string body;
  HttpResponse response;
  ASSERT_TRUE(client.Fetch(request, &body, &response).ok());
  EXPECT_EQ(body, "hello\n");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.StatusLine(), "HTTP 200 OK");
  EXPECT_EQ(response.url, server.Url("/hello?x=1"));
  EXPECT_FALSE(response.transport_failed);
  ASSERT_EQ(server.seen().size(), 1u);
  const SeenRequest seen = server.seen()[0];
  EXPECT_EQ(seen.method, "GET");
  EXPECT_EQ(seen.target, "/hello?x=1");
  EXPECT_EQ(seen.Header("Host"), server.Url().substr(7));
  EXPECT_EQ(seen.Header("User-Agent"), std::string("marathon-lb/") + Version());
  EXPECT_EQ(seen.Header("Accept"), "application/json");
  EXPECT_EQ(seen.Header("Authorization"), "");
}

TEST(HttpClientTest, PostSendsTheBodyWithItsType) {
  LocalServer server;
  server.Body("/post", "done");
  HttpClient client({});
  HttpRequest request = Get(server.Url("/post"));
  request.method = "POST";
  request.body = R"({"a": 1})";
  request.content_type = "application/json";
  std::string body;
  HttpResponse response;
  ASSERT_TRUE(client.Fetch(request, &body, &response).ok());
  ASSERT_EQ(server.seen().size(), 1u);
  EXPECT_EQ(server.seen()[0].method, "POST");
  EXPECT_EQ(server.seen()[0].Header("Content-Type"), "application/json");
  EXPECT_EQ(server.seen()[0].body, R"({"a": 1})");
}

TEST(HttpClientTest, AnswerThatIsNotA2xxIsNoErrorAndItsBodyIsNotRead) {
  LocalServer server;
  HttpClient client({});
  HttpResponse response;
  bool read = false;
  const Status s = client.Send(
      Get(server.Url("/missing")),
      [&](const HttpResponse&, std::istream&) {
        read = true;
        return Status::OK();
      },
      &response);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_FALSE(read);
  EXPECT_EQ(response.StatusLine(), "HTTP 404 Not Found");
  EXPECT_FALSE(response.ok());
}

TEST(HttpClientTest, FollowsARedirectChainAcrossHosts) {
  LocalServer first;
  LocalServer second;
  first.Redirect("/a", "/b");  // relative
  first.Redirect("/b", second.Url("/c"), 307);
  second.Body("/c", "at c");
  std::vector<std::string> hops;
  HttpClientOptions options;
  options.on_redirect = [&](const std::string& from, const std::string& status,
                            const std::string& to) {
    hops.push_back(from + " " + status + " " + to);
  };
  HttpClient client(options);
  HttpResponse response;
  EXPECT_EQ(FetchText(client, first.Url("/a"), &response), "200 at c");
  EXPECT_EQ(response.url, second.Url("/c"));
  EXPECT_EQ(hops, (std::vector<std::string>{
                      first.Url("/a") + " HTTP 302 Found " + first.Url("/b"),
                      first.Url("/b") + " HTTP 307 Temporary Redirect " +
                          second.Url("/c")}));
}

TEST(HttpClientTest, RedirectLimitAndBadRedirects) {
  LocalServer server;
  server.Redirect("/loop", "/loop", 301);
  server.Redirect("/nowhere", "", 307);
  server.Redirect("/ftp", "ftp://127.0.0.1/file");
  HttpClientOptions options;
  options.max_redirects = 2;
  HttpClient client(options);
  HttpResponse response;
  EXPECT_EQ(FetchText(client, server.Url("/loop"), &response),
            "error: more than 2 redirects");
  EXPECT_EQ(server.seen().size(), 3u);  // the first request and 2 redirects
  EXPECT_FALSE(response.transport_failed);
  EXPECT_EQ(response.status, 301);
  EXPECT_EQ(FetchText(client, server.Url("/nowhere")),
            "error: HTTP 307 Temporary Redirect without a Location header");
  EXPECT_EQ(FetchText(client, server.Url("/ftp")),
            "error: redirect to ftp://127.0.0.1/file refused (only http and "
            "https)");
  EXPECT_EQ(FetchText(client, "ftp://127.0.0.1/file"),
            "error: only http:// and https:// URLs are supported");
}

TEST(HttpClientTest, SeeOtherTurnsAPostIntoAGet) {
  LocalServer server;
  server.Redirect("/form", "/result", 303);
  server.Body("/result", "ok");
  HttpClient client({});
  HttpRequest request = Get(server.Url("/form"));
  request.method = "POST";
  request.body = "x=1";
  request.content_type = "application/x-www-form-urlencoded";
  std::string body;
  HttpResponse response;
  ASSERT_TRUE(client.Fetch(request, &body, &response).ok());
  EXPECT_EQ(body, "ok");
  ASSERT_EQ(server.seen().size(), 2u);
  EXPECT_EQ(server.seen()[1].method, "GET");
  EXPECT_EQ(server.seen()[1].body, "");
}

TEST(HttpClientTest, CredentialsFollowToAnotherHostOnlyWhenAsked) {
  LocalServer first;
  LocalServer second;
  first.Redirect("/same", "/there");
  first.Body("/there", "here");
  first.Redirect("/other", second.Url("/there"), 307);
  second.Body("/there", "there");
  HttpClientOptions options;
  options.user = "alice";
  options.password = "s3cret";
  {
    HttpClient client(options);
    EXPECT_EQ(FetchText(client, first.Url("/same")), "200 here");
    EXPECT_EQ(FetchText(client, first.Url("/other")), "200 there");
    // The same host keeps them, another one does not get them.
    EXPECT_EQ(first.Authorizations(),
              (std::vector<std::string>{kAliceAuth, kAliceAuth, kAliceAuth}));
    EXPECT_EQ(second.Authorizations(), std::vector<std::string>{""});
  }
  options.credentials_to_other_hosts = true;
  HttpClient client(options);
  EXPECT_EQ(FetchText(client, first.Url("/other")), "200 there");
  EXPECT_EQ(second.Authorizations(),
            (std::vector<std::string>{"", kAliceAuth}));
}

// An Authorization value of the request (a DC/OS token) replaces the basic
// credentials and follows redirects as they would.
TEST(HttpClientTest, RequestAuthorizationReplacesBasicAndFollowsLikeIt) {
  LocalServer first;
  LocalServer second;
  first.Redirect("/same", "/there");
  first.Body("/there", "here");
  first.Redirect("/other", second.Url("/there"), 307);
  second.Body("/there", "there");
  HttpClientOptions options;
  options.user = "alice";
  options.password = "s3cret";
  HttpRequest same = Get(first.Url("/same"));
  same.authorization = "token=abc";
  HttpRequest other = Get(first.Url("/other"));
  other.authorization = "token=abc";
  std::string body;
  HttpResponse response;
  {
    HttpClient client(options);
    ASSERT_TRUE(client.Fetch(same, &body, &response).ok());
    ASSERT_TRUE(client.Fetch(other, &body, &response).ok());
    EXPECT_EQ(first.Authorizations(),
              (std::vector<std::string>{"token=abc", "token=abc", "token=abc"}));
    EXPECT_EQ(second.Authorizations(), std::vector<std::string>{""});
  }
  options.credentials_to_other_hosts = true;
  HttpClient client(options);
  ASSERT_TRUE(client.Fetch(other, &body, &response).ok());
  EXPECT_EQ(second.Authorizations(),
            (std::vector<std::string>{"", "token=abc"}));
}

TEST(HttpClientTest, ResponseHeadersOfTheFinalAnswerInOrder) {
  LocalServer server;
  server.Redirect("/a", "/b");
  server.On("/b", [](Poco::Net::HTTPServerRequest&,
                     Poco::Net::HTTPServerResponse& res) {
    res.add("Set-Cookie", "one=1; Path=/");
    res.add("Set-Cookie", "two=2");
    res.setContentLength(0);
    res.send();
  });
  HttpClient client({});
  HttpResponse response;
  EXPECT_EQ(FetchText(client, server.Url("/a"), &response), "200 ");
  std::vector<std::string> cookies;
  bool location = false;
  for (const auto& [name, value] : response.headers) {
    if (name == "Set-Cookie") {
      cookies.push_back(value);
    }
    location = location || name == "Location";
  }
  EXPECT_EQ(cookies, (std::vector<std::string>{"one=1; Path=/", "two=2"}));
  EXPECT_FALSE(location);  // the redirect's headers are gone
}

TEST(HttpClientTest, CredentialsMayComeFromTheUrlAndAreNeverShown) {
  LocalServer server;
  server.Redirect("/a", "/b");
  server.Body("/b", "b");
  HttpClient client({});
  HttpResponse response;
  EXPECT_EQ(
      FetchText(client, "http://alice:s3cret@" + server.Url("/a").substr(7),
                &response),
      "200 b");
  EXPECT_EQ(response.url, server.Url("/b"));
  EXPECT_EQ(server.Authorizations(),
            (std::vector<std::string>{kAliceAuth, kAliceAuth}));
}

TEST(HttpClientTest, ConnectionRefusedIsATransportFailureNamingTheUrl) {
  HttpClient client({});
  HttpResponse response;
  const std::string url =
      "http://127.0.0.1:" + std::to_string(testing::RefusingPort()) + "/x";
  EXPECT_EQ(FetchText(client, url, &response),
            "error: connect: Connection refused");
  EXPECT_TRUE(response.transport_failed);
  EXPECT_EQ(response.url, url);
  EXPECT_EQ(response.status, 0);
}

// Fetches `url` and expects `error`, a transport failure, after `at_least`
// and well before the server would have answered.
void ExpectTimeout(const HttpClient& client, const std::string& url,
                   const std::string& error, milliseconds at_least) {
  const auto start = Steady::now();
  HttpResponse response;
  EXPECT_EQ(FetchText(client, url, &response), "error: " + error);
  EXPECT_TRUE(response.transport_failed);
  EXPECT_GE(Since(start), at_least);
  EXPECT_LT(Since(start), milliseconds(3000));
}

TEST(HttpClientTest, ConnectTimeout) {
  BlackHole hole;
  HttpClientOptions options;
  options.connect_timeout = milliseconds(300);
  ExpectTimeout(HttpClient(options), hole.url() + "/",
                "connect timed out after 300 ms", milliseconds(300));
}

TEST(HttpClientTest, ReadTimeoutWhileWaitingForTheHeaders) {
  LocalServer server;
  server.On("/silent",
            [&](Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&) {
              server.Pause(milliseconds(5000));
            });
  HttpClientOptions options;
  options.read_timeout = milliseconds(300);
  ExpectTimeout(HttpClient(options), server.Url("/silent"), "Timeout",
                milliseconds(300));
}

// Streams `parts` with a pause between them, chunked.
LocalServer::Handler Trickle(LocalServer* server,
                             std::vector<std::string> parts,
                             milliseconds pause) {
  return [server, parts, pause](Poco::Net::HTTPServerRequest&,
                                Poco::Net::HTTPServerResponse& res) {
    res.setChunkedTransferEncoding(true);
    std::ostream& out = res.send();
    for (const std::string& part : parts) {
      out << part << std::flush;
      if (!server->Pause(pause)) {
        return;
      }
    }
  };
}

TEST(HttpClientTest, BodyReadTimeoutIsTheIdleTimeoutOfAStream) {
  LocalServer server;
  server.On("/stream", Trickle(&server, {"a", "b", "c"}, milliseconds(100)));
  server.On("/stall", Trickle(&server, {"a"}, milliseconds(5000)));
  HttpClientOptions options;
  options.read_timeout = milliseconds(2000);
  options.body_read_timeout = milliseconds(300);
  HttpClient client(options);
  // Pauses shorter than the idle timeout are fine.
  EXPECT_EQ(FetchText(client, server.Url("/stream")), "200 abc");

  std::string got;
  bool timed_out = false;
  const auto start = Steady::now();
  HttpResponse response;
  const Status s = client.Send(
      Get(server.Url("/stall")),
      [&](const HttpResponse&, std::istream& in) {
        try {
          for (int c = in.get(); c != EOF; c = in.get()) {
            got.push_back(static_cast<char>(c));
          }
        } catch (const Poco::TimeoutException&) {
          timed_out = true;
        }
        return Status::Error("idle");
      },
      &response);
  EXPECT_EQ(s.message(), "idle");
  EXPECT_TRUE(timed_out);
  EXPECT_EQ(got, "a");
  EXPECT_GE(Since(start), milliseconds(300));
  EXPECT_LT(Since(start), milliseconds(3000));
}

TEST(HttpClientTest, BodyReadTimeoutOfZeroIsNoLimit) {
  LocalServer server;
  server.On("/stream", Trickle(&server, {"a", "b"}, milliseconds(400)));
  HttpClientOptions options;
  options.read_timeout = milliseconds(200);  // the headers come at once
  options.body_read_timeout = milliseconds(0);
  HttpClient client(options);
  EXPECT_EQ(FetchText(client, server.Url("/stream")), "200 ab");
}

TEST(HttpClientTest, TotalTimeoutCoversTheWholeBody) {
  LocalServer server;
  server.On("/slow", Trickle(&server, {"a", "b", "c", "d", "e", "f", "g", "h"},
                             milliseconds(100)));
  HttpClientOptions options;
  options.total_timeout = milliseconds(350);
  ExpectTimeout(HttpClient(options), server.Url("/slow"),
                "no complete answer within 350 ms", milliseconds(350));
}

TEST(HttpClientTest, SizeLimitByContentLengthAndAsCounted) {
  LocalServer server;
  server.Body("/fits", std::string(100, 'x'));
  server.Body("/big", std::string(101, 'x'));
  server.On("/chunked",
            Trickle(&server, {std::string(60, 'x'), std::string(60, 'y')},
                    milliseconds(1)));
  HttpClientOptions options;
  options.max_body_bytes = 100;
  HttpClient client(options);
  EXPECT_EQ(FetchText(client, server.Url("/fits")),
            "200 " + std::string(100, 'x'));
  HttpResponse response;
  EXPECT_EQ(FetchText(client, server.Url("/big"), &response),
            "error: larger than 100 bytes");
  EXPECT_FALSE(response.transport_failed);
  EXPECT_EQ(FetchText(client, server.Url("/chunked"), &response),
            "error: larger than 100 bytes");
  EXPECT_FALSE(response.transport_failed);
}

// Answers one connection (waited for 10 s at most) with a Content-Length of
// 100 and 10 bytes, then closes.
class ShortAnswerServer {
 public:
  ShortAnswerServer()
      : socket_(Poco::Net::SocketAddress("127.0.0.1", 0)), thread_([this] {
          if (!socket_.poll(Poco::Timespan(10, 0),
                            Poco::Net::Socket::SELECT_READ)) {
            return;
          }
          Poco::Net::StreamSocket peer = socket_.acceptConnection();
          char request[4096];
          peer.receiveBytes(request, sizeof(request));
          const std::string answer =
              "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: "
              "close\r\n\r\n0123456789";
          peer.sendBytes(answer.data(), static_cast<int>(answer.size()));
          peer.close();
        }) {}
  ~ShortAnswerServer() { thread_.join(); }
  std::string Url() const {
    return "http://127.0.0.1:" + std::to_string(socket_.address().port()) + "/";
  }

 private:
  Poco::Net::ServerSocket socket_;
  std::thread thread_;
};

TEST(HttpClientTest, BodyCutShortOfItsContentLengthIsAnError) {
  ShortAnswerServer server;
  HttpClient client({});
  HttpResponse response;
  EXPECT_EQ(FetchText(client, server.Url(), &response),
            "error: connection closed after 10 of 100 bytes");
  EXPECT_TRUE(response.transport_failed);
}

TEST(HttpClientTest, ReaderErrorIsTheResultAndItsExceptionATransportFailure) {
  LocalServer server;
  server.Body("/x", "x");
  HttpClient client({});
  HttpResponse response;
  Status s = client.Send(
      Get(server.Url("/x")),
      [](const HttpResponse&, std::istream&) {
        return Status::Error("bad body");
      },
      &response);
  EXPECT_EQ(s.message(), "bad body");
  EXPECT_FALSE(response.transport_failed);
  s = client.Send(
      Get(server.Url("/x")),
      [](const HttpResponse&, std::istream&) -> Status {
        throw Poco::IOException("broken");
      },
      &response);
  EXPECT_EQ(s.message(), "I/O error: broken");
  EXPECT_TRUE(response.transport_failed);
}

TEST(HttpClientTest, CancelStopsAPendingConnectHeadersAndABody) {
  BlackHole hole;
  LocalServer server;
  server.On("/silent",
            [&](Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&) {
              server.Pause(milliseconds(10000));
            });
  server.On("/stall", Trickle(&server, {"a"}, milliseconds(10000)));
  for (const std::string& url :
       {hole.url() + "/", server.Url("/silent"), server.Url("/stall")}) {
    SCOPED_TRACE(url);
    HttpCancel cancel;
    HttpClientOptions options;
    options.connect_timeout = milliseconds(10000);
    options.cancel = &cancel;
    HttpClient client(options);
    std::thread canceller([&] {
      std::this_thread::sleep_for(milliseconds(200));
      cancel.Cancel();
    });
    const auto start = Steady::now();
    HttpResponse response;
    EXPECT_EQ(FetchText(client, url, &response), "error: stopped");
    canceller.join();
    EXPECT_LT(Since(start), milliseconds(2000));
    // Cancelled stays cancelled.
    EXPECT_EQ(FetchText(client, server.Url("/missing")), "error: stopped");
  }
}

// A resolver that answers only once opened; opened when it goes out of
// scope, so that the lookup thread a test left behind ends.
class HangingResolver {
 public:
  HangingResolver() : state_(std::make_shared<State>()) {}
  ~HangingResolver() { Open(); }
  HangingResolver(const HangingResolver&) = delete;
  HangingResolver& operator=(const HangingResolver&) = delete;

  void Open() {
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      state_->open = true;
    }
    state_->cv.notify_all();
  }
  // The HttpResolver: waits until opened, then answers 127.0.0.1. Holds its
  // own share of the state (it may outlive the test's exchange).
  HttpResolver resolver() const {
    return [state = state_](const std::string& host,
                            std::vector<std::string>* addresses) {
      std::unique_lock<std::mutex> lock(state->mu);
      state->hosts.push_back(host);
      state->cv.wait(lock, [&] { return state->open; });
      addresses->push_back("127.0.0.1");
      return Status::OK();
    };
  }
  std::vector<std::string> hosts() const {
    std::lock_guard<std::mutex> lock(state_->mu);
    return state_->hosts;
  }

 private:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    bool open = false;               // guarded by mu
    std::vector<std::string> hosts;  // guarded by mu: the names asked for
  };
  std::shared_ptr<State> state_;
};

// The port of a LocalServer's URL ("http://127.0.0.1:PORT...").
std::string PortOf(const std::string& url) {
  const size_t colon = url.rfind(':');
  return url.substr(colon + 1, url.find('/', colon) - colon - 1);
}

// A host name whose lookup hangs (a DNS server that does not answer) ends
// the exchange at the connect timeout, as a transport failure naming the
// host, instead of holding it as long as getaddrinfo likes.
TEST(HttpClientResolverTest, AHangingLookupEndsAtTheConnectTimeout) {
  HangingResolver hanging;
  HttpClientOptions options;
  options.connect_timeout = milliseconds(300);
  options.resolver = hanging.resolver();
  const HttpClient client(options);
  const auto start = Steady::now();
  HttpResponse response;
  EXPECT_EQ(FetchText(client, "http://marathon.example.test:8080/v2/apps",
                      &response),
            "error: resolving marathon.example.test took longer than 300 ms");
  EXPECT_TRUE(response.transport_failed);
  EXPECT_EQ(response.status, 0);
  EXPECT_LT(Since(start), milliseconds(5000));  // it returns: no tight bound
}

// The whole exchange's deadline, when shorter, ends the lookup too; and an
// HttpCancel stops it.
TEST(HttpClientResolverTest, AHangingLookupEndsAtTheDeadlineOrWhenCancelled) {
  HangingResolver hanging;
  HttpClientOptions options;
  options.connect_timeout = milliseconds(60000);
  options.total_timeout = milliseconds(300);
  options.resolver = hanging.resolver();
  const auto start = Steady::now();
  EXPECT_EQ(FetchText(HttpClient(options), "http://m1.example.test/"),
            "error: no complete answer within 300 ms");
  EXPECT_LT(Since(start), milliseconds(5000));

  HttpCancel cancel;
  options.total_timeout = milliseconds(0);
  options.cancel = &cancel;
  const HttpClient cancellable(options);
  std::thread canceller([&] {
    std::this_thread::sleep_for(milliseconds(200));
    cancel.Cancel();
  });
  const auto cancelled_at = Steady::now();
  HttpResponse response;
  EXPECT_EQ(FetchText(cancellable, "http://m2.example.test/", &response),
            "error: stopped");
  canceller.join();
  EXPECT_TRUE(response.transport_failed);
  EXPECT_LT(Since(cancelled_at), milliseconds(5000));
}

// A name is looked up by the resolver and its address connected to; the
// request still names the host as the URL has it.
TEST(HttpClientResolverTest, ANameGoesToTheAddressItResolvesTo) {
  LocalServer server;
  server.Body("/hello", "hello\n");
  auto hosts = std::make_shared<std::vector<std::string>>();
  HttpClientOptions options;
  options.resolver = [hosts](const std::string& host,
                             std::vector<std::string>* addresses) {
    hosts->push_back(host);
    *addresses = {"::1", "127.0.0.1"};  // the IPv4 address is taken
    return Status::OK();
  };
  const std::string port = PortOf(server.Url());
  EXPECT_EQ(FetchText(HttpClient(options),
                      "http://marathon.example.test:" + port + "/hello"),
            "200 hello\n");
  EXPECT_EQ(*hosts, std::vector<std::string>{"marathon.example.test"});
  ASSERT_EQ(server.seen().size(), 1u);
  EXPECT_EQ(server.seen()[0].Header("Host"), "marathon.example.test:" + port);
}

// A literal IP address is not looked up; a failed lookup names the host.
TEST(HttpClientResolverTest, ALiteralAddressIsNotLookedUpAndAFailureIsNamed) {
  LocalServer server;
  server.Body("/hello", "hello\n");
  auto calls = std::make_shared<int>(0);
  HttpClientOptions options;
  options.resolver = [calls](const std::string&, std::vector<std::string>*) {
    ++*calls;
    return Status::Error("Name or service not known");
  };
  const HttpClient client(options);
  EXPECT_EQ(FetchText(client, server.Url("/hello")), "200 hello\n");
  EXPECT_EQ(*calls, 0);
  HttpResponse response;
  EXPECT_EQ(FetchText(client, "http://nowhere.example.test/", &response),
            "error: resolving nowhere.example.test: Name or service not "
            "known");
  EXPECT_TRUE(response.transport_failed);
  EXPECT_EQ(*calls, 1);
  options.resolver = [](const std::string&, std::vector<std::string>*) {
    return Status::OK();
  };
  EXPECT_EQ(FetchText(HttpClient(options), "http://empty.example.test/"),
            "error: resolving empty.example.test: no address");
}

// `text` gzip-compressed.
std::string Gzip(const std::string& text) {
  std::ostringstream out;
  Poco::DeflatingOutputStream deflate(out,
                                      Poco::DeflatingStreamBuf::STREAM_GZIP);
  deflate << text;
  deflate.close();
  return out.str();
}

// Answers `path` with 200, "Content-Encoding: `encoding`" and `bytes` as
// they are, and records the request's Accept-Encoding in *accept_encoding.
LocalServer::Handler Encoded(std::string bytes, std::string encoding,
                             std::string* accept_encoding = nullptr) {
  return [bytes, encoding, accept_encoding](
             Poco::Net::HTTPServerRequest& req,
             Poco::Net::HTTPServerResponse& res) {
    if (accept_encoding != nullptr) {
      *accept_encoding = req.get("Accept-Encoding", "(none)");
    }
    res.set("Content-Encoding", encoding);
    res.setContentLength(static_cast<std::streamsize>(bytes.size()));
    res.send() << bytes;
  };
}

// "status body" or "error: message" of a GET with accept_gzip.
std::string FetchGzip(const HttpClient& client, const std::string& url,
                      HttpResponse* response = nullptr) {
  HttpResponse ignored;
  HttpResponse* out = response != nullptr ? response : &ignored;
  HttpRequest request = Get(url);
  request.accept_gzip = true;
  std::string body;
  const Status s = client.Fetch(request, &body, out);
  if (!s.ok()) {
    return "error: " + s.message();
  }
  return std::to_string(out->status) + " " + body;
}

// Some text that compresses about 5 to 1, as Marathon's JSON does.
std::string Compressible(size_t bytes) {
  std::string text;
  for (int i = 0; text.size() < bytes; ++i) {
    text += "{\"id\":\"/app-" + std::to_string(i * 7919 % 100003) +
            "\",\"host\":\"10.0." + std::to_string(i % 251) + "." +
            std::to_string(i % 13) + "\"},\n";
  }
  text.resize(bytes);
  return text;
}

// accept_gzip sends "Accept-Encoding: gzip" and a gzip answer is what the
// reader gets, inflated. Without it no Accept-Encoding is sent and the body
// is given as sent (a .tar.gz a server labels gzip stays the file's bytes).
TEST(HttpClientGzipTest, AcceptsGzipWhenAskedAndInflatesTheBody) {
  const std::string text = Compressible(300000);
  LocalServer server;
  std::string asked;
  server.On("/apps", Encoded(Gzip(text), "gzip", &asked));
  server.On("/x-gzip", Encoded(Gzip("old name"), "x-gzip"));
  server.On("/identity", Encoded("plain", "identity"));
  HttpClient client({});
  EXPECT_EQ(FetchGzip(client, server.Url("/apps")), "200 " + text);
  EXPECT_EQ(asked, "gzip");
  EXPECT_EQ(FetchText(client, server.Url("/apps")), "200 " + Gzip(text));
  EXPECT_EQ(asked, "(none)");
  EXPECT_EQ(FetchGzip(client, server.Url("/x-gzip")), "200 old name");
  EXPECT_EQ(FetchGzip(client, server.Url("/identity")), "200 plain");
  // Two gzip members one after the other are one body (RFC 1952).
  server.On("/two", Encoded(Gzip("first,") + Gzip("second"), "gzip"));
  EXPECT_EQ(FetchGzip(client, server.Url("/two")), "200 first,second");
  server.On("/empty", Encoded("", "gzip"));
  EXPECT_EQ(FetchGzip(client, server.Url("/empty")), "200 ");
}

// The body is inflated as it arrives: the reader has the first inflated
// bytes while the server still holds back the second half of the gzip
// stream (it waits, bounded, for the reader to say so).
TEST(HttpClientGzipTest, InflatesAsTheBodyArrives) {
  const std::string text = Compressible(400000);
  const std::string gzip = Gzip(text);
  const size_t half = gzip.size() / 2;
  std::mutex mu;
  std::condition_variable cv;
  bool reader_has_bytes = false;
  bool rest_held_back = false;
  LocalServer server;
  server.On("/apps", [&](Poco::Net::HTTPServerRequest&,
                         Poco::Net::HTTPServerResponse& res) {
    res.set("Content-Encoding", "gzip");
    res.setContentLength(static_cast<std::streamsize>(gzip.size()));
    std::ostream& out = res.send();
    out << gzip.substr(0, half) << std::flush;
    {
      std::unique_lock<std::mutex> lock(mu);
      rest_held_back = cv.wait_for(lock, milliseconds(10000),
                                   [&] { return reader_has_bytes; });
    }
    out << gzip.substr(half) << std::flush;
  });
  HttpClient client({});
  HttpRequest request = Get(server.Url("/apps"));
  request.accept_gzip = true;
  std::string got;
  HttpResponse response;
  const Status s = client.Send(
      request,
      [&](const HttpResponse&, std::istream& in) {
        char chunk[4096];
        while (in.read(chunk, sizeof(chunk)) || in.gcount() > 0) {
          got.append(chunk, static_cast<size_t>(in.gcount()));
          {
            std::lock_guard<std::mutex> lock(mu);
            reader_has_bytes = true;
          }
          cv.notify_all();
        }
        return Status::OK();
      },
      &response);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_TRUE(got == text) << got.size() << " of " << text.size() << " bytes";
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_TRUE(rest_held_back);
}

// The size limit counts inflated bytes: 64 MiB of zeros (about 64 KB of
// gzip) is refused at the limit, naming the flag; the same limit lets a
// body of its size through.
TEST(HttpClientGzipTest, GzipBombIsRefusedAtTheLimitOfInflatedBytes) {
  const std::string bomb = Gzip(std::string(64 << 20, '\0'));
  ASSERT_LT(bomb.size(), 100000u);
  LocalServer server;
  server.On("/bomb", Encoded(bomb, "gzip"));
  server.On("/fits", Encoded(Gzip(std::string(1 << 20, 'a')), "gzip"));
  HttpClientOptions options;
  options.max_body_bytes = 1 << 20;
  options.max_body_bytes_flag = "--marathon-max-bytes";
  HttpClient client(options);
  HttpResponse response;
  EXPECT_EQ(FetchGzip(client, server.Url("/bomb"), &response),
            "error: gzip body larger than 1048576 bytes inflated "
            "(--marathon-max-bytes)");
  EXPECT_FALSE(response.transport_failed);
  EXPECT_EQ(FetchGzip(client, server.Url("/fits")),
            "200 " + std::string(1 << 20, 'a'));
}

// A gzip body that is not one, or is cut short, is an error that says so;
// so is a coding the client cannot decode.
TEST(HttpClientGzipTest, CorruptTruncatedOrUnknownEncodingIsAClearError) {
  const std::string gzip = Gzip(Compressible(100000));
  std::string bad_magic = gzip;
  bad_magic[0] = 'x';
  std::string bad_crc = gzip;
  bad_crc[bad_crc.size() - 6] ^= 0x55;  // the CRC-32 in the trailer
  const std::string cut = gzip.substr(0, gzip.size() / 2);
  LocalServer server;
  server.On("/magic", Encoded(bad_magic, "gzip"));
  server.On("/crc", Encoded(bad_crc, "gzip"));
  server.On("/cut", Encoded(cut, "gzip"));
  server.On("/plain", Encoded("{\"apps\":[]}", "gzip"));
  server.On("/br", Encoded("whatever", "br"));
  HttpClient client({});
  HttpResponse response;
  EXPECT_EQ(FetchGzip(client, server.Url("/magic"), &response),
            "error: gzip body corrupt: incorrect header check");
  EXPECT_FALSE(response.transport_failed);
  EXPECT_EQ(FetchGzip(client, server.Url("/crc")),
            "error: gzip body corrupt: incorrect data check");
  EXPECT_EQ(FetchGzip(client, server.Url("/cut"), &response),
            "error: gzip body truncated after " + std::to_string(cut.size()) +
                " bytes");
  EXPECT_TRUE(response.transport_failed);
  EXPECT_EQ(FetchGzip(client, server.Url("/plain")),
            "error: gzip body corrupt: incorrect header check");
  EXPECT_EQ(FetchGzip(client, server.Url("/br")),
            "error: unsupported Content-Encoding: br");
  EXPECT_EQ(FetchText(client, server.Url("/br")), "200 whatever");
}

// https: a self-signed test certificate for 127.0.0.1, and one for another
// name.
class HttpsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = ::testing::TempDir() + "/http_client_tls";
    made_ = std::system(("rm -rf " + dir_).c_str()) == 0 &&
            testing::MakeTestCertificate(dir_, "IP:127.0.0.1") &&
            testing::MakeTestCertificate(dir_, "DNS:elsewhere.test", "other-");
  }
  void SetUp() override { ASSERT_TRUE(made_) << "openssl req failed"; }

  static Poco::Net::Context::Ptr ServerContext(const std::string& prefix) {
    return testing::TestServerContext(dir_, prefix);
  }

  static inline std::string dir_;
  static inline bool made_ = false;
};

TEST_F(HttpsTest, CertificateMustComeFromTheCaFileAndNameTheHost) {
  LocalServer server(ServerContext(""));
  LocalServer elsewhere(ServerContext("other-"));
  server.Body("/hello", "over tls");
  HttpClientOptions options;
  options.ca_file = dir_ + "/cert.pem";
  EXPECT_EQ(FetchText(HttpClient(options), server.Url("/hello")),
            "200 over tls");

  // The system CAs do not know the test certificate.
  HttpResponse response;
  const std::string unknown =
      FetchText(HttpClient({}), server.Url("/hello"), &response);
  // OpenSSL's reason is appended to its "certificate verify failed".
  EXPECT_EQ(unknown,
            "error: SSL Exception: error:0A000086:SSL routines::certificate "
            "verify failed (self-signed certificate)");
  EXPECT_TRUE(response.transport_failed);

  // One the CA file vouches for, but for another name.
  options.ca_file = dir_ + "/other-cert.pem";
  EXPECT_EQ(FetchText(HttpClient(options), elsewhere.Url("/hello"), &response),
            "error: Certificate validation error: Unacceptable certificate "
            "from 127.0.0.1: application verification failure");
  EXPECT_TRUE(response.transport_failed);
  EXPECT_TRUE(elsewhere.seen().empty());  // no request was sent
}

TEST_F(HttpsTest, RedirectToPlainHttpRefusedOrWithoutCredentialsAsAsked) {
  LocalServer secure(ServerContext(""));
  LocalServer plain;
  secure.Redirect("/down", plain.Url("/here"));
  plain.Body("/here", "plain");
  HttpClientOptions options;
  options.ca_file = dir_ + "/cert.pem";
  options.user = "alice";
  options.password = "s3cret";
  options.credentials_to_other_hosts = true;
  {
    HttpClientOptions refusing = options;
    refusing.refuse_https_to_http = true;
    HttpClient client(refusing);
    EXPECT_EQ(
        FetchText(client, secure.Url("/down")),
        "error: redirect from https to " + plain.Url("/here") + " refused");
    EXPECT_TRUE(plain.seen().empty());
  }
  {
    HttpClient client(options);
    EXPECT_EQ(FetchText(client, secure.Url("/down")), "200 plain");
    EXPECT_EQ(plain.Authorizations(), std::vector<std::string>{""});
  }
  options.credentials_to_plain_http = true;
  HttpClient client(options);
  EXPECT_EQ(FetchText(client, secure.Url("/down")), "200 plain");
  EXPECT_EQ(plain.Authorizations(), (std::vector<std::string>{"", kAliceAuth}));
  EXPECT_EQ(secure.Authorizations(),
            (std::vector<std::string>{kAliceAuth, kAliceAuth, kAliceAuth}));
}

TEST_F(HttpsTest, StreamOverTlsTimesOutWhenIdle) {
  LocalServer server(ServerContext(""));
  server.On("/stall", Trickle(&server, {"a"}, milliseconds(5000)));
  HttpClientOptions options;
  options.ca_file = dir_ + "/cert.pem";
  options.body_read_timeout = milliseconds(300);
  HttpClient client(options);
  const auto start = Steady::now();
  bool timed_out = false;
  HttpResponse response;
  const Status s = client.Send(
      Get(server.Url("/stall")),
      [&](const HttpResponse&, std::istream& in) {
        try {
          while (in.get() != EOF) {
          }
        } catch (const Poco::TimeoutException&) {
          timed_out = true;
        }
        return Status::OK();
      },
      &response);
  EXPECT_TRUE(s.ok()) << s.message();
  EXPECT_TRUE(timed_out);
  EXPECT_GE(Since(start), milliseconds(300));
  EXPECT_LT(Since(start), milliseconds(3000));
}

}  // namespace
}  // namespace mlb
