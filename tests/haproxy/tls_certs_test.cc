// core/tls_certs: the :443 certificates written from the environment or
// generated, escapes as `echo -e`, and the checks of every certificate file
// a config names (including a HAPROXY_{n}_SSL_CERT label dropping its port).
#include "core/haproxy/tls_certs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "core/model/services.h"
#include "tests/support/temp_dir.h"
#include "tests/support/testing.h"

namespace mlb {
namespace {

using ::testing::ElementsAre;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

int FileMode(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 07777)
                                      : -1;
}

// What OpenSSL reads back from a PEM file with a certificate and its key.
struct ParsedPem {
  bool ok = false;
  std::string common_name;
  int key_bits = 0;
  int key_type = 0;  // EVP_PKEY_RSA, ...
  int valid_days = 0;
  bool self_signed = false;
  bool key_matches = false;
};

ParsedPem ParsePem(const std::string& pem) {
  ParsedPem out;
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (cert != nullptr && key != nullptr) {
    out.ok = true;
    char cn[256] = {0};
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn,
                              sizeof(cn));
    out.common_name = cn;
    out.key_bits = EVP_PKEY_get_bits(key);
    out.key_type = EVP_PKEY_get_base_id(key);
    int days = 0;
    int seconds = 0;
    ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(cert),
                   X509_get0_notAfter(cert));
    out.valid_days = days;
    out.self_signed = X509_NAME_cmp(X509_get_subject_name(cert),
                                    X509_get_issuer_name(cert)) == 0 &&
                      X509_verify(cert, key) == 1;
    out.key_matches = X509_check_private_key(cert, key) == 1;
  }
  X509_free(cert);
  EVP_PKEY_free(key);
  return out;
}

// The certificate part (first PEM block) and the key part of a PEM file.
std::string CertificatePart(const std::string& pem) {
  const std::string end = "-----END CERTIFICATE-----\n";
  return pem.substr(0, pem.find(end) + end.size());
}
std::string KeyPart(const std::string& pem) {
  return pem.substr(CertificatePart(pem).size());
}

// A PEM written with every newline as the two characters "\n", as in a
// Marathon app definition's env.
std::string Escaped(const std::string& pem) {
  std::string out;
  for (const char c : pem) {
    out += c == '\n' ? std::string("\\n") : std::string(1, c);
  }
  return out;
}

// One RSA key + certificate, generated once: 2048-bit keys are slow-ish.
class TlsCertsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    suite_dir_ = new TempDir();
    for (const char* name : {"a.test", "b.test"}) {
      const std::string path = suite_dir_->File(std::string(name) + ".pem");
      const Status s = GenerateSelfSignedCertificate(path, name, 2);
      ASSERT_TRUE(s.ok()) << s.message();
      pems_.push_back(ReadFile(path));
    }
  }
  static void TearDownTestSuite() {
    delete suite_dir_;
    suite_dir_ = nullptr;
  }

  static inline TempDir* suite_dir_ = nullptr;
  static inline std::vector<std::string> pems_;  // a.test, b.test
  TempDir dir_;
};

TEST(ExpandEchoEscapesTest, DoesWhatBashEchoEDoes) {
  // Each expectation was checked against bash 5.2's `echo -e`.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"a\\nb", "a\nb\n"},
      {"x\\\\y", "x\\y\n"},
      {"\\t\\r\\v\\f\\a\\b\\e\\E", "\t\r\v\f\a\b\x1b\x1b\n"},
      {"\\0101", "A\n"},
      {"\\x41\\x4z", std::string("A\x04z\n")},
      {"\\u00e9", "\xc3\xa9\n"},
      {"\\U0001F600", "\xf0\x9f\x98\x80\n"},
      {"\\q", "\\q\n"},
      {"\\1", "\\1\n"},
      {"\\x", "\\x\n"},
      {"\\u", "\\u\n"},
      {"a\\", "a\\\n"},
      {"ab\\cde", "ab"},
      {"line\nbreak", "line\nbreak\n"},
  };
  for (const auto& [in, want] : cases) {
    EXPECT_EQ(ExpandEchoEscapes(in), want) << in;
  }
  EXPECT_EQ(ExpandEchoEscapes("\\0"), std::string("\0\n", 2));
}

TEST_F(TlsCertsTest, EnvironmentCertificatesAreWrittenAndListed) {
  EnvironmentCertificates env;
  env.main = Escaped(pems_[0]);
  env.numbered[5] = Escaped(pems_[1]);
  env.numbered[0] = pems_[1];  // real newlines work too
  FrontendCertificateOptions options;
  options.default_path = dir_.File("cert.pem");
  FrontendCertificates out;
  const Status s = PrepareFrontendCertificates(options, env, &out);
  ASSERT_TRUE(s.ok()) << s.message();

  ASSERT_EQ(out.certs.size(), 3u);
  EXPECT_EQ(out.certs[0].path, dir_.File("cert.pem"));
  EXPECT_EQ(out.certs[0].source, "HAPROXY_SSL_CERT");
  EXPECT_EQ(out.certs[1].path, dir_.File("cert0.pem"));
  EXPECT_EQ(out.certs[1].source, "HAPROXY_SSL_CERT0");
  EXPECT_EQ(out.certs[2].path, dir_.File("cert5.pem"));
  EXPECT_EQ(out.certs[2].source, "HAPROXY_SSL_CERT5");
  // `echo -e` adds a newline.
  EXPECT_EQ(ReadFile(dir_.File("cert.pem")), pems_[0] + "\n");
  EXPECT_EQ(ReadFile(dir_.File("cert0.pem")), pems_[1] + "\n");
  EXPECT_EQ(ReadFile(dir_.File("cert5.pem")), pems_[1] + "\n");
  for (const FrontendCertificate& cert : out.certs) {
    EXPECT_FALSE(cert.pending);
    EXPECT_EQ(FileMode(cert.path), 0600) << cert.path;
    const Status check = CheckCertificateFile(cert.path);
    EXPECT_TRUE(check.ok()) << check.message();
  }
  EXPECT_THAT(
      out.notes,
      ElementsAre("wrote HAPROXY_SSL_CERT to " + dir_.File("cert.pem"),
                  "wrote HAPROXY_SSL_CERT0 to " + dir_.File("cert0.pem"),
                  "wrote HAPROXY_SSL_CERT5 to " + dir_.File("cert5.pem")));
  // No temp files left beside them.
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_.File(""))) {
    (void)entry;
    ++files;
  }
  EXPECT_EQ(files, 3);
}

TEST_F(TlsCertsTest, EnvironmentCertificateReplacesAnExistingFile) {
  WriteFile(dir_.File("cert.pem"), "old");
  chmod(dir_.File("cert.pem").c_str(), 0644);
  EnvironmentCertificates env;
  env.main = pems_[0];
  FrontendCertificateOptions options;
  options.default_path = dir_.File("cert.pem");
  FrontendCertificates out;
  ASSERT_TRUE(PrepareFrontendCertificates(options, env, &out).ok());
  EXPECT_EQ(ReadFile(dir_.File("cert.pem")), pems_[0] + "\n");
  EXPECT_EQ(FileMode(dir_.File("cert.pem")), 0600);
}

TEST_F(TlsCertsTest, SslCertsFlagComesFirstThenTheEnvironment) {
  EnvironmentCertificates env;
  env.main = pems_[0];
  env.numbered[100] = pems_[1];
  FrontendCertificateOptions options;
  options.ssl_certs = "/x/a.pem,/x/b.pem";
  options.default_path = dir_.File("cert.pem");
  FrontendCertificates out;
  ASSERT_TRUE(PrepareFrontendCertificates(options, env, &out).ok());
  std::vector<std::string> listed;
  for (const FrontendCertificate& cert : out.certs) {
    listed.push_back(cert.source + " " + cert.path);
  }
  EXPECT_THAT(listed,
              ElementsAre("--ssl-certs /x/a.pem", "--ssl-certs /x/b.pem",
                          "HAPROXY_SSL_CERT " + dir_.File("cert.pem"),
                          "HAPROXY_SSL_CERT100 " + dir_.File("cert100.pem")));
}

TEST_F(TlsCertsTest, SslCertsFlagAloneIsUsedAsGiven) {
  FrontendCertificateOptions options;
  options.ssl_certs = "/x/a.pem";
  options.default_path = dir_.File("cert.pem");
  FrontendCertificates out;
  ASSERT_TRUE(PrepareFrontendCertificates(options, {}, &out).ok());
  ASSERT_EQ(out.certs.size(), 1u);
  EXPECT_EQ(out.certs[0].path, "/x/a.pem");
  EXPECT_TRUE(out.notes.empty());
  EXPECT_FALSE(std::filesystem::exists(dir_.File("cert.pem")));

  options.ssl_certs = "/x/a.pem,,/x/b.pem";
  EXPECT_EQ(PrepareFrontendCertificates(options, {}, &out).message(),
            "--ssl-certs: empty entry in '/x/a.pem,,/x/b.pem'");
}

TEST_F(TlsCertsTest, NumberedCertificatesNeedTheMainOne) {
  // As marathon-lb's run script: HAPROXY_SSL_CERT<i> only with
  // HAPROXY_SSL_CERT.
  EnvironmentCertificates env;
  env.numbered[0] = pems_[1];
  FrontendCertificateOptions options;
  options.ssl_certs = "/x/a.pem";
  options.default_path = dir_.File("cert.pem");
  FrontendCertificates out;
  ASSERT_TRUE(PrepareFrontendCertificates(options, env, &out).ok());
  ASSERT_EQ(out.certs.size(), 1u);
  EXPECT_FALSE(std::filesystem::exists(dir_.File("cert0.pem")));
}

TEST_F(TlsCertsTest, SelfSignedCertificateIsGeneratedWhenNothingIsGiven) {
  FrontendCertificateOptions options;
  options.default_path = dir_.File("cert.pem");
  FrontendCertificates out;
  const Status s = PrepareFrontendCertificates(options, {}, &out);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(out.certs.size(), 1u);
  EXPECT_EQ(out.certs[0].path, dir_.File("cert.pem"));
  EXPECT_EQ(out.certs[0].source, "--default-ssl-cert");
  EXPECT_THAT(out.notes,
              ElementsAre("generated a self-signed certificate (CN *, "
                          "2048-bit RSA, 3650 days) in " +
                          dir_.File("cert.pem") +
                          ": neither --ssl-certs nor HAPROXY_SSL_CERT is set"));

  const std::string pem = ReadFile(dir_.File("cert.pem"));
  const ParsedPem parsed = ParsePem(pem);
  ASSERT_TRUE(parsed.ok) << pem;
  EXPECT_EQ(parsed.common_name, "*");
  EXPECT_EQ(parsed.key_type, EVP_PKEY_RSA);
  EXPECT_EQ(parsed.key_bits, 2048);
  EXPECT_EQ(parsed.valid_days, 3650);
  EXPECT_TRUE(parsed.self_signed);
  EXPECT_TRUE(parsed.key_matches);
  // Certificate first, then the key, as HAProxy wants one `crt` file.
  EXPECT_EQ(pem.rfind("-----BEGIN CERTIFICATE-----\n", 0), 0u);
  EXPECT_NE(KeyPart(pem).find("-----BEGIN PRIVATE KEY-----\n"),
            std::string::npos);
  EXPECT_EQ(FileMode(dir_.File("cert.pem")), 0600);
  EXPECT_TRUE(CheckCertificateFile(dir_.File("cert.pem")).ok());
}

TEST_F(TlsCertsTest, ExistingDefaultCertificateIsNotOverwritten) {
  WriteFile(dir_.File("cert.pem"), pems_[1]);
  FrontendCertificateOptions options;
  options.default_path = dir_.File("cert.pem");
  FrontendCertificates out;
  ASSERT_TRUE(PrepareFrontendCertificates(options, {}, &out).ok());
  EXPECT_EQ(ReadFile(dir_.File("cert.pem")), pems_[1]);
  EXPECT_TRUE(out.notes.empty());
  ASSERT_EQ(out.certs.size(), 1u);
  EXPECT_EQ(out.certs[0].path, dir_.File("cert.pem"));
}

TEST_F(TlsCertsTest, DryRunWritesNothing) {
  FrontendCertificateOptions options;
  options.default_path = dir_.File("cert.pem");
  options.write = false;
  FrontendCertificates out;
  ASSERT_TRUE(PrepareFrontendCertificates(options, {}, &out).ok());
  ASSERT_EQ(out.certs.size(), 1u);
  EXPECT_TRUE(out.certs[0].pending);

  EnvironmentCertificates env;
  env.main = pems_[0];
  env.numbered[1] = pems_[1];
  ASSERT_TRUE(PrepareFrontendCertificates(options, env, &out).ok());
  ASSERT_EQ(out.certs.size(), 2u);
  EXPECT_TRUE(out.certs[0].pending);
  EXPECT_TRUE(out.certs[1].pending);
  EXPECT_TRUE(out.notes.empty());
  EXPECT_FALSE(std::filesystem::exists(dir_.File("cert.pem")));
  EXPECT_FALSE(std::filesystem::exists(dir_.File("cert1.pem")));
}

TEST_F(TlsCertsTest, WriteFailureNamesTheVariableAndTheFile) {
  EnvironmentCertificates env;
  env.main = pems_[0];
  FrontendCertificateOptions options;
  options.default_path = dir_.File("missing-dir/cert.pem");
  FrontendCertificates out;
  EXPECT_EQ(PrepareFrontendCertificates(options, env, &out).message(),
            "HAPROXY_SSL_CERT: cannot write " +
                dir_.File("missing-dir/cert.pem") +
                ": No such file or directory");
  EXPECT_EQ(PrepareFrontendCertificates(options, {}, &out).message(),
            "--default-ssl-cert: cannot write " +
                dir_.File("missing-dir/cert.pem") +
                ": No such file or directory");
}

TEST_F(TlsCertsTest, CheckNamesTheFileAndWhatIsWrong) {
  const std::string missing = dir_.File("missing.pem");
  EXPECT_EQ(CheckCertificateFile(missing).message(),
            "certificate " + missing +
                ": cannot read: No such file or "
                "directory");

  const std::string text = dir_.File("text.pem");
  WriteFile(text, "hello\n");
  EXPECT_EQ(CheckCertificateFile(text).message(),
            "certificate " + text + ": no PEM certificate in the file");

  // Key only: no certificate.
  const std::string key_only = dir_.File("key-only.pem");
  WriteFile(key_only, KeyPart(pems_[0]));
  EXPECT_EQ(CheckCertificateFile(key_only).message(),
            "certificate " + key_only + ": no PEM certificate in the file");

  // Certificate only, then with its key in <file>.key as HAProxy allows.
  const std::string cert_only = dir_.File("cert-only.pem");
  WriteFile(cert_only, CertificatePart(pems_[0]));
  EXPECT_EQ(CheckCertificateFile(cert_only).message(),
            "certificate " + cert_only + ": no private key in the file or in " +
                cert_only + ".key");
  WriteFile(cert_only + ".key", KeyPart(pems_[0]));
  EXPECT_TRUE(CheckCertificateFile(cert_only).ok());

  // a.test's certificate with b.test's key.
  const std::string mixed = dir_.File("mixed.pem");
  WriteFile(mixed, CertificatePart(pems_[0]) + KeyPart(pems_[1]));
  EXPECT_EQ(CheckCertificateFile(mixed).message(),
            "certificate " + mixed +
                ": the private key does not match the certificate");

  // Key before certificate is fine; so is a directory of certificates.
  const std::string key_first = dir_.File("key-first.pem");
  WriteFile(key_first, KeyPart(pems_[0]) + CertificatePart(pems_[0]));
  EXPECT_TRUE(CheckCertificateFile(key_first).ok());
  const std::string certs = dir_.File("certs");
  ASSERT_EQ(mkdir(certs.c_str(), 0700), 0);
  WriteFile(certs + "/a.pem", pems_[0]);
  WriteFile(certs + "/b.pem", CertificatePart(pems_[1]));
  WriteFile(certs + "/b.pem.key", KeyPart(pems_[1]));  // b.pem's
  EXPECT_TRUE(CheckCertificateFile(certs).ok());
  // HAProxy would load the files above that are no certificates: the
  // directory is refused, naming the first.
  EXPECT_EQ(CheckCertificateFile(dir_.File("")).message(),
            "certificate " + dir_.File("key-only.pem") +
                ": no PEM certificate in the file");
}

TEST_F(TlsCertsTest, CheckerNoticesAFileThatChangesOrGoes) {
  const std::string path = dir_.File("c.pem");
  ASSERT_TRUE(WritePrivateFile(path, pems_[0]).ok());
  CertificateChecker checker;
  EXPECT_TRUE(checker.Check(path).ok());
  EXPECT_TRUE(checker.Check(path).ok());

  ASSERT_TRUE(WritePrivateFile(path, "not a certificate").ok());
  EXPECT_EQ(checker.Check(path).message(),
            "certificate " + path + ": no PEM certificate in the file");

  ASSERT_TRUE(WritePrivateFile(path, pems_[1]).ok());
  EXPECT_TRUE(checker.Check(path).ok());

  ASSERT_EQ(unlink(path.c_str()), 0);
  EXPECT_EQ(checker.Check(path).message(),
            "certificate " + path + ": cannot read: No such file or directory");
}

// HAPROXY_{n}_SSL_CERT naming a file that is not there drops that service
// port only.
class SslCertLabelTest : public testing::WithBuiltinPacks<> {
 protected:
  TempDir dir_;
};

TEST_F(SslCertLabelTest, MissingLabelCertificateDropsOnlyItsPort) {
  const std::string good = dir_.File("good.pem");
  ASSERT_TRUE(GenerateSelfSignedCertificate(good, "good.test", 2).ok());
  const std::string missing = dir_.File("missing.pem");
  const std::string json = R"({"apps": [
      {"id": "/a", "ports": [10001, 10002], "labels": {
         "HAPROXY_GROUP": "external",
         "HAPROXY_0_SSL_CERT": ")" +
                           missing + R"(",
         "HAPROXY_1_SSL_CERT": ")" +
                           good + R"("},
       "tasks": [{"id": "a.1", "host": "10.0.0.1", "ports": [31001, 31002]}]},
      {"id": "/b", "ports": [10003], "labels": {
         "HAPROXY_GROUP": "external",
         "HAPROXY_0_SSL_CERT": ")" +
                           good + R"("},
       "tasks": [{"id": "b.1", "host": "10.0.0.2", "ports": [31003]}]}]})";
  CertificateChecker checker;
  const testing::BuiltServices list = testing::BuildServicesOf(
      *registry_, json,
      [&](const std::string& path) { return checker.Check(path); });

  EXPECT_THAT(list.errors,
              ElementsAre("app /a, service port index 0: label "
                          "HAPROXY_0_SSL_CERT: certificate " +
                          missing +
                          ": cannot read: No such file or directory; service "
                          "port skipped"));
  std::vector<std::string> kept;
  for (const Service& svc : list.services) {
    kept.push_back(svc.view.backend + " " +
                   std::string(svc.view.Text("HAPROXY_{n}_SSL_CERT")));
  }
  EXPECT_THAT(kept, ElementsAre("a_10002 " + good, "b_10003 " + good));
}

// What CertificateChecker::Check(path) does within `seconds` and 256 MiB
// more memory, in a child process: "refused", "accepted", "blocked" (still
// running after `seconds`), "ran out of memory" (std::bad_alloc) or
// "killed by signal N". `setup` runs in the child first.
std::string CheckInChild(const std::string& path, unsigned seconds = 2,
                         void (*setup)() = nullptr) {
  const pid_t pid = fork();
  if (pid == 0) {
    unsigned long long pages = 0;
    if (FILE* statm = std::fopen("/proc/self/statm", "r")) {
      if (std::fscanf(statm, "%llu", &pages) != 1) {
        pages = 0;
      }
      std::fclose(statm);
    }
    const rlim_t bytes = static_cast<rlim_t>(
        pages * static_cast<unsigned long long>(sysconf(_SC_PAGESIZE)) +
        (256ull << 20));
    rlimit limit{bytes, bytes};
    setrlimit(RLIMIT_AS, &limit);
    alarm(seconds);
    if (setup != nullptr) {
      setup();
    }
    try {
      CertificateChecker checker;
      _exit(checker.Check(path).ok() ? 1 : 0);
    } catch (...) {
      _exit(2);  // std::bad_alloc: the memory limit
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status)) {
    switch (WEXITSTATUS(status)) {
      case 0:
        return "refused";
      case 1:
        return "accepted";
      default:
        return "ran out of memory";
    }
  }
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
    return "blocked";
  }
  return "killed by signal " + std::to_string(WTERMSIG(status));
}

// Certificate paths a tenant may write in HAPROXY_{n}_SSL_CERT that name no
// certificate: refused at once, with the path in the message; a directory
// of certificates is accepted (HAProxy loads every file in it).
TEST_F(TlsCertsTest, OddCertificatePathsAreRefusedAtOnce) {
  const std::string socket_path = dir_.File("s.sock");
  const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s",
                socket_path.c_str());
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  for (const std::string& path :
       {std::string("-"), std::string("@"), std::string("@store/site"),
        std::string(""), std::string("no-such.pem"), std::string("/dev/null"),
        std::string("/proc/self/environ"), std::string("/etc/passwd"),
        socket_path, dir_.File("missing/"), std::string("/nonexistent/x")}) {
    EXPECT_EQ(CheckInChild(path), "refused") << "'" << path << "'";
    CertificateChecker checker;
    const Status s = checker.Check(path);
    EXPECT_NE(s.message().find("certificate " + path + ": "),
              std::string::npos)
        << s.message();
  }
  close(fd);
  // A directory of certificates is accepted (HAProxy loads every file).
  const std::string certs = dir_.File("certs");
  ASSERT_EQ(mkdir(certs.c_str(), 0700), 0);
  WriteFile(certs + "/a.pem", pems_[0]);
  EXPECT_EQ(CheckInChild(certs), "accepted");
}

// ---------------------------------------------------------------------------
// Review defects: these fail until the certificate check is fixed.

// HAPROXY_{n}_SSL_CERT is checked on the update's thread (under the
// builders' shared mutex): a path that never ends or never opens stops
// every update. /dev/zero and /dev/urandom are read without a limit until
// memory runs out (std::bad_alloc here, under a memory limit); a
// FIFO blocks in open(2) until a writer comes; /dev/stdin blocks in read(2)
// while marathon-lb's stdin is an open pipe or a terminal. Each should be
// refused at once (not a regular file nor a directory).
void StdinIsAnOpenPipe() {
  int fds[2];
  if (pipe(fds) == 0) {
    dup2(fds[0], 0);  // the write end stays open: read(2) never ends
  }
}

TEST_F(TlsCertsTest, SpecialFilesAreRefusedWithoutBlocking) {
  const std::string fifo = dir_.File("cert.fifo");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(CheckInChild(fifo), "refused") << fifo;
  EXPECT_EQ(CheckInChild("/dev/zero"), "refused");
  EXPECT_EQ(CheckInChild("/dev/urandom"), "refused");
  EXPECT_EQ(CheckInChild("/dev/stdin", 2, &StdinIsAnOpenPipe), "refused");
  EXPECT_EQ(CheckInChild("/proc/self/fd/0", 2, &StdinIsAnOpenPipe),
            "refused");
}

// A directory is accepted as soon as it can be opened, but HAProxy loads
// every file in it and refuses the whole config when one is not a
// certificate, or when there is none (HAProxy 2.6: "unable to load
// certificate from file '/etc/adduser.conf'", "no SSL certificate
// specified"): HAPROXY_0_SSL_CERT=/etc on one app fails every update.
TEST_F(TlsCertsTest, DirectoryIsAcceptedOnlyWithCertificatesInIt) {
  const std::string empty = dir_.File("empty");
  ASSERT_EQ(mkdir(empty.c_str(), 0700), 0);
  const std::string mixed = dir_.File("mixed");
  ASSERT_EQ(mkdir(mixed.c_str(), 0700), 0);
  WriteFile(mixed + "/a.pem", pems_[0]);
  WriteFile(mixed + "/notes.txt", "not a certificate\n");
  for (const std::string& dir : {std::string("/etc"), std::string("/"),
                                 std::string("/proc"), empty, mixed}) {
    EXPECT_EQ(CheckInChild(dir), "refused") << dir;
  }
}

// An empty HAPROXY_{n}_SSL_CERT names no file: the frontends pack reads it
// as no certificate (no "ssl crt"), but the core checks the path "" and
// drops the port ("certificate : cannot read: No such file or directory").
TEST_F(SslCertLabelTest, EmptyCertificateLabelIsNoCertificate) {
  const std::string json = R"({"apps": [
      {"id": "/a", "ports": [10001], "labels": {
         "HAPROXY_GROUP": "external", "HAPROXY_0_SSL_CERT": ""},
       "tasks": [{"id": "a.1", "host": "10.0.0.1", "ports": [31001]}]}]})";
  CertificateChecker checker;
  const testing::BuiltServices list = testing::BuildServicesOf(
      *registry_, json,
      [&](const std::string& path) { return checker.Check(path); });
  EXPECT_TRUE(list.errors.empty()) << list.errors.front();
  EXPECT_EQ(list.services.size(), 1u);
}

}  // namespace
}  // namespace mlb
