// Local HTTP(S) servers for the HTTP client's tests and its callers': a Poco
// server on 127.0.0.1 answering with a scripted handler and recording each
// request, a listener that never accepts (connects hang), a port that
// refuses, and a self-signed test certificate.
#pragma once

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NameValueCollection.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace mlb::testing {

// What a server saw of one request.
struct SeenRequest {
  std::string method;
  std::string target;  // path and query
  std::string body;
  Poco::Net::NameValueCollection headers;  // names compared without case

  std::string Header(const std::string& name) const {
    return headers.get(name, "");
  }
};

// An HTTP server on 127.0.0.1 (port chosen by the kernel), https with a
// server context. Every request goes to the handler, with `n` counting the
// requests from 0; the body of the request has been read. Handlers that
// stall use Pause()/HoldOpen(), which end early when the server shuts down.
class TestHttpServer {
 public:
  using Handler = std::function<void(Poco::Net::HTTPServerRequest&,
                                     Poco::Net::HTTPServerResponse&, int n)>;

  explicit TestHttpServer(Handler handler,
                          Poco::Net::Context::Ptr tls = nullptr)
      : handler_(std::move(handler)),
        scheme_(tls ? "https" : "http"),
        pool_(2, 16) {
    const Poco::Net::SocketAddress any_port("127.0.0.1", 0);
    Poco::Net::ServerSocket socket;
    if (tls) {
      socket = Poco::Net::SecureServerSocket(any_port, 64, tls);
    } else {
      socket = Poco::Net::ServerSocket(any_port);
    }
    port_ = socket.address().port();
    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setKeepAlive(false);
    params->setMaxThreads(16);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(this), pool_,
                                                      socket, params);
    server_->start();
  }

  ~TestHttpServer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    server_->stopAll(true);
    server_.reset();
    pool_.joinAll();
  }

  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  // scheme://127.0.0.1:port, then `path`.
  std::string url(const std::string& path = "") const {
    return scheme_ + "://127.0.0.1:" + std::to_string(port_) + path;
  }

  int port() const { return port_; }

  std::vector<SeenRequest> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

  // Waits `duration`; false (at once) if the server is shutting down.
  bool Pause(std::chrono::milliseconds duration) {
    std::unique_lock<std::mutex> lock(mu_);
    return !cv_.wait_for(lock, duration, [this] { return done_; });
  }
  void HoldOpen() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return done_; });
  }

 private:
  class Handle : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Handle(TestHttpServer* owner) : owner_(owner) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
      SeenRequest seen{request.getMethod(), request.getURI(), "", {}};
      for (const auto& [name, value] : request) {
        seen.headers.add(name, value);
      }
      Poco::StreamCopier::copyToString(request.stream(), seen.body);
      int n = 0;
      {
        std::lock_guard<std::mutex> lock(owner_->mu_);
        n = static_cast<int>(owner_->requests_.size());
        owner_->requests_.push_back(std::move(seen));
      }
      owner_->handler_(request, response, n);
    }

   private:
    TestHttpServer* owner_;
  };

  class Factory : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(TestHttpServer* owner) : owner_(owner) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new Handle(owner_);
    }

   private:
    TestHttpServer* owner_;
  };

  const Handler handler_;
  const std::string scheme_;
  Poco::ThreadPool pool_;
  Poco::UInt16 port_ = 0;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::vector<SeenRequest> requests_;
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
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(server_.address().port());
  }

 private:
  Poco::Net::ServerSocket server_;
  std::vector<Poco::Net::StreamSocket> fill_;
};

// A port on 127.0.0.1 that refuses connections: bound, then closed.
inline Poco::UInt16 RefusingPort() {
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
  const Poco::UInt16 port = socket.address().port();
  socket.close();
  return port;
}

// A self-signed certificate (2048-bit RSA, 1 day) for `subject_alt_name`
// ("IP:127.0.0.1", "DNS:elsewhere.test") in `dir`/<prefix>cert.pem, its key
// in `dir`/<prefix>key.pem. `dir` is made if need be. False if openssl
// failed.
inline bool MakeTestCertificate(const std::string& dir,
                                const std::string& subject_alt_name,
                                const std::string& prefix = "") {
  const std::string name =
      subject_alt_name.substr(subject_alt_name.find(':') + 1);
  const std::string command =
      "mkdir -p " + dir + " && openssl req -x509 -newkey rsa:2048 -nodes " +
      "-days 1 -subj /CN=" + name +
      " -addext subjectAltName=" + subject_alt_name + " -keyout " + dir + "/" +
      prefix + "key.pem -out " + dir + "/" + prefix + "cert.pem 2>/dev/null";
  return std::system(command.c_str()) == 0;
}

// A server context serving the certificate MakeTestCertificate made.
inline Poco::Net::Context::Ptr TestServerContext(
    const std::string& dir, const std::string& prefix = "") {
  Poco::Net::initializeSSL();
  return new Poco::Net::Context(
      Poco::Net::Context::TLS_SERVER_USE, dir + "/" + prefix + "key.pem",
      dir + "/" + prefix + "cert.pem", "", Poco::Net::Context::VERIFY_NONE);
}

// A Marathon answering every request with 200 {"apps": []}, or with a 307
// to `redirect_to` + the request's target; it records the Authorization
// header of each request.
class MarathonRecorder {
 public:
  explicit MarathonRecorder(std::string redirect_to = "",
                            Poco::Net::Context::Ptr tls = nullptr)
      : redirect_to_(std::move(redirect_to)),
        server_(
            [this](Poco::Net::HTTPServerRequest& req,
                   Poco::Net::HTTPServerResponse& res, int) {
              if (!redirect_to_.empty()) {
                res.setStatusAndReason(
                    Poco::Net::HTTPResponse::HTTP_TEMPORARY_REDIRECT);
                res.set("Location", redirect_to_ + req.getURI());
                res.setContentLength(0);
                res.send();
                return;
              }
              res.setContentType("application/json");
              res.send() << R"({"apps": []})";
            },
            tls) {}
  std::string url() const { return server_.url(); }
  // The Authorization header of the i-th request ("" for none).
  std::string Authorization(size_t i) {
    const std::vector<SeenRequest> seen = server_.requests();
    return i < seen.size() ? seen[i].Header("Authorization") : "(no request)";
  }

 private:
  const std::string redirect_to_;
  TestHttpServer server_;  // last: stops first
};

}  // namespace mlb::testing
