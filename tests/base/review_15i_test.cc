// Review 15i: a hostile Marathon, network peer and local user against the
// HTTP client, the redaction of credentials and the log formats. Each test
// names what it expects; a failing one is a finding of the review.
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "core/base/http_client.h"
#include "core/base/logging.h"
#include "core/base/text.h"
#include "tests/support/hostile_http_server.h"
#include "tests/support/http_test_server.h"

namespace mlb {
namespace {

using testing::HostileHttpServer;
using testing::TestHttpServer;

// Basic base64("alice:s3@c:ret"), the password as the URL means it.
constexpr char kDecodedAuth[] = "Basic YWxpY2U6czNAYzpyZXQ=";

// RFC 3986 3.2.1: a password holding '@' or ':' (or any reserved byte) is
// percent-encoded in the URL, and the user information is the decoded
// text; Python's requests (marathon-lb 1.15's client) unquotes it
// (requests.utils.get_auth_from_url). The client sends "s3%40c%3Aret" as
// the password as it stands, so Marathon refuses every request (401) with
// a --marathon (or --template-url) URL that is right.
TEST(Review15iHttpClientTest, PercentEncodedUserInfoIsDecodedForBasicAuth) {
  TestHttpServer server([](Poco::Net::HTTPServerRequest&,
                           Poco::Net::HTTPServerResponse& res, int) {
    res.setContentLength(2);
    res.send() << "ok";
  });
  HttpClient client({});
  HttpRequest request;
  request.url = "http://alice:s3%40c%3Aret@127.0.0.1:" +
                std::to_string(server.port()) + "/v2/apps";
  std::string body;
  HttpResponse response;
  ASSERT_TRUE(client.Fetch(request, &body, &response).ok());
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].Header("Authorization"), kDecodedAuth);
  // A '%' that starts no escape stays, as unquote leaves it:
  // base64("alice:50%off").
  request.url = "http://alice:50%off@127.0.0.1:" +
                std::to_string(server.port()) + "/v2/apps";
  ASSERT_TRUE(client.Fetch(request, &body, &response).ok());
  ASSERT_EQ(server.requests().size(), 2u);
  EXPECT_EQ(server.requests()[1].Header("Authorization"),
            "Basic YWxpY2U6NTAlb2Zm");
}

// The answer `raw` (head and body, as sent) of a server that then closes
// the connection, fetched whole into *body.
Status FetchRaw(const std::string& raw, HttpResponse* response,
                std::string* body = nullptr) {
  HostileHttpServer server(
      [raw](HostileHttpServer::Writer& out, int) { out.Send(raw); });
  HttpClient client({});
  HttpRequest request;
  request.url = server.url("/t.tar");
  std::string ignored;
  return client.Fetch(request, body != nullptr ? body : &ignored, response);
}

// The client's own chunked reader (since review 15i) takes what RFC 9112
// allows: upper-case hex, chunk extensions, a trailer; and refuses a chunk
// longer than its size line.
TEST(Review15iHttpClientTest, ChunkExtensionsAndTrailersAreRead) {
  HttpResponse response;
  std::string body;
  ASSERT_TRUE(FetchRaw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                       "\r\n5;name=value\r\nhello\r\nD \r\n, world 12345"
                       "\r\n0\r\nX-Trailer: 1\r\n\r\n",
                       &response, &body)
                  .ok());
  EXPECT_EQ(body, "hello, world 12345");
  EXPECT_EQ(FetchRaw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                     "\r\n3\r\nhello\r\n0\r\n\r\n",
                     &response)
                .message(),
            "chunk of the body longer than its size line said");
}

// A chunked body whose connection closes before the last chunk (the
// "0\r\n\r\n" that ends it) is cut short, as a body closed before its
// Content-Length is ("connection closed after N of M bytes", a transport
// failure). The client handed it on as a whole body: a template archive
// or any other download cut at a chunk boundary by a peer or a proxy
// read as complete.
TEST(Review15iHttpClientTest, ChunkedBodyClosedBeforeItsLastChunkIsAnError) {
  HttpResponse response;
  const Status s = FetchRaw(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n",
      &response);
  EXPECT_EQ(s.message(),
            "connection closed before the last chunk of the body (in a "
            "chunk-size line)");
  EXPECT_TRUE(response.transport_failed);
}

// The same with a chunk-size line that is not hex: the body must not end
// there as if complete.
TEST(Review15iHttpClientTest, MalformedChunkSizeIsAnError) {
  HttpResponse response;
  const Status s = FetchRaw(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\nzz\r\nworld\r\n0\r\n\r\n",
      &response);
  EXPECT_EQ(s.message(), "bad chunk size line in the body: 'zz'");
}

// EscapeLogText promises that no input quoted in a message "can start a
// record of its own or drive a terminal", and escapes C0 controls and DEL.
// The C1 controls (U+0080..U+009F, two bytes in UTF-8) and the Unicode line
// and paragraph separators pass as they are: NEL (U+0085) ends a line for
// Python's splitlines() and for xterm, CSI (U+009B) starts an escape
// sequence in xterm exactly as ESC [ does, U+2028 ends a line in many log
// viewers. Marathon's bytes reach the log as they came this way: an SSE
// data line that is not JSON is quoted in the "skipping event data: not
// JSON (...): '...'" warning, a reason phrase in every failed request's
// error. (The template archive's Quoted() already shows every byte >= 0x80
// escaped for this reason.)
TEST(Review15iLogTest, C1ControlsAndUnicodeLineBreaksAreEscapedToo) {
  const std::string nel = "\xc2\x85";
  const std::string csi = "\xc2\x9b";
  const std::string line_separator = "\xe2\x80\xa8";
  const std::string shown =
      EscapeLogText("app /a" + nel + "2026-12-05 12:00:00,000 forged " + csi +
                    "31mred" + line_separator + "forged too");
  EXPECT_EQ(shown.find(nel), std::string::npos) << shown;
  EXPECT_EQ(shown.find(csi), std::string::npos) << shown;
  EXPECT_EQ(shown.find(line_separator), std::string::npos) << shown;
}


// --log-format '%(message)--s' (a typo): the width "--" passes the check
// for "-" alone and std::stoi throws std::invalid_argument out of
// SetupLogging, so marathon-lb aborts (std::terminate) instead of printing
// "--log-format '...': ..." and exiting 2 as for every other bad format.
TEST(Review15iLogTest, ABadWidthIsAnErrorNotAnException) {
  for (const std::string format : {"%(message)--s", "%(asctime)---s"}) {
    Status s = Status::OK();
    EXPECT_NO_THROW(s = SetupLogging("INFO", "/dev/null", format)) << format;
    EXPECT_FALSE(s.ok()) << format;
  }
  ASSERT_TRUE(SetupLogging("INFO", "/dev/null", "%(message)s").ok());
}

}  // namespace
}  // namespace mlb
