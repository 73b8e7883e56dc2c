// The master CLI client: `show proc` parsed, and one command over a unix
// socket (a stand-in master that answers once our side is closed).
#include "core/haproxy/master_cli.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include "tests/support/temp_dir.h"

namespace mlb {
namespace {

using std::chrono::milliseconds;

TEST(ParseShowProcTest, MasterWorkersAndOldWorkers) {
  const std::string text =
      "#<PID>          <type>          <reloads>       <uptime>        "
      "<version>      \n"
      "6809            master          9 [failed: 1]   0d00h00m22s     "
      "2.6.12-1+deb12u4\n"
      "# workers\n"
      "7616            worker          0               0d00h00m00s     "
      "2.6.12-1+deb12u4\n"
      "# old workers\n"
      "7570            worker          1               0d00h00m01s     "
      "2.6.12-1+deb12u4\n"
      "7491            worker          2               0d00h00m02s     "
      "2.6.12-1+deb12u4\n"
      "# programs\n\n";
  HaproxyProcList procs;
  Status s = ParseShowProc(text, &procs);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(procs.master.pid, 6809);
  EXPECT_EQ(procs.master.reloads, 9);
  EXPECT_EQ(procs.master.uptime, "0d00h00m22s");
  EXPECT_TRUE(procs.last_reload_failed);
  ASSERT_EQ(procs.workers.size(), 1u);
  EXPECT_EQ(procs.workers[0].pid, 7616);
  ASSERT_EQ(procs.old_workers.size(), 2u);
  EXPECT_EQ(procs.old_workers[1].pid, 7491);
  EXPECT_EQ(procs.old_workers[1].reloads, 2);

  EXPECT_FALSE(ParseShowProc("Unknown command.\n", &procs).ok());
}

TEST(MasterCliCommandTest, NamesTheSocketWhenNothingListens) {
  std::string reply;
  Status s = MasterCliCommand("/nonexistent/master.sock", "show proc", &reply,
                              milliseconds(500));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("master socket /nonexistent/master.sock: cannot "
                             "connect: No such file or directory"),
            std::string::npos)
      << s.message();
}

TEST(MasterCliCommandTest, SendsTheCommandAndReadsToEof) {
  const testing::TempDir dir("master_cli_");
  const std::string path = dir.File("master.sock");
  const int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(path.size(), sizeof(addr.sun_path));
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  ASSERT_EQ(bind(listener, reinterpret_cast<const sockaddr*>(&addr),
                 sizeof(addr)),
            0);
  ASSERT_EQ(listen(listener, 1), 0);
  std::string received;
  std::thread master([&] {
    const int conn = accept(listener, nullptr, nullptr);
    char buf[256];
    ssize_t n;
    while ((n = read(conn, buf, sizeof(buf))) > 0) {
      received.append(buf, static_cast<size_t>(n));
    }
    const std::string answer = "1 master 0 0d00h00m01s 2.6\n";
    EXPECT_EQ(write(conn, answer.data(), answer.size()),
              static_cast<ssize_t>(answer.size()));
    close(conn);
  });
  std::string reply;
  Status s = MasterCliCommand(path, "show proc", &reply, milliseconds(5000));
  master.join();
  close(listener);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(received, "show proc\n");
  EXPECT_EQ(reply, "1 master 0 0d00h00m01s 2.6\n");
}

}  // namespace
}  // namespace mlb
