#include "core/base/http_client.h"

#include <Poco/Delegate.h>
#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPBasicCredentials.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/VerificationErrorArgs.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>
#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <streambuf>
#include <system_error>
#include <thread>

#include "core/base/logging.h"
#include "core/base/text.h"

namespace mlb {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// How often a pending connect looks at its HttpCancel.
constexpr milliseconds kCancelPollSlice{50};

// Why OpenSSL refused the peer's certificate in this thread's last
// handshake ("self-signed certificate", "unable to get local issuer
// certificate"), as Poco's verify callback reports it: OpenSSL's error for
// the handshake only says "certificate verify failed".
thread_local std::string tls_verify_error;

void OnVerifyError(const void*, Poco::Net::VerificationErrorArgs& args) {
  if (tls_verify_error.empty()) {
    tls_verify_error = args.errorMessage();
  }
}

// A Poco exception's text, with the reason of a failed certificate check.
std::string ExceptionText(const Poco::Exception& e) {
  std::string text = e.displayText();
  if (!tls_verify_error.empty() &&
      text.find("certificate verify failed") != std::string::npos) {
    text += " (" + tls_verify_error + ")";
  }
  return text;
}

std::string Ms(milliseconds duration) {
  return std::to_string(duration.count()) + " ms";
}

Poco::Timespan Span(milliseconds duration) {
  return Poco::Timespan(std::chrono::microseconds(duration).count());
}

bool IsRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 ||
         status == 308;
}

// The request target: path and query, never empty.
std::string TargetOf(const Poco::URI& uri) {
  std::string target = uri.getPathAndQuery();
  if (target.empty() || target[0] != '/') {
    target.insert(0, "/");
  }
  return target;
}

std::string HostAndPort(const Poco::URI& uri) {
  return Lower(uri.getHost()) + ":" + std::to_string(uri.getPort());
}

bool SameHostAndPort(const Poco::URI& a, const Poco::URI& b) {
  return HostAndPort(a) == HostAndPort(b);
}

// " (--flag)" when a limit came from a flag, so that the error names it.
std::string FlagNote(const std::string& flag) {
  return flag.empty() ? "" : " (" + flag + ")";
}

// The end of the whole exchange (or of its head), when there is a total
// timeout.
class Deadline {
 public:
  Deadline(milliseconds total, const std::string& flag,
           std::string what = "no complete answer")
      : total_(total),
        end_(Clock::now() + total),
        flag_(flag),
        what_(std::move(what)) {}

  bool set() const { return total_.count() > 0; }
  Clock::time_point end() const { return end_; }
  bool passed() const { return set() && Clock::now() >= end_; }
  // `wait` (0: no limit, as for a socket) cut to the time left, at least
  // 1 ms. Rounded up: a socket wait cut to the millisecond below would end
  // just before the deadline, and read as a plain timeout, not as it.
  milliseconds Cap(milliseconds wait) const {
    if (!set()) {
      return wait;
    }
    const milliseconds left = std::max(
        milliseconds(1), std::chrono::ceil<milliseconds>(end_ - Clock::now()));
    return wait.count() == 0 ? left : std::min(wait, left);
  }
  std::string Message() const {
    return what_ + " within " + Ms(total_) + FlagNote(flag_);
  }

 private:
  milliseconds total_;
  Clock::time_point end_;
  std::string flag_;
  std::string what_;
};

// Shuts a socket down when a deadline passes. The socket timeouts bound each
// wait, not their sum: a peer that sends its status line and headers one
// byte at a time (each within the read timeout) would hold the exchange for
// as long as it likes, since Poco reads the headers in one call we cannot
// look into. The body checks the deadline between reads too (BodyBuffer).
// Keeps a dup() of the descriptor, as HttpCancel does, so that it never
// shuts down a descriptor closed and reused meanwhile.
class DeadlineWatch {
 public:
  DeadlineWatch(const Deadline& deadline, int fd) {
    if (!deadline.set()) {
      return;
    }
    fd_ = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (fd_ < 0) {
      Log().warning("HTTP client: dup() failed; the total timeout only "
                    "bounds the body");
      return;
    }
    thread_ = std::thread([this, end = deadline.end()] {
      std::unique_lock<std::mutex> lock(mu_);
      if (!cv_.wait_until(lock, end, [this] { return done_; })) {
        ::shutdown(fd_, SHUT_RDWR);
      }
    });
  }
  ~DeadlineWatch() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) {
      thread_.join();
    }
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  DeadlineWatch(const DeadlineWatch&) = delete;
  DeadlineWatch& operator=(const DeadlineWatch&) = delete;

 private:
  int fd_ = -1;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;  // guarded by mu_
  std::thread thread_;
};

// The addresses of `host` by getaddrinfo(3), numeric, in its order.
Status GetAddrInfo(const std::string& host, std::vector<std::string>* out) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;  // as Poco's DNS::hostByName
  addrinfo* result = nullptr;
  const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &result);
  if (rc != 0) {
    return Status::Error(rc == EAI_SYSTEM ? std::strerror(errno)
                                          : gai_strerror(rc));
  }
  for (const addrinfo* ai = result; ai != nullptr; ai = ai->ai_next) {
    char text[NI_MAXHOST];
    if (getnameinfo(ai->ai_addr, ai->ai_addrlen, text, sizeof(text), nullptr,
                    0, NI_NUMERICHOST) == 0) {
      out->emplace_back(text);
    }
  }
  freeaddrinfo(result);
  return Status::OK();
}

// `host`:`port` as a socket address. A literal IP address is taken as it
// is; a name is looked up by `resolver` (getaddrinfo when unset) on a
// thread of its own, waited for until `end` (`limit` after the start) or
// until `cancel` is cancelled, whichever comes first. A lookup given up is
// left to finish alone: it holds its own share of what it writes.
Status ResolveHost(const HttpResolver& resolver, const std::string& host,
                   uint16_t port, Clock::time_point end, milliseconds limit,
                   const HttpCancel* cancel,
                   Poco::Net::SocketAddress* address) {
  Poco::Net::IPAddress ip;
  if (Poco::Net::IPAddress::tryParse(host, ip)) {
    *address = Poco::Net::SocketAddress(ip, port);
    return Status::OK();
  }
  struct Lookup {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;  // guarded by mu, and so are the two below
    Status status;
    std::vector<std::string> addresses;
  };
  const auto lookup = std::make_shared<Lookup>();
  std::thread([lookup, resolver, host] {
    std::vector<std::string> addresses;
    Status status;
    try {
      status = resolver ? resolver(host, &addresses)
                        : GetAddrInfo(host, &addresses);
    } catch (const std::exception& e) {
      status = Status::Error(e.what());
    }
    {
      std::lock_guard<std::mutex> lock(lookup->mu);
      lookup->status = std::move(status);
      lookup->addresses = std::move(addresses);
      lookup->done = true;
    }
    lookup->cv.notify_all();
  }).detach();
  std::unique_lock<std::mutex> lock(lookup->mu);
  while (!lookup->done) {
    if (cancel != nullptr && cancel->cancelled()) {
      return Status::Error("stopped");
    }
    const Clock::time_point now = Clock::now();
    if (now >= end) {
      return Status::Error("resolving " + host + " took longer than " +
                           Ms(limit));
    }
    lookup->cv.wait_until(lock, std::min(end, now + kCancelPollSlice));
  }
  if (!lookup->status.ok()) {
    return Status::Error("resolving " + host, lookup->status.message());
  }
  // As Poco's SocketAddress(host, port): the first IPv4 address, else the
  // first.
  std::optional<Poco::Net::IPAddress> chosen;
  for (const std::string& text : lookup->addresses) {
    if (!Poco::Net::IPAddress::tryParse(text, ip)) {
      return Status::Error("resolving " + host,
                           "not an IP address: '" + text + "'");
    }
    if (!chosen.has_value() ||
        (chosen->family() != Poco::Net::IPAddress::IPv4 &&
         ip.family() == Poco::Net::IPAddress::IPv4)) {
      chosen = ip;
    }
  }
  if (!chosen.has_value()) {
    return Status::Error("resolving " + host, "no address");
  }
  *address = Poco::Net::SocketAddress(*chosen, port);
  return Status::OK();
}

// One connection: a socket connected by hand (so that an HttpCancel can
// abort a pending connect), TLS over it for https, and a Poco session on it.
// An HTTPClientSession whose buffered reads ChunkedBody can make: Poco's
// own chunked reader ends a body at a chunk-size line that is not hex, or
// at EOF before the last chunk, as if it were whole.
class ClientSession : public Poco::Net::HTTPClientSession {
 public:
  using HTTPClientSession::HTTPClientSession;
  int ReadRaw(char* buffer, std::streamsize length) {
    return read(buffer, length);
  }
};

class Connection {
 public:
  Connection(HttpCancel* cancel, const HttpResolver& resolver)
      : cancel_(cancel), resolver_(resolver) {}
  // Unwatches before the members (and so the socket) are destroyed.
  ~Connection() {
    if (cancel_ != nullptr) {
      cancel_->Unwatch();
    }
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Looks `uri`'s host up (ResolveHost), connects to it and its port and,
  // with `tls`, does the handshake; the lookup and the connect take at most
  // `connect_timeout` together. Waits for the peer (the handshake, then
  // sending and receiving) at most `wait` at a time from then on.
  // The socket is shut down when `deadline` passes, or `head_deadline`
  // before HeadIn().
  Status Open(const Poco::URI& uri, const Deadline& deadline,
              const Deadline& head_deadline, milliseconds connect_timeout,
              milliseconds wait, const Poco::Net::Context::Ptr& tls) {
    // `connect_timeout` comes cut to the deadlines' time left, rounded down
    // to the millisecond: a deadline that ends within that millisecond ends
    // the wait, so that the error given is the deadline's.
    auto end = Clock::now() + connect_timeout;
    for (const Deadline* d : {&deadline, &head_deadline}) {
      if (d->set() && d->end() > end && d->end() < end + milliseconds(1)) {
        end = d->end();
      }
    }
    Poco::Net::SocketAddress address;
    MLB_RETURN_IF_ERROR(ResolveHost(resolver_, uri.getHost(), uri.getPort(),
                                    end, connect_timeout, cancel_, &address));
    socket_ = Poco::Net::StreamSocket(address.family());
    if (cancel_ != nullptr) {
      cancel_->Watch(socket_.impl()->sockfd());
    }
    watch_.emplace(deadline, socket_.impl()->sockfd());
    head_watch_.emplace(head_deadline, socket_.impl()->sockfd());
    socket_.connectNB(address);
    const milliseconds slice = cancel_ != nullptr
                                   ? std::min(kCancelPollSlice, connect_timeout)
                                   : connect_timeout;
    while (!socket_.poll(Span(std::max(milliseconds(1),
                                       std::min(slice, Left(end)))),
                         Poco::Net::Socket::SELECT_WRITE |
                             Poco::Net::Socket::SELECT_ERROR)) {
      if (Cancelled()) {
        return Status::Error("stopped");
      }
      if (Clock::now() >= end) {
        return Status::Error("connect timed out after " + Ms(connect_timeout));
      }
    }
    if (Cancelled()) {
      return Status::Error("stopped");
    }
    const int error = socket_.impl()->socketError();
    if (error != 0) {
      return Status::Error(
          "connect", std::error_code(error, std::system_category()).message());
    }
    socket_.setBlocking(true);
    socket_.setNoDelay(true);
    socket_.setKeepAlive(true);
    socket_.setSendTimeout(Span(wait));
    socket_.setReceiveTimeout(Span(wait));
    // The sessions are made on connected sockets: Poco then uses them as
    // they are. A plain HTTPClientSession over the secure socket, since
    // HTTPSClientSession would want to connect it itself.
    if (!tls.isNull()) {
      secure_ =
          Poco::Net::SecureStreamSocket::attach(socket_, uri.getHost(), tls);
      session_ = std::make_unique<ClientSession>(*secure_);
    } else {
      session_ = std::make_unique<ClientSession>(socket_);
    }
    return Status::OK();
  }

  // The answer's head is in: the head deadline no longer applies.
  void HeadIn() { head_watch_.reset(); }

  ClientSession& session() { return *session_; }
  // The socket under TLS too (the same descriptor), for its timeouts.
  Poco::Net::StreamSocket& socket() { return socket_; }

 private:
  bool Cancelled() const { return cancel_ != nullptr && cancel_->cancelled(); }

  // The time left until `end`, 0 when it has passed.
  static milliseconds Left(Clock::time_point end) {
    return std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(
                                          end - Clock::now()));
  }

  HttpCancel* const cancel_;
  const HttpResolver& resolver_;
  Poco::Net::StreamSocket socket_;
  std::optional<DeadlineWatch> watch_;
  std::optional<DeadlineWatch> head_watch_;
  // (Not default-constructed: that would make Poco's default TLS context.)
  std::optional<Poco::Net::SecureStreamSocket> secure_;
  std::unique_ptr<ClientSession> session_;
};

// The body of a "Transfer-Encoding: chunked" answer (RFC 9112 7.1), as it
// is read from the session: the chunks' data, and an error (thrown as
// Poco::IOException, kept in failure()) for a chunk-size line that is not
// one, or for the connection closed before the last chunk. Extensions and
// trailers are read and ignored.
class ChunkedBody : public std::streambuf {
 public:
  explicit ChunkedBody(ClientSession* session) : session_(session) {}

  const std::string& failure() const { return failure_; }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) {
      return traits_type::to_int_type(*gptr());
    }
    while (left_ == 0) {
      if (done_) {
        return traits_type::eof();
      }
      if (in_chunk_) {  // the CRLF after a chunk's data
        const std::string line = Line();
        if (!line.empty()) {
          Fail("chunk of the body longer than its size line said");
        }
        in_chunk_ = false;
      }
      const std::string line = Line();
      size_t digits = 0;
      uint64_t size = 0;
      while (digits < line.size() &&
             std::isxdigit(static_cast<unsigned char>(line[digits]))) {
        if (digits == 15) {
          Fail("chunk size of the body too large: " + Excerpt(line));
        }
        const char c = line[digits];
        size = size * 16 + static_cast<uint64_t>(
                               c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
        ++digits;
      }
      const size_t rest = line.find_first_not_of(" \t", digits);
      if (digits == 0 || (rest != std::string::npos && line[rest] != ';')) {
        Fail("bad chunk size line in the body: " + Excerpt(line));
      }
      if (size == 0) {
        while (!Line().empty()) {
        }  // the trailer, to its empty line
        done_ = true;
        continue;
      }
      left_ = size;
      in_chunk_ = true;
    }
    if (pos_ == end_) {
      Fill("in a chunk");
    }
    const size_t n = static_cast<size_t>(
        std::min<uint64_t>(left_, static_cast<uint64_t>(end_ - pos_)));
    setg(raw_ + pos_, raw_ + pos_, raw_ + pos_ + n);
    pos_ += n;
    left_ -= n;
    return traits_type::to_int_type(*gptr());
  }

 private:
  // The next line of the framing, without its CRLF (or LF).
  std::string Line() {
    std::string line;
    while (true) {
      if (pos_ == end_) {
        Fill("in a chunk-size line");
      }
      const char c = raw_[pos_++];
      if (c == '\n') {
        if (!line.empty() && line.back() == '\r') {
          line.pop_back();
        }
        return line;
      }
      if (line.size() >= kMaxLine) {
        Fail("chunk-size line of the body longer than " +
             std::to_string(kMaxLine) + " bytes");
      }
      line.push_back(c);
    }
  }
  void Fill(const char* where) {
    const int n = session_->ReadRaw(raw_, sizeof(raw_));
    if (n <= 0) {
      Fail(std::string("connection closed before the last chunk of the "
                       "body (") + where + ")");
    }
    pos_ = 0;
    end_ = static_cast<size_t>(n);
  }
  static std::string Excerpt(const std::string& line) {
    return "'" + EscapeLogText(line.substr(0, 40)) + "'";
  }
  [[noreturn]] void Fail(const std::string& message) {
    failure_ = message;
    throw Poco::IOException(message);
  }

  static constexpr size_t kMaxLine = 4096;
  ClientSession* const session_;
  char raw_[16384];
  size_t pos_ = 0;
  size_t end_ = 0;
  uint64_t left_ = 0;      // of the chunk being read
  bool in_chunk_ = false;  // its CRLF still to read
  bool done_ = false;      // the last chunk and the trailer read
  std::string failure_;
};

// The body as a reader sees it: what has arrived is passed on at once (a
// read never waits for more than one byte), counted against the size limit
// and the Content-Length, and every wait is cut to the deadline; the end of
// the body after a cancel is "stopped", not EOF. Its own failures are kept
// (failure()) and thrown as Poco::IOException.
class BodyBuffer : public std::streambuf {
 public:
  BodyBuffer(std::streambuf* source, Poco::Net::StreamSocket* socket,
             const HttpCancel* cancel, milliseconds wait,
             const Deadline& deadline, uint64_t max_bytes,
             std::string too_large, int64_t content_length)
      : source_(source),
        socket_(socket),
        cancel_(cancel),
        wait_(wait),
        deadline_(deadline),
        max_bytes_(max_bytes),
        too_large_(std::move(too_large)),
        content_length_(content_length) {}

  // Empty: none.
  const std::string& failure() const { return failure_; }
  bool failure_is_transport() const { return failure_is_transport_; }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) {
      return traits_type::to_int_type(*gptr());
    }
    if (deadline_.set()) {
      if (deadline_.passed()) {
        Fail(deadline_.Message(), true);
      }
      socket_->setReceiveTimeout(Span(deadline_.Cap(wait_)));
    }
    std::streamsize n = 0;
    try {
      if (traits_type::eq_int_type(source_->sgetc(), traits_type::eof())) {
        if (cancel_ != nullptr && cancel_->cancelled()) {
          Fail("stopped", true);  // the end the cancel's shutdown made
        }
        if (deadline_.passed()) {
          Fail(deadline_.Message(), true);  // the DeadlineWatch's shutdown
        }
        if (content_length_ >= 0 &&
            count_ < static_cast<uint64_t>(content_length_)) {
          Fail("connection closed after " + std::to_string(count_) + " of " +
                   std::to_string(content_length_) + " bytes",
               true);
        }
        return traits_type::eof();
      }
      const std::streamsize available =
          std::max<std::streamsize>(source_->in_avail(), 1);
      n = source_->sgetn(buffer_,
                         std::min<std::streamsize>(available, sizeof(buffer_)));
    } catch (const Poco::TimeoutException&) {
      if (deadline_.passed()) {
        Fail(deadline_.Message(), true);
      }
      throw;
    }
    count_ += static_cast<uint64_t>(n);
    if (max_bytes_ > 0 && count_ > max_bytes_) {
      Fail(too_large_, false);
    }
    setg(buffer_, buffer_, buffer_ + n);
    return traits_type::to_int_type(*gptr());
  }

 private:
  [[noreturn]] void Fail(const std::string& message, bool transport) {
    failure_ = message;
    failure_is_transport_ = transport;
    throw Poco::IOException(message);
  }

  std::streambuf* const source_;
  Poco::Net::StreamSocket* const socket_;
  const HttpCancel* const cancel_;
  const milliseconds wait_;
  const Deadline& deadline_;
  const uint64_t max_bytes_;
  const std::string too_large_;  // the error when the body exceeds max_bytes_
  const int64_t content_length_;  // -1: unknown
  uint64_t count_ = 0;
  std::string failure_;
  bool failure_is_transport_ = false;
  char buffer_[8192];
};

// The body of a "Content-Encoding: gzip" answer, inflated as it is read
// from `source` (a BodyBuffer): at most one input buffer and one output
// buffer in memory. The inflated bytes count against `max_bytes`. Its own
// failures are kept (failure()) and thrown as Poco::IOException; those of
// `source` pass through.
class GunzipBuffer : public std::streambuf {
 public:
  GunzipBuffer(std::streambuf* source, uint64_t max_bytes,
               std::string too_large)
      : source_(source), max_bytes_(max_bytes), too_large_(std::move(too_large)) {
    // 16 + MAX_WBITS: a gzip header and trailer, nothing else.
    ready_ = inflateInit2(&zs_, 16 + MAX_WBITS) == Z_OK;
  }
  ~GunzipBuffer() override {
    if (ready_) {
      inflateEnd(&zs_);
    }
  }
  GunzipBuffer(const GunzipBuffer&) = delete;
  GunzipBuffer& operator=(const GunzipBuffer&) = delete;

  const std::string& failure() const { return failure_; }
  bool failure_is_transport() const { return failure_is_transport_; }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) {
      return traits_type::to_int_type(*gptr());
    }
    if (!ready_) {
      Fail("gzip body: zlib cannot start", false);
    }
    while (true) {
      if (zs_.avail_in == 0) {
        if (traits_type::eq_int_type(source_->sgetc(), traits_type::eof())) {
          if (!member_open_) {
            return traits_type::eof();
          }
          Fail("gzip body truncated after " + std::to_string(compressed_) +
                   " bytes",
               true);
        }
        const std::streamsize available =
            std::max<std::streamsize>(source_->in_avail(), 1);
        const std::streamsize n = source_->sgetn(
            in_, std::min<std::streamsize>(available, sizeof(in_)));
        compressed_ += static_cast<uint64_t>(n);
        zs_.next_in = reinterpret_cast<Bytef*>(in_);
        zs_.avail_in = static_cast<uInt>(n);
      }
      if (!member_open_ && zs_.avail_in > 0) {
        // Another gzip member after the first (RFC 1952 allows several).
        if (ended_ && inflateReset(&zs_) != Z_OK) {
          Fail("gzip body: zlib cannot restart", false);
        }
        member_open_ = true;
      }
      zs_.next_out = reinterpret_cast<Bytef*>(out_);
      zs_.avail_out = sizeof(out_);
      const int rc = inflate(&zs_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        member_open_ = false;
        ended_ = true;
      } else if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT) {
        Fail(std::string("gzip body corrupt: ") +
                 (zs_.msg != nullptr ? zs_.msg : "invalid data"),
             false);
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        Fail("gzip body: zlib error " + std::to_string(rc), false);
      }
      const size_t n = sizeof(out_) - zs_.avail_out;
      if (n == 0) {
        continue;  // the input went into the header or the window
      }
      inflated_ += n;
      if (max_bytes_ > 0 && inflated_ > max_bytes_) {
        Fail(too_large_, false);
      }
      setg(out_, out_, out_ + n);
      return traits_type::to_int_type(*gptr());
    }
  }

 private:
  [[noreturn]] void Fail(const std::string& message, bool transport) {
    failure_ = message;
    failure_is_transport_ = transport;
    throw Poco::IOException(message);
  }

  std::streambuf* const source_;
  const uint64_t max_bytes_;
  const std::string too_large_;
  z_stream zs_{};
  bool ready_ = false;
  bool member_open_ = false;  // a gzip member begun and not ended
  bool ended_ = false;        // a member has ended (inflateReset before more)
  uint64_t compressed_ = 0;
  uint64_t inflated_ = 0;
  std::string failure_;
  bool failure_is_transport_ = false;
  char in_[16384];
  char out_[16384];
};

}  // namespace

// HttpCancel ------------------------------------------------------------------

HttpCancel::~HttpCancel() { Unwatch(); }

void HttpCancel::Cancel() {
  std::lock_guard<std::mutex> lock(mu_);
  cancelled_.store(true);
  if (fd_ >= 0) {
    ::shutdown(fd_, SHUT_RDWR);
  }
}

void HttpCancel::Watch(int fd) {
  const int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) {
    Log().warning(
        "HTTP client: dup() failed; a cancel will wait for a timeout");
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (fd_ >= 0) {
    ::close(fd_);
  }
  fd_ = copy;
  if (fd_ >= 0 && cancelled_.load()) {
    ::shutdown(fd_, SHUT_RDWR);
  }
}

void HttpCancel::Unwatch() {
  std::lock_guard<std::mutex> lock(mu_);
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

// HttpClient ------------------------------------------------------------------

std::string HostAndPortOf(const std::string& url) {
  try {
    const Poco::URI uri(url);
    if ((uri.getScheme() != "http" && uri.getScheme() != "https") ||
        uri.getHost().empty()) {
      return "";
    }
    return HostAndPort(uri);
  } catch (const Poco::Exception&) {
    return "";
  }
}

std::string HttpResponse::StatusLine() const {
  return "HTTP " + std::to_string(status) + " " + reason;
}

HttpClient::HttpClient(HttpClientOptions options)
    : options_(std::move(options)) {}

HttpClient::~HttpClient() = default;

Status HttpClient::TlsContext(Poco::Net::Context::Ptr* out) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (context_.isNull()) {
    try {
      Poco::Net::initializeSSL();
      static std::once_flag subscribed;
      std::call_once(subscribed, [] {
        Poco::Net::SSLManager::instance().ClientVerificationError +=
            Poco::delegate(&OnVerifyError);
      });
      context_ = new Poco::Net::Context(
          Poco::Net::Context::TLS_CLIENT_USE, "", "", options_.ca_file,
          Poco::Net::Context::VERIFY_STRICT, 9,
          /*loadDefaultCAs=*/options_.ca_file.empty());
    } catch (const Poco::Exception& e) {
      return Status::Error(e.displayText());
    }
  }
  *out = context_;
  return Status::OK();
}

Status HttpClient::Send(const HttpRequest& request,
                        const HttpBodyReader& read_body,
                        HttpResponse* response) const {
  *response = HttpResponse();
  HttpCancel* const cancel = options_.cancel;
  const Deadline deadline(options_.total_timeout, options_.total_timeout_flag);
  const Deadline head_deadline(options_.head_timeout,
                               options_.head_timeout_flag, "no answer head");
  // A wait until the head is in: cut to both deadlines.
  const auto head_cap = [&](milliseconds wait) {
    return head_deadline.Cap(deadline.Cap(wait));
  };
  const std::string too_large = "larger than " +
                                std::to_string(options_.max_body_bytes) +
                                " bytes" +
                                FlagNote(options_.max_body_bytes_flag);
  Poco::URI uri;
  try {
    uri = Poco::URI(request.url);
  } catch (const Poco::Exception& e) {
    return Status::Error("not a URL: " + e.displayText());
  }
  std::string user = options_.user;
  std::string password = options_.password;
  if (user.empty() && !uri.getUserInfo().empty()) {
    // Percent-encoded as RFC 3986 3.2.1 has it (a password with '@', ':'
    // or '/' in it can only be given so), and decoded as marathon-lb 1.15
    // (requests) decodes it: a '%' that starts no %HH stays.
    const std::string info = uri.getUserInfo();
    const size_t colon = info.find(':');
    user = PercentDecode(info.substr(0, colon));
    password = colon == std::string::npos
                   ? ""
                   : PercentDecode(info.substr(colon + 1));
  }
  uri.setUserInfo("");
  bool send_credentials = !user.empty() || !request.authorization.empty();
  std::string method = request.method;
  std::string body = request.body;
  std::string content_type = request.content_type;

  for (int redirects = 0;; ++redirects) {
    response->url = uri.toString();
    response->status = 0;
    response->reason.clear();
    response->headers.clear();
    if (cancel != nullptr && cancel->cancelled()) {
      response->transport_failed = true;
      return Status::Error("stopped");
    }
    if (uri.getScheme() != "http" && uri.getScheme() != "https") {
      return Status::Error("only http:// and https:// URLs are supported");
    }
    Poco::Net::Context::Ptr tls;
    if (uri.getScheme() == "https") {
      MLB_RETURN_IF_ERROR(TlsContext(&tls));
    }
    Connection connection(cancel, options_.resolver);
    bool head_in = false;
    std::optional<ChunkedBody> chunked;
    std::optional<BodyBuffer> buffer;
    std::optional<GunzipBuffer> gunzip;
    tls_verify_error.clear();
    // Why the exchange failed, when it did not end by an answer.
    const auto transport_failure = [&](const std::string& detail) {
      response->transport_failed = true;
      if (cancel != nullptr && cancel->cancelled()) {
        return Status::Error("stopped");
      }
      if (gunzip.has_value() && !gunzip->failure().empty()) {
        response->transport_failed = gunzip->failure_is_transport();
        return Status::Error(gunzip->failure());
      }
      if (buffer.has_value() && !buffer->failure().empty()) {
        response->transport_failed = buffer->failure_is_transport();
        return Status::Error(buffer->failure());
      }
      if (deadline.passed()) {
        return Status::Error(deadline.Message());
      }
      if (!head_in && head_deadline.passed()) {
        return Status::Error(head_deadline.Message());
      }
      if (chunked.has_value() && !chunked->failure().empty()) {
        return Status::Error(chunked->failure());  // not the deadline's end
      }
      return Status::Error(detail);
    };
    try {
      const Status opened = connection.Open(
          uri, deadline, head_deadline, head_cap(options_.connect_timeout),
          head_cap(options_.read_timeout), tls);
      if (!opened.ok()) {
        return transport_failure(opened.message());
      }
      Poco::Net::HTTPRequest out(method, TargetOf(uri),
                                 Poco::Net::HTTPMessage::HTTP_1_1);
      out.setHost(uri.getHost(), uri.getPort());
      out.set("User-Agent", options_.user_agent);
      if (request.accept_gzip) {
        out.set("Accept-Encoding", "gzip");
      }
      for (const auto& [name, value] : request.headers) {
        out.set(name, value);
      }
      if (send_credentials && !request.authorization.empty()) {
        out.set("Authorization", request.authorization);
      } else if (send_credentials) {
        Poco::Net::HTTPBasicCredentials(user, password).authenticate(out);
      }
      if (!body.empty()) {
        if (!content_type.empty()) {
          out.setContentType(content_type);
        }
        out.setContentLength(static_cast<std::streamsize>(body.size()));
      }
      connection.session().sendRequest(out) << body;
      Poco::Net::HTTPResponse in;
      std::istream& in_body = connection.session().receiveResponse(in);
      connection.HeadIn();
      if (head_deadline.passed()) {
        // The watch may have shut the socket down mid-head, and Poco takes
        // a head cut short by EOF as a whole one.
        return transport_failure(head_deadline.Message());
      }
      head_in = true;
      response->status = static_cast<int>(in.getStatus());
      response->reason = in.getReason();
      for (const auto& [name, value] : in) {
        response->headers.emplace_back(name, value);
      }

      if (IsRedirect(response->status)) {
        const std::string location = in.get("Location", "");
        if (location.empty()) {
          return Status::Error(response->StatusLine() +
                               " without a Location header");
        }
        Poco::URI next = uri;
        next.resolve(location);
        next.setUserInfo("");
        const std::string to = next.toString();
        if (options_.max_redirects == 0) {
          return Status::Error(response->StatusLine() + " to " + to +
                               " not followed");
        }
        if (redirects >= options_.max_redirects) {
          return Status::Error("more than " +
                               std::to_string(options_.max_redirects) +
                               " redirects");
        }
        if (next.getScheme() != "http" && next.getScheme() != "https") {
          return Status::Error("redirect to " + to +
                               " refused (only http and https)");
        }
        if (uri.getScheme() == "https" && next.getScheme() == "http") {
          if (options_.refuse_https_to_http) {
            return Status::Error("redirect from https to " + to + " refused");
          }
          send_credentials =
              send_credentials && options_.credentials_to_plain_http;
        }
        if (!SameHostAndPort(uri, next)) {
          const bool trusted = std::any_of(
              options_.credential_hosts.begin(),
              options_.credential_hosts.end(),
              [&](const std::string& host) {
                return Lower(host) == HostAndPort(next);
              });
          send_credentials = send_credentials &&
                             (options_.credentials_to_other_hosts || trusted);
        }
        if (options_.on_redirect) {
          options_.on_redirect(response->url, response->StatusLine(), to);
        }
        if (response->status == 303) {
          method = Poco::Net::HTTPRequest::HTTP_GET;
          body.clear();
          content_type.clear();
        }
        uri = next;
        continue;
      }
      if (!response->ok()) {
        return Status::OK();  // the caller reads the status
      }
      // Only when asked: a server may label a .tar.gz download "Content-
      // Encoding: gzip", and its reader wants the file's bytes.
      const std::string encoding =
          request.accept_gzip ? Lower(in.get("Content-Encoding", "")) : "";
      const bool gzipped = encoding == "gzip" || encoding == "x-gzip";
      if (!gzipped && !encoding.empty() && encoding != "identity") {
        return Status::Error("unsupported Content-Encoding: " +
                             in.get("Content-Encoding"));
      }
      if (options_.max_body_bytes > 0 && in.hasContentLength() &&
          static_cast<uint64_t>(in.getContentLength64()) >
              options_.max_body_bytes) {
        return Status::Error(too_large);
      }
      const milliseconds wait =
          options_.body_read_timeout.value_or(options_.read_timeout);
      connection.socket().setReceiveTimeout(Span(deadline.Cap(wait)));
      if (in.getChunkedTransferEncoding()) {
        chunked.emplace(&connection.session());
      }
      buffer.emplace(chunked.has_value() ? static_cast<std::streambuf*>(&*chunked)
                                         : in_body.rdbuf(),
                     &connection.socket(), cancel, wait,
                     deadline, options_.max_body_bytes, too_large,
                     in.hasContentLength() ? in.getContentLength64() : -1);
      if (gzipped) {
        gunzip.emplace(&*buffer, options_.max_body_bytes,
                       "gzip body larger than " +
                           std::to_string(options_.max_body_bytes) +
                           " bytes inflated" +
                           FlagNote(options_.max_body_bytes_flag));
      }
      std::istream stream(gzipped ? static_cast<std::streambuf*>(&*gunzip)
                                  : &*buffer);
      stream.exceptions(std::ios::badbit);
      return read_body(*response, stream);
    } catch (const Poco::Exception& e) {
      return transport_failure(ExceptionText(e));
    } catch (const std::exception& e) {
      return transport_failure(e.what());
    }
  }
}

Status HttpClient::Fetch(const HttpRequest& request, std::string* body,
                         HttpResponse* response) const {
  body->clear();
  return Send(
      request,
      [body](const HttpResponse&, std::istream& in) {
        char chunk[16384];
        while (in.read(chunk, sizeof(chunk)) || in.gcount() > 0) {
          body->append(chunk, static_cast<size_t>(in.gcount()));
        }
        return Status::OK();
      },
      response);
}

}  // namespace mlb
