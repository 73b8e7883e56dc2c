// Review 15i: a hostile Marathon and a hostile local user against /status,
// /metrics and /healthz. Each test names what it expects; a failing one is a
// finding of the review.
#include <archive.h>
#include <archive_entry.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <chrono>
#include <filesystem>
#include <memory>

#include <string>
#include <thread>
#include <vector>

#include "core/app/admin_server.h"
#include "core/app/cli.h"
#include "core/app/status_board.h"
#include "core/app/template_archive.h"
#include "core/base/utf8.h"
#include "core/marathon/client.h"
#include "tests/support/hostile_http_server.h"
#include "tests/support/http_call.h"

namespace mlb {
namespace {

using testing::HostileHttpServer;

// Whether `text` is well-formed UTF-8 (RFC 3629), as RFC 8259 wants of JSON
// exchanged between systems.
bool IsUtf8(const std::string& text) {
  for (size_t i = 0; i < text.size();) {
    uint32_t cp = 0;
    if (!NextCodePoint(text, &i, &cp)) {
      return false;
    }
  }
  return true;
}

// A Marathon (or a proxy before it) answers with a reason phrase of bytes
// that are not UTF-8. The error names the status line as it came, and
// /status passes it on as it is (Poco's JSON writer copies bytes >= 0x80
// unchecked): the /status body is then not UTF-8, and a monitor that reads
// it as JSON (Python's json.loads, requests' .json()) fails on it, exactly
// while Marathon is failing. The log records the same error valid
// (JsonQuote turns the bytes into \ufffd); /status should too.
TEST(Review15iStatusTest, StatusIsUtf8WhateverTheReasonPhraseOfMarathon) {
  HostileHttpServer marathon([](HostileHttpServer::Writer& out, int) {
    out.Send("HTTP/1.1 500 Bad\xff\xfe gateway\r\nContent-Length: 0\r\n\r\n");
  });
  MarathonOptions options;
  options.urls = {marathon.url()};
  options.total_timeout_ms = 10000;
  MarathonClient client(options);
  std::string json;
  std::string source;
  const Status fetched = client.FetchApps(&json, &source);
  ASSERT_FALSE(fetched.ok());
  ASSERT_NE(fetched.message().find("HTTP 500 Bad"), std::string::npos)
      << fetched.message();

  StatusBoard board;
  board.RecordSync(false, marathon.url(), fetched.message(), 0);
  const std::string status = board.Json();
  EXPECT_TRUE(IsUtf8(status)) << status;
}

// --template-url with a scheme it does not take (a typo, ftp://, or an
// upper-case HTTPS://, which RFC 3986 3.1 says is the same scheme) is
// refused with the URL quoted whole, password included, and main() writes
// the message to stderr as it is (no Log(), so no RedactUrl): the password
// lands in the container's log. Every other path redacts it ("alice:***@").
TEST(Review15iCliTest, RefusedTemplateUrlIsShownWithoutItsPassword) {
  for (const std::string url : {"ftp://alice:s3cret@example.com/t.tgz",
                                "HTTPS://alice:s3cret@example.com/t.tgz"}) {
    CliOptions options;
    const Status s =
        ParseCommandLine({"-m", "file:a", "--template-url", url}, &options);
    if (!s.ok()) {
      EXPECT_EQ(s.message().find("s3cret"), std::string::npos) << s.message();
    }
  }
}

// A password with a space, a '"', '<' or '>' in it works: Poco::URI takes
// them in the user information and the basic credentials carry them (and
// since a percent-encoded one is sent still encoded, writing them raw is
// the only way that works). RedactUrl ends the authority at these bytes,
// finds no '@' before them and leaves the URL whole: the unauthenticated
// /status shows the password in "marathon" (and every log line naming the
// URL shows it too).
TEST(Review15iStatusTest, StatusHidesAPasswordWithASpaceOrAQuote) {
  for (const std::string password : {"pa ss", "pa\"ss", "pa<ss>"}) {
    StatusBoard board;
    board.RecordSync(true, "http://alice:" + password + "@m1:8080", "", 0);
    Poco::JSON::Parser parser;
    const Poco::JSON::Object::Ptr status =
        parser.parse(board.Json()).extract<Poco::JSON::Object::Ptr>();
    EXPECT_EQ(status->getValue<std::string>("marathon"),
              "http://alice:***@m1:8080")
        << password;
  }
}

// A local user who can create files beside the config (a --haproxy-config
// in /tmp, a shared volume) puts a FIFO where a map file would be
// (app2backend.map does not exist without --haproxy-map). The admin
// server reads the file on its one loop thread, open(2) without
// O_NONBLOCK blocks until someone writes the FIFO, and from the first GET
// /_haproxy_getappmap on nobody is answered: /healthz goes dark and the
// orchestrator kills a healthy marathon-lb. A file that is not a regular
// file should be refused (or at least not block the loop).
TEST(Review15iAdminTest, AFifoBesideTheConfigDoesNotStopHealthz) {
  char dir[] = "/tmp/mlb-review-15i-admin-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string config = std::string(dir) + "/haproxy.cfg";
  const std::string fifo = std::string(dir) + "/app2backend.map";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  {
    FILE* f = std::fopen(config.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("global\n", f);
    std::fclose(f);
  }
  StatusBoard board;
  board.RecordSync(true, "http://m1:8080", "", 0);
  AdminOptions options;
  options.address = "127.0.0.1:0";
  options.max_staleness = std::chrono::seconds(60);
  options.config_path = config;
  options.raise = [](int) {};
  std::unique_ptr<AdminServer> admin;
  ASSERT_TRUE(AdminServer::Start(std::move(options), &board, &admin).ok());

  const int stalled = testing::SendAndStall(
      admin->port(), "GET /_haproxy_getappmap HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_GE(stalled, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const testing::HttpResponse r =
      testing::HttpCall("GET", "127.0.0.1", admin->port(), "/healthz", "", {},
                        std::chrono::milliseconds(3000));
  // Let a blocked open(2) of the FIFO return, so that the server can stop.
  const int writer = open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (writer >= 0) {
    close(writer);
  }
  close(stalled);
  admin.reset();
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  EXPECT_EQ(r.status, 200) << r.Describe();
}

la_ssize_t AppendTo(archive*, void* out, const void* buf, size_t n) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}

// A plain ustar archive of templates/ and `files` (name, text), in order.
std::string PlainTar(
    const std::vector<std::pair<std::string, std::string>>& files) {
  std::string out;
  archive* w = archive_write_new();
  archive_write_set_format_ustar(w);
  archive_write_set_bytes_in_last_block(w, 1);
  archive_write_open(w, &out, nullptr, AppendTo, nullptr);
  archive_entry* dir = archive_entry_new();
  archive_entry_set_pathname(dir, "templates/");
  archive_entry_set_filetype(dir, AE_IFDIR);
  archive_entry_set_perm(dir, 0755);
  archive_write_header(w, dir);
  archive_entry_free(dir);
  for (const auto& [name, text] : files) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, static_cast<la_int64_t>(text.size()));
    archive_write_header(w, e);
    archive_write_data(w, text.data(), text.size());
    archive_entry_free(e);
  }
  archive_write_close(w);
  archive_write_free(w);
  return out;
}

// --template-url served chunked by a peer (or a proxy) that closes the
// connection at a chunk boundary, before the last chunk: the download is
// cut short and must be refused, as one cut short of its Content-Length
// is. Here the first 1536 bytes of a plain tar (templates/ and its first
// template, whole) are taken as the whole archive: marathon-lb runs with
// one template of the two and the other at its default, and says nothing.
TEST(Review15iTemplateUrlTest, ChunkedDownloadCutAtAChunkBoundaryIsRefused) {
  const std::string tar =
      PlainTar({{"templates/HAPROXY_HEAD", "global\n  # archive head\n"},
                {"templates/HAPROXY_BACKEND_HEAD",
                 "\nbackend {backend}\n  # archive backend head\n"}});
  ASSERT_GT(tar.size(), 1536u);
  HostileHttpServer server([&](HostileHttpServer::Writer& out, int) {
    char size[32];
    std::snprintf(size, sizeof size, "%x\r\n", 1536);
    out.Send("HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\n"
             "Transfer-Encoding: chunked\r\n\r\n" +
             std::string(size) + tar.substr(0, 1536) + "\r\n");
  });
  char parent[] = "/tmp/mlb-review-15i-XXXXXX";
  ASSERT_NE(mkdtemp(parent), nullptr);
  TemplateArchiveOptions options;
  options.url = server.url("/templates.tar");
  options.parent_dir = parent;
  ExtractedArchivePtr out;
  const Status s = FetchTemplateArchive(options, &out);
  EXPECT_FALSE(s.ok()) << (out ? out->summary : "");
  out.reset();
  std::error_code ignored;
  std::filesystem::remove_all(parent, ignored);
}

}  // namespace
}  // namespace mlb
