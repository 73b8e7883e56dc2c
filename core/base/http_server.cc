#include "core/base/http_server.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <sstream>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/SocketAddress.h>

#include "core/base/fd.h"

namespace mlb {
namespace {

using SteadyTime = std::chrono::steady_clock::time_point;

// After the reply, the connection reads and drops what the peer still sends
// for this long (at most kLingerBytes), so that closing with unread input
// does not reset the connection before the peer has read the reply (a 413
// to a client still sending its body).
constexpr std::chrono::milliseconds kLinger{1000};
constexpr size_t kLingerBytes = 1 << 20;
// A chunk-size line longer than this is not HTTP.
constexpr size_t kMaxChunkLine = 1024;

std::string ErrnoText(const std::string& call) {
  return call + ": " + std::strerror(errno);
}

std::string Ms(std::chrono::milliseconds ms) {
  return std::to_string(ms.count()) + " ms";
}

std::string PeerOf(const sockaddr_storage& addr) {
  try {
    return Poco::Net::SocketAddress(reinterpret_cast<const sockaddr*>(&addr),
                                    addr.ss_family == AF_INET6
                                        ? sizeof(sockaddr_in6)
                                        : sizeof(sockaddr_in))
        .toString();
  } catch (const Poco::Exception&) {
    return "?";
  }
}

}  // namespace

std::string ServerRequest::Header(const std::string& name,
                                  const std::string& fallback) const {
  for (const auto& [key, value] : headers) {
    if (strcasecmp(key.c_str(), name.c_str()) == 0) {
      return value;
    }
  }
  return fallback;
}

bool SameSecret(const std::string& given, const std::string& wanted) {
  unsigned char diff = given.size() == wanted.size() ? 0 : 1;
  for (size_t i = 0; i < given.size() && i < wanted.size(); ++i) {
    diff |= static_cast<unsigned char>(given[i] ^ wanted[i]);
  }
  return diff == 0;
}

struct HttpServer::Connection {
  enum class Phase {
    kHead,    // reading the request line and headers
    kBody,    // reading the body
    kWrite,   // writing the reply
    kLinger,  // reply written: dropping late input until EOF or kLinger
  };
  // Where a chunked body's decoder stands.
  enum class Chunk { kSize, kData, kDataEnd, kTrailer };

  int fd = -1;
  std::string peer;
  Phase phase = Phase::kHead;
  SteadyTime deadline;
  std::string in;  // received, not yet consumed
  ServerRequest request;
  bool chunked = false;
  Chunk chunk = Chunk::kSize;
  size_t body_left = 0;  // of the Content-Length, or of the current chunk
  size_t trailer_bytes = 0;
  size_t dropped = 0;  // bytes dropped while lingering
  std::string out;  // the reply's head, and its body unless shared
  size_t out_at = 0;
  std::shared_ptr<const std::string> shared_body;  // written after `out`
  size_t shared_at = 0;
  bool closed = false;

  ~Connection() { CloseFd(&fd); }
};

Status HttpServer::Start(const std::string& what, const std::string& address,
                         HttpServerLimits limits, Handler handler,
                         std::unique_ptr<HttpServer>* out) {
  std::unique_ptr<HttpServer> server(new HttpServer());
  server->limits_ = limits;
  server->handler_ = std::move(handler);
  Poco::Net::SocketAddress bind_to;
  try {
    bind_to = Poco::Net::SocketAddress(address);
  } catch (const Poco::Exception& e) {
    return Status::Error(what, "address " + address + ": " + e.displayText());
  }
  const int fd =
      socket(bind_to.af(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return Status::Error(what, ErrnoText("socket"));
  }
  server->listen_fd_ = fd;
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, bind_to.addr(), bind_to.length()) != 0) {
    return Status::Error(what, ErrnoText("bind " + bind_to.toString()));
  }
  if (listen(fd, 128) != 0) {
    return Status::Error(what, ErrnoText("listen " + bind_to.toString()));
  }
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length) != 0) {
    return Status::Error(what, ErrnoText("getsockname"));
  }
  const Poco::Net::SocketAddress local(reinterpret_cast<sockaddr*>(&bound),
                                       length);
  server->port_ = local.port();
  server->host_ = local.host().toString();
  server->ipv6_ = local.family() == Poco::Net::SocketAddress::IPv6;
  if (pipe2(server->wake_fds_, O_CLOEXEC | O_NONBLOCK) != 0) {
    return Status::Error(what, ErrnoText("pipe2"));
  }
  server->thread_ = std::thread([s = server.get()] { s->Loop(); });
  *out = std::move(server);
  return Status::OK();
}

HttpServer::~HttpServer() {
  if (thread_.joinable()) {
    const char byte = 0;
    (void)!write(wake_fds_[1], &byte, 1);
    thread_.join();
  }
  connections_.clear();
  CloseFd(&listen_fd_);
  CloseFd(&wake_fds_[0]);
  CloseFd(&wake_fds_[1]);
}

void HttpServer::Loop() {
  std::vector<pollfd> fds;
  while (true) {
    fds.clear();
    fds.push_back({wake_fds_[0], POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});
    SteadyTime next = std::chrono::steady_clock::now() + std::chrono::hours(1);
    for (const std::unique_ptr<Connection>& c : connections_) {
      fds.push_back(
          {c->fd,
           static_cast<short>(c->phase == Connection::Phase::kWrite ? POLLOUT
                                                                    : POLLIN),
           0});
      next = std::min(next, c->deadline);
    }
    if (poll(fds.data(), fds.size(), RemainingMs(next)) < 0 && errno != EINTR) {
      return;  // cannot happen with valid descriptors
    }
    if (fds[0].revents != 0) {
      return;
    }
    // connections_ and fds[2..] match until Accept() below.
    for (size_t i = 0; i < connections_.size(); ++i) {
      Connection& c = *connections_[i];
      const short revents = fds[i + 2].revents;
      if (revents == 0) {
        continue;
      }
      const bool keep =
          c.phase == Connection::Phase::kWrite ? Write(c) : Read(c);
      c.closed = c.closed || !keep;
    }
    const SteadyTime now = std::chrono::steady_clock::now();
    for (const std::unique_ptr<Connection>& c : connections_) {
      if (c->closed || now < c->deadline) {
        continue;
      }
      switch (c->phase) {
        case Connection::Phase::kHead:
        case Connection::Phase::kBody: {
          ServerReply reply;
          reply.status = 408;
          reply.body = "the request did not arrive whole within " +
                       Ms(limits_.read_deadline) + "\n";
          Answer(*c, std::move(reply));
          c->closed = !Write(*c);
          break;
        }
        case Connection::Phase::kWrite: {
          // The peer does not read: reset the connection, so that the
          // kernel drops the unsent reply too instead of keeping it for
          // that peer.
          const linger reset{1, 0};
          setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
          c->closed = true;
          break;
        }
        case Connection::Phase::kLinger:  // done
          c->closed = true;
          break;
      }
    }
    connections_.erase(std::remove_if(connections_.begin(), connections_.end(),
                                      [](const std::unique_ptr<Connection>& c) {
                                        return c->closed;
                                      }),
                       connections_.end());
    if (fds[1].revents != 0) {
      Accept();
    }
  }
}

void HttpServer::Accept() {
  // A bounded batch per round, so that reading and writing keep up.
  for (int i = 0; i < 64; ++i) {
    sockaddr_storage addr{};
    socklen_t length = sizeof addr;
    const int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr),
                           &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      return;  // EAGAIN: none left; else (EMFILE...) the next round tries
    }
    if (connections_.size() >= limits_.max_connections) {
      Evict();
    }
    auto c = std::make_unique<Connection>();
    c->fd = fd;
    c->peer = PeerOf(addr);
    c->deadline = std::chrono::steady_clock::now() + limits_.read_deadline;
    connections_.push_back(std::move(c));
  }
}

void HttpServer::Evict() {
  // Which connection goes first: one that has its answer costs its peer
  // nothing; one whose peer does not read its answer (for as long as the
  // write deadline) was served already and can ask again; one still sending
  // may be the health checker that connected last. Among equals the oldest
  // (connections_ is in accept order), which has had the most time.
  const auto rank = [](const Connection& c) {
    switch (c.phase) {
      case Connection::Phase::kLinger:
        return 0;
      case Connection::Phase::kWrite:
        return 1;
      case Connection::Phase::kHead:
      case Connection::Phase::kBody:
        return 2;
    }
    return 2;
  };
  auto evicted = connections_.end();
  for (auto it = connections_.begin(); it != connections_.end(); ++it) {
    if (evicted == connections_.end() || rank(**it) < rank(**evicted)) {
      evicted = it;
    }
  }
  if (evicted == connections_.end()) {
    return;  // max_connections is 0: nothing to make way
  }
  if ((*evicted)->phase == Connection::Phase::kWrite) {
    // As at the write deadline: a reset, so that the kernel drops the unsent
    // reply too.
    const linger reset{1, 0};
    setsockopt((*evicted)->fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  }
  connections_.erase(evicted);
}

bool HttpServer::Read(Connection& c) {
  char buffer[16 * 1024];
  // Up to 64 KiB per round, so that one fast sender does not hold the loop.
  for (int i = 0; i < 4; ++i) {
    const ssize_t n = recv(c.fd, buffer, sizeof buffer, 0);
    if (n == 0) {
      return false;  // the peer closed (or half-closed) before its reply
    }
    if (n < 0) {
      return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    }
    if (c.phase == Connection::Phase::kLinger) {
      c.dropped += static_cast<size_t>(n);
      if (c.dropped > kLingerBytes) {
        return false;
      }
      continue;
    }
    c.in.append(buffer, static_cast<size_t>(n));
    if (c.phase == Connection::Phase::kHead && !TakeHead(c)) {
      if (c.phase == Connection::Phase::kWrite) {
        return Write(c);
      }
      continue;
    }
    if (c.phase == Connection::Phase::kBody && TakeBody(c)) {
      Dispatch(c);
    }
    if (c.phase == Connection::Phase::kWrite) {
      return Write(c);
    }
  }
  return true;
}

bool HttpServer::TakeHead(Connection& c) {
  const size_t crlf = c.in.find("\r\n\r\n");
  const size_t lf = c.in.find("\n\n");
  size_t end = std::string::npos;
  if (crlf != std::string::npos) {
    end = crlf + 4;
  }
  if (lf != std::string::npos && lf + 2 < end) {
    end = lf + 2;
  }
  if (end == std::string::npos ? c.in.size() > limits_.max_head_bytes
                               : end > limits_.max_head_bytes) {
    Answer(c, TextReply(431, "request line and headers take more than " +
                                 std::to_string(limits_.max_head_bytes) +
                                 " bytes\n"));
    return false;
  }
  if (end == std::string::npos) {
    return false;
  }
  Poco::Net::HTTPRequest parsed;
  try {
    std::istringstream head(c.in.substr(0, end));
    parsed.read(head);
  } catch (const Poco::Exception& e) {
    Answer(c, TextReply(400, "malformed request: " + e.message() + "\n"));
    return false;
  }
  c.in.erase(0, end);
  ServerRequest& r = c.request;
  r.method = parsed.getMethod();
  r.target = parsed.getURI();
  const size_t question = r.target.find('?');
  r.path = r.target.substr(0, question);
  r.query = question == std::string::npos ? "" : r.target.substr(question + 1);
  r.peer = c.peer;
  std::vector<std::string> lengths;
  // Every Transfer-Encoding header, joined: several are one list (RFC 9110
  // 5.3), as a proxy in front reads them.
  std::string coding;
  bool has_coding = false;
  for (const auto& [name, value] : parsed) {
    r.headers.emplace_back(name, value);
    if (strcasecmp(name.c_str(), "Content-Length") == 0) {
      lengths.push_back(value);
    }
    if (strcasecmp(name.c_str(), "Transfer-Encoding") == 0) {
      coding += (has_coding ? ", " : "") + value;
      has_coding = true;
    }
  }
  // The body's framing (RFC 9112 6): chunked, a Content-Length, or none.
  // Both, or lengths that disagree, are refused: a proxy in front might
  // frame the message otherwise (request smuggling).
  if (has_coding) {
    // The list's codings, empty elements left out (RFC 9110 5.6.1).
    std::vector<std::string> codings;
    std::istringstream list(coding);
    for (std::string item; std::getline(list, item, ',');) {
      const size_t first = item.find_first_not_of(" \t");
      if (first != std::string::npos) {
        codings.push_back(item.substr(first, item.find_last_not_of(" \t") -
                                                 first + 1));
      }
    }
    // Only "chunked", once: any other coding (gzip, or chunked not last)
    // is one this server does not decode.
    const auto not_chunked =
        std::find_if(codings.begin(), codings.end(), [](const std::string& x) {
          return strcasecmp(x.c_str(), "chunked") != 0;
        });
    if (not_chunked != codings.end()) {
      Answer(c,
             TextReply(501, "only the chunked transfer coding is taken, not '" +
                                coding + "'\n"));
      return false;
    }
    if (codings.size() != 1) {
      Answer(c, TextReply(400, "Transfer-Encoding '" + coding +
                                   "': chunked exactly once\n"));
      return false;
    }
    if (!lengths.empty()) {
      Answer(c, TextReply(400, "both Transfer-Encoding and Content-Length\n"));
      return false;
    }
    c.chunked = true;
  } else if (!lengths.empty()) {
    const std::string& text = lengths.front();
    const bool digits =
        !text.empty() && text.size() <= 18 &&
        text.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || std::count(lengths.begin(), lengths.end(), text) !=
                       static_cast<long>(lengths.size())) {
      Answer(c, TextReply(400, "bad Content-Length\n"));
      return false;
    }
    c.body_left = std::stoull(text);
  } else if (r.method == "POST" || r.method == "PUT") {
    // Without either, a request has no body (RFC 9112 6.3): what follows
    // the head would be dropped unread. These two methods are sent with one.
    Answer(c, TextReply(411, r.method +
                                 " needs a Content-Length or a chunked body\n"));
    return false;
  }
  if (c.body_left > limits_.max_body_bytes) {
    Answer(c, TextReply(413, "the body has " + std::to_string(c.body_left) +
                                 " bytes; at most " +
                                 std::to_string(limits_.max_body_bytes) +
                                 " are taken here\n"));
    return false;
  }
  c.phase = Connection::Phase::kBody;
  return true;
}

bool HttpServer::TakeBody(Connection& c) {
  std::string& body = c.request.body;
  const auto too_big = [&] {
    Answer(c, TextReply(413, "the chunked body exceeds " +
                                 std::to_string(limits_.max_body_bytes) +
                                 " bytes, the most taken here\n"));
    return false;
  };
  if (!c.chunked) {
    const size_t take = std::min(c.body_left, c.in.size());
    body.append(c.in, 0, take);
    c.in.erase(0, take);
    c.body_left -= take;
    return c.body_left == 0;
  }
  while (true) {
    switch (c.chunk) {
      case Connection::Chunk::kSize: {
        const size_t nl = c.in.find('\n');
        if (nl == std::string::npos) {
          if (c.in.size() > kMaxChunkLine) {
            Answer(c, TextReply(400, "bad chunk size line\n"));
          }
          return false;
        }
        std::string line = c.in.substr(0, std::min(nl, c.in.find(';')));
        c.in.erase(0, nl + 1);
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ' ||
                                 line.back() == '\t')) {
          line.pop_back();
        }
        if (line.empty() || line.size() > 15 ||
            line.find_first_not_of("0123456789abcdefABCDEF") !=
                std::string::npos) {
          Answer(c, TextReply(400, "bad chunk size line\n"));
          return false;
        }
        const size_t size = std::stoull(line, nullptr, 16);
        if (size == 0) {
          c.chunk = Connection::Chunk::kTrailer;
        } else if (size > limits_.max_body_bytes - body.size()) {
          return too_big();
        } else {
          c.body_left = size;
          c.chunk = Connection::Chunk::kData;
        }
        break;
      }
      case Connection::Chunk::kData: {
        const size_t take = std::min(c.body_left, c.in.size());
        body.append(c.in, 0, take);
        c.in.erase(0, take);
        c.body_left -= take;
        if (c.body_left > 0) {
          return false;
        }
        c.chunk = Connection::Chunk::kDataEnd;
        break;
      }
      case Connection::Chunk::kDataEnd:
        if (c.in.rfind("\r\n", 0) == 0) {
          c.in.erase(0, 2);
        } else if (c.in.rfind("\n", 0) == 0) {
          c.in.erase(0, 1);
        } else if (c.in.size() < 2) {
          return false;
        } else {
          Answer(c, TextReply(400, "chunk not followed by CRLF\n"));
          return false;
        }
        c.chunk = Connection::Chunk::kSize;
        break;
      case Connection::Chunk::kTrailer: {
        // Trailer fields are dropped; they count against the head's bound.
        const size_t nl = c.in.find('\n');
        if (nl == std::string::npos) {
          if (c.trailer_bytes + c.in.size() > limits_.max_head_bytes) {
            Answer(c, TextReply(431, "trailer fields too large\n"));
          }
          return false;
        }
        const bool last = nl == 0 || (nl == 1 && c.in[0] == '\r');
        c.trailer_bytes += nl + 1;
        c.in.erase(0, nl + 1);
        if (last) {
          return true;
        }
        if (c.trailer_bytes > limits_.max_head_bytes) {
          Answer(c, TextReply(431, "trailer fields too large\n"));
          return false;
        }
        break;
      }
    }
  }
}

void HttpServer::Dispatch(Connection& c) {
  ServerReply reply;
  try {
    reply = handler_(c.request);
  } catch (const std::exception& e) {
    reply = TextReply(500, std::string("internal error: ") + e.what() + "\n");
  }
  Answer(c, std::move(reply), c.request.method == "HEAD");
}

void HttpServer::Answer(Connection& c, ServerReply reply, bool head_only) {
  std::string& out = c.out;
  out = "HTTP/1.1 " + std::to_string(reply.status) + " " +
        Poco::Net::HTTPResponse::getReasonForStatus(
            static_cast<Poco::Net::HTTPResponse::HTTPStatus>(reply.status)) +
        "\r\n";
  if (!reply.content_type.empty()) {
    out += "Content-Type: " + reply.content_type + "\r\n";
  }
  for (const auto& [name, value] : reply.headers) {
    out += name + ": " + value + "\r\n";
  }
  const size_t length =
      reply.shared_body ? reply.shared_body->size() : reply.body.size();
  out += "Content-Length: " + std::to_string(length) + "\r\n";
  out += "Connection: close\r\n\r\n";
  if (!head_only && reply.shared_body) {
    c.shared_body = std::move(reply.shared_body);
  } else if (!head_only) {
    out += reply.body;
  }
  c.out_at = 0;
  c.shared_at = 0;
  c.in.clear();
  c.phase = Connection::Phase::kWrite;
  c.deadline = std::chrono::steady_clock::now() + limits_.write_deadline;
}

bool HttpServer::Write(Connection& c) {
  // The head (with the body, unless shared), then the shared body.
  const std::string empty;
  const std::string& shared = c.shared_body ? *c.shared_body : empty;
  while (c.out_at < c.out.size() || c.shared_at < shared.size()) {
    const bool head = c.out_at < c.out.size();
    const std::string& text = head ? c.out : shared;
    size_t& at = head ? c.out_at : c.shared_at;
    // MSG_MORE: the head goes out with the body's first bytes.
    const int more = head && !shared.empty() ? MSG_MORE : 0;
    const ssize_t n =
        send(c.fd, text.data() + at, text.size() - at, MSG_NOSIGNAL | more);
    if (n < 0) {
      return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    }
    at += static_cast<size_t>(n);
  }
  std::string().swap(c.out);
  c.shared_body.reset();
  shutdown(c.fd, SHUT_WR);
  c.phase = Connection::Phase::kLinger;
  c.deadline = std::chrono::steady_clock::now() + kLinger;
  return true;
}

}  // namespace mlb
