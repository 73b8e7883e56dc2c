// core/base/http_client against local Poco servers on 127.0.0.1 (http and
// https with a test certificate): headers, redirect chains and their limit,
// credentials kept or dropped per option, timeouts, the size limit, a
// truncated body, cancellation.
#include "core/base/http_client.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mlb {
namespace {

using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

milliseconds Since(Steady::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Steady::now() - start);
}

// What a server saw of one request.
struct Seen {
  std::string method;
  std::string target;
  std::string host;
  std::string authorization;
  std::string user_agent;
  std::string accept;
  std::string content_type;
  std::string body;
};

// An HTTP(S) server on 127.0.0.1 answering by path with scripted handlers;
// unknown paths get a 404. Handlers that stall use Pause(), which ends early
// when the server shuts down.
class LocalServer {
 public:
  using Handler = std::function<void(Poco::Net::HTTPServerRequest&,
                                     Poco::Net::HTTPServerResponse&)>;

  explicit LocalServer(Poco::Net::Context::Ptr tls = nullptr)
      : scheme_(tls ? "https" : "http"), pool_(2, 16) {
    Poco::Net::ServerSocket socket;
    if (tls) {
      socket = Poco::Net::SecureServerSocket(
          Poco::Net::SocketAddress("127.0.0.1", 0), 64, tls);
    } else {
      socket =
          Poco::Net::ServerSocket(Poco::Net::SocketAddress("127.0.0.1", 0));
    }
    port_ = socket.address().port();
    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setKeepAlive(false);
    params->setMaxThreads(16);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(this), pool_,
                                                      socket, params);
    server_->start();
  }
  ~LocalServer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    server_->stopAll(true);
    server_.reset();
    pool_.joinAll();
  }

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
    return scheme_ + "://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<Seen> seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }
  // Waits `duration`; false (at once) if the server is shutting down.
  bool Pause(milliseconds duration) {
    std::unique_lock<std::mutex> lock(mu_);
    return !cv_.wait_for(lock, duration, [this] { return done_; });
  }

 private:
  class Handle : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Handle(LocalServer* owner) : owner_(owner) {}
    void handleRequest(Poco::Net::HTTPServerRequest& req,
                       Poco::Net::HTTPServerResponse& res) override {
      Seen seen{req.getMethod(),
                req.getURI(),
                req.getHost(),
                req.get("Authorization", ""),
                req.get("User-Agent", ""),
                req.get("Accept", ""),
                req.get("Content-Type", ""),
                ""};
      Poco::StreamCopier::copyToString(req.stream(), seen.body);
      Handler handler;
      {
        std::lock_guard<std::mutex> lock(owner_->mu_);
        owner_->seen_.push_back(seen);
        const std::string path = req.getURI().substr(0, req.getURI().find('?'));
        auto it = owner_->handlers_.find(path);
        if (it != owner_->handlers_.end()) {
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

   private:
    LocalServer* owner_;
  };
  class Factory : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(LocalServer* owner) : owner_(owner) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new Handle(owner_);
    }

   private:
    LocalServer* owner_;
  };

  const std::string scheme_;
  Poco::ThreadPool pool_;
  Poco::UInt16 port_ = 0;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::map<std::string, Handler> handlers_;
  std::vector<Seen> seen_;
};

// A listener whose accept queue is full: the kernel drops further SYNs, so a
// connect to it hangs like one to a blackholed host.
class BlackHole {
 public:
  BlackHole()
      : server_(Poco::Net::SocketAddress("127.0.0.1", 0), /*backlog=*/0) {
    for (int i = 0; i < 4; ++i) {
      fill_.emplace_back();
      fill_.back().connectNB(server_.address());
    }
  }
  std::string Url() const {
    return "http://127.0.0.1:" + std::to_string(server_.address().port()) + "/";
  }

 private:
  Poco::Net::ServerSocket server_;
  std::vector<Poco::Net::StreamSocket> fill_;
};

// A port on which nothing listens.
std::string RefusingUrl() {
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
  const std::string url =
      "http://127.0.0.1:" + std::to_string(socket.address().port()) + "/x";
  socket.close();
  return url;
}

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
  const Seen seen = server.seen()[0];
  EXPECT_EQ(seen.method, "GET");
  EXPECT_EQ(seen.target, "/hello?x=1");
  EXPECT_EQ(seen.host, server.Url().substr(7));
  EXPECT_EQ(seen.user_agent, "marathon-lb");
  EXPECT_EQ(seen.accept, "application/json");
  EXPECT_EQ(seen.authorization, "");
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
  EXPECT_EQ(server.seen()[0].content_type, "application/json");
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
    const std::vector<Seen> seen = first.seen();
    ASSERT_EQ(seen.size(), 3u);
    EXPECT_EQ(seen[0].authorization, kAliceAuth);
    EXPECT_EQ(seen[1].authorization, kAliceAuth);  // same host: kept
    EXPECT_EQ(seen[2].authorization, kAliceAuth);
    ASSERT_EQ(second.seen().size(), 1u);
    EXPECT_EQ(second.seen()[0].authorization, "");  // dropped
  }
  options.credentials_to_other_hosts = true;
  HttpClient client(options);
  EXPECT_EQ(FetchText(client, first.Url("/other")), "200 there");
  ASSERT_EQ(second.seen().size(), 2u);
  EXPECT_EQ(second.seen()[1].authorization, kAliceAuth);
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
  ASSERT_EQ(server.seen().size(), 2u);
  EXPECT_EQ(server.seen()[0].authorization, kAliceAuth);
  EXPECT_EQ(server.seen()[1].authorization, kAliceAuth);
}

TEST(HttpClientTest, ConnectionRefusedIsATransportFailureNamingTheUrl) {
  HttpClient client({});
  HttpResponse response;
  const std::string url = RefusingUrl();
  EXPECT_EQ(FetchText(client, url, &response),
            "error: connect: Connection refused");
  EXPECT_TRUE(response.transport_failed);
  EXPECT_EQ(response.url, url);
  EXPECT_EQ(response.status, 0);
}

TEST(HttpClientTest, ConnectTimeout) {
  BlackHole hole;
  HttpClientOptions options;
  options.connect_timeout = milliseconds(300);
  HttpClient client(options);
  const auto start = Steady::now();
  HttpResponse response;
  EXPECT_EQ(FetchText(client, hole.Url(), &response),
            "error: connect timed out after 300 ms");
  EXPECT_GE(Since(start), milliseconds(300));
  EXPECT_LT(Since(start), milliseconds(3000));
  EXPECT_TRUE(response.transport_failed);
}

TEST(HttpClientTest, ReadTimeoutWhileWaitingForTheHeaders) {
  LocalServer server;
  server.On("/silent",
            [&](Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&) {
              server.Pause(milliseconds(5000));
            });
  HttpClientOptions options;
  options.read_timeout = milliseconds(300);
  HttpClient client(options);
  const auto start = Steady::now();
  HttpResponse response;
  EXPECT_EQ(FetchText(client, server.Url("/silent"), &response),
            "error: Timeout");
  EXPECT_GE(Since(start), milliseconds(300));
  EXPECT_LT(Since(start), milliseconds(3000));
  EXPECT_TRUE(response.transport_failed);
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
  HttpClient client(options);
  const auto start = Steady::now();
  HttpResponse response;
  EXPECT_EQ(FetchText(client, server.Url("/slow"), &response),
            "error: no complete answer within 350 ms");
  EXPECT_TRUE(response.transport_failed);
  EXPECT_GE(Since(start), milliseconds(350));
  EXPECT_LT(Since(start), milliseconds(3000));
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

// Answers with a Content-Length of 100 and 10 bytes, then closes.
class ShortAnswerServer {
 public:
  ShortAnswerServer()
      : socket_(Poco::Net::SocketAddress("127.0.0.1", 0)), thread_([this] {
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
       {hole.Url(), server.Url("/silent"), server.Url("/stall")}) {
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

// https: a test CA-less self-signed certificate for 127.0.0.1, and one for
// another name.
class HttpsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = ::testing::TempDir() + "/http_client_tls";
    const std::string make =
        "rm -rf " + dir_ + " && mkdir -p " + dir_ + " && cd " + dir_ +
        " && openssl req -x509 -newkey rsa:2048 -nodes -days 1 "
        "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
        "-keyout key.pem -out cert.pem 2>/dev/null"
        " && openssl req -x509 -newkey rsa:2048 -nodes -days 1 "
        "-subj /CN=elsewhere.test -addext subjectAltName=DNS:elsewhere.test "
        "-keyout other-key.pem -out other-cert.pem 2>/dev/null";
    made_ = std::system(make.c_str()) == 0;
    Poco::Net::initializeSSL();
  }
  void SetUp() override { ASSERT_TRUE(made_) << "openssl req failed"; }

  static Poco::Net::Context::Ptr ServerContext(const std::string& prefix) {
    return new Poco::Net::Context(
        Poco::Net::Context::TLS_SERVER_USE, dir_ + "/" + prefix + "key.pem",
        dir_ + "/" + prefix + "cert.pem", "", Poco::Net::Context::VERIFY_NONE);
  }

  static inline std::string dir_;
  static inline bool made_ = false;
};

TEST_F(HttpsTest, CertificateIsVerifiedAgainstTheCaFile) {
  LocalServer server(ServerContext(""));
  server.Body("/hello", "over tls");
  HttpClientOptions options;
  options.ca_file = dir_ + "/cert.pem";
  HttpClient verified(options);
  EXPECT_EQ(FetchText(verified, server.Url("/hello")), "200 over tls");

  HttpClient system_cas({});  // they do not know this certificate
  HttpResponse response;
  const std::string refused =
      FetchText(system_cas, server.Url("/hello"), &response);
  EXPECT_NE(refused.find("certificate verify failed"), std::string::npos)
      << refused;
  EXPECT_TRUE(response.transport_failed);
}

TEST_F(HttpsTest, CertificateForAnotherNameIsRefused) {
  LocalServer server(ServerContext("other-"));
  server.Body("/hello", "over tls");
  HttpClientOptions options;
  options.ca_file = dir_ + "/other-cert.pem";
  HttpClient client(options);
  const std::string refused = FetchText(client, server.Url("/hello"));
  EXPECT_EQ(refused.rfind("error: ", 0), 0u) << refused;
  EXPECT_EQ(server.seen().size(), 0u);  // no request was sent
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
    ASSERT_EQ(plain.seen().size(), 1u);
    EXPECT_EQ(plain.seen()[0].authorization, "");
    EXPECT_EQ(secure.seen()[0].authorization, kAliceAuth);
  }
  options.credentials_to_plain_http = true;
  HttpClient client(options);
  EXPECT_EQ(FetchText(client, secure.Url("/down")), "200 plain");
  ASSERT_EQ(plain.seen().size(), 2u);
  EXPECT_EQ(plain.seen()[1].authorization, kAliceAuth);
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
