// --template-url archives: a corpus of hostile tarballs, written here with
// libarchive's writer, each refused with its exact message and without a
// byte written outside the extraction directory; a good archive whose
// templates load; downloads from a Poco HTTP server on 127.0.0.1.
#include "core/app/template_archive.h"

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <archive.h>
#include <archive_entry.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/render/plugin_registry.h"
#include "tests/support/http_test_server.h"
#include "tests/support/testing.h"

namespace mlb {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// One entry of a test archive.
struct Item {
  enum Kind { kFile, kDir, kSymlink, kHardlink, kCharDevice, kBlockDevice,
              kFifo };
  Kind kind = kFile;
  std::string name;
  std::string data;    // kFile
  std::string target;  // kSymlink, kHardlink
  uint64_t zeros = 0;  // kFile: this many zero bytes instead of `data`
};

Item File(std::string name, std::string data) {
  return {Item::kFile, std::move(name), std::move(data), "", 0};
}
Item Dir(std::string name) { return {Item::kDir, std::move(name), "", "", 0}; }
Item Special(Item::Kind kind, std::string name) {
  return {kind, std::move(name), "", "", 0};
}
Item Symlink(std::string name, std::string target) {
  return {Item::kSymlink, std::move(name), "", std::move(target), 0};
}

la_ssize_t AppendTo(archive*, void* out, const void* buf, size_t n) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}

// A pax tar of `items`, gzip-compressed unless `gzip` is false.
std::string Tarball(const std::vector<Item>& items, bool gzip = true) {
  std::string out;
  archive* w = archive_write_new();
  archive_write_set_format_pax_restricted(w);
  archive_write_set_bytes_in_last_block(w, 1);  // no padding after gzip
  if (gzip) {
    archive_write_add_filter_gzip(w);
  }
  archive_write_open(w, &out, nullptr, AppendTo, nullptr);
  for (const Item& item : items) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, item.name.c_str());
    archive_entry_set_perm(e, 0644);
    switch (item.kind) {
      case Item::kFile:
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(
            e, static_cast<la_int64_t>(item.zeros ? item.zeros
                                                  : item.data.size()));
        break;
      case Item::kDir:
        archive_entry_set_filetype(e, AE_IFDIR);
        archive_entry_set_perm(e, 0755);
        break;
      case Item::kSymlink:
        archive_entry_set_filetype(e, AE_IFLNK);
        archive_entry_set_symlink(e, item.target.c_str());
        break;
      case Item::kHardlink:
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_hardlink(e, item.target.c_str());
        archive_entry_set_size(e, 0);
        break;
      case Item::kCharDevice:
        archive_entry_set_filetype(e, AE_IFCHR);
        archive_entry_set_rdev(e, makedev(1, 3));
        break;
      case Item::kBlockDevice:
        archive_entry_set_filetype(e, AE_IFBLK);
        archive_entry_set_rdev(e, makedev(7, 0));
        break;
      case Item::kFifo:
        archive_entry_set_filetype(e, AE_IFIFO);
        break;
    }
    archive_write_header(w, e);
    if (item.kind == Item::kFile) {
      if (item.zeros) {
        const std::string block(1 << 16, '\0');
        for (uint64_t left = item.zeros; left > 0;) {
          const size_t n = static_cast<size_t>(std::min<uint64_t>(left, block.size()));
          archive_write_data(w, block.data(), n);
          left -= n;
        }
      } else {
        archive_write_data(w, item.data.data(), item.data.size());
      }
    }
    archive_entry_free(e);
  }
  archive_write_close(w);
  archive_write_free(w);
  return out;
}

const char kBackendHead[] =
    "\nbackend {backend}\n  balance {balance}\n  mode {mode}\n"
    "  # from the template archive\n";

// A sandbox dir with outside.txt beside extract/, where archives are
// extracted. Everything() lists it recursively (without following links).
class TemplateArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/mlb-archive-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    sandbox_ = pattern;
    extract_ = sandbox_ + "/extract";
    fs::create_directory(extract_);
    testing::WriteFile(sandbox_ + "/outside.txt", "outside\n");
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(sandbox_, ignored);
  }

  std::vector<std::string> Everything() const {
    std::vector<std::string> out;
    for (auto it = fs::recursive_directory_iterator(sandbox_);
         it != fs::recursive_directory_iterator(); ++it) {
      out.push_back(it->path().string().substr(sandbox_.size() + 1));
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  // Extracts `bytes`; returns the error ("" if it was accepted).
  std::string Refusal(const std::string& bytes) {
    ExtractedArchivePtr out;
    Status s = ExtractArchive("test.tgz", bytes, extract_, limits_, &out);
    return s.ok() ? "" : s.message();
  }

  // The refusal of an archive of `items`, which must leave the sandbox as it
  // was: nothing extracted, nothing written anywhere else.
  std::string RefusalOf(const std::vector<Item>& items) {
    const std::string message = Refusal(Tarball(items));
    EXPECT_THAT(Everything(), ElementsAre("extract", "outside.txt"));
    EXPECT_EQ(testing::ReadFile(sandbox_ + "/outside.txt"), "outside\n");
    return message;
  }

  std::string sandbox_, extract_;
  TemplateArchiveLimits limits_;
};

TEST_F(TemplateArchiveTest, RefusesDotDotNames) {
  EXPECT_EQ(RefusalOf({Dir("templates"), File("../x", "x")}),
            "template archive test.tgz: entry '../x': '..' in the name");
  EXPECT_EQ(RefusalOf({Dir("templates"), File("templates/../../x", "x")}),
            "template archive test.tgz: entry 'templates/../../x': '..' in the "
            "name");
}

TEST_F(TemplateArchiveTest, RefusesAbsoluteNames) {
  const std::string name = sandbox_ + "/abs_x";
  EXPECT_EQ(RefusalOf({Dir("templates"), File(name, "x")}),
            "template archive test.tgz: entry '" + name + "': absolute name");
}

TEST_F(TemplateArchiveTest, RefusesEscapingSymlinkAndTheFileWrittenThroughIt) {
  EXPECT_EQ(RefusalOf({Dir("templates"), Symlink("templates/esc", "../.."),
                       File("templates/esc/outside.txt", "pwned\n")}),
            "template archive test.tgz: entry 'templates/esc': symbolic link "
            "to '../..' leads outside the archive");
  EXPECT_EQ(RefusalOf({Symlink("abs", sandbox_), File("abs/outside.txt", "x")}),
            "template archive test.tgz: entry 'abs': symbolic link to the "
            "absolute path '" + sandbox_ + "'");
}

TEST_F(TemplateArchiveTest, RefusesWritingThroughAnInsideSymlink) {
  EXPECT_EQ(RefusalOf({Dir("templates"), Symlink("templates/in", "."),
                       File("templates/in/HAPROXY_HEAD", "x")}),
            "template archive test.tgz: entry 'templates/in/HAPROXY_HEAD': "
            "path goes through the symbolic link 'templates/in'");
}

// Each link looks inside on its own; together they lead out. Caught by the
// check of the extracted tree.
TEST_F(TemplateArchiveTest, RefusesSymlinkChainThatLeadsOutside) {
  EXPECT_EQ(RefusalOf({Dir("templates"), Symlink("templates/up", ".."),
                       Symlink("templates/x", "up/..")}),
            "template archive test.tgz: entry 'templates/x': symbolic link to "
            "'up/..' does not resolve inside the archive");
}

TEST_F(TemplateArchiveTest, RefusesHardLinks) {
  EXPECT_EQ(RefusalOf({Dir("templates"),
                       {Item::kHardlink, "templates/HAPROXY_HEAD", "",
                        "../../outside.txt", 0}}),
            "template archive test.tgz: entry 'templates/HAPROXY_HEAD': hard "
            "link to '../../outside.txt' (hard links are refused)");
  EXPECT_EQ(RefusalOf({Dir("templates"), File("templates/a", "a"),
                       {Item::kHardlink, "templates/b", "", "templates/a", 0}}),
            "template archive test.tgz: entry 'templates/b': hard link to "
            "'templates/a' (hard links are refused)");
}

TEST_F(TemplateArchiveTest, RefusesDevicesAndFifos) {
  const std::string tail =
      " (only files, directories and symbolic links are extracted)";
  EXPECT_EQ(RefusalOf({Dir("templates"), Special(Item::kCharDevice, "templates/null")}),
            "template archive test.tgz: entry 'templates/null': character "
            "device" + tail);
  EXPECT_EQ(RefusalOf({Dir("templates"), Special(Item::kBlockDevice, "templates/loop")}),
            "template archive test.tgz: entry 'templates/loop': block device" +
                tail);
  EXPECT_EQ(RefusalOf({Dir("templates"), Special(Item::kFifo, "templates/fifo")}),
            "template archive test.tgz: entry 'templates/fifo': fifo" + tail);
}

// The archive's author chooses entry names: a refusal shows them escaped,
// so a name cannot forge log lines (newline, CR), drive the terminal (ESC,
// the 8-bit CSI) or reorder what a reader sees (U+202E), and a literal
// backslash is doubled so it cannot pass for an escape.
TEST_F(TemplateArchiveTest, RefusalShowsEntryNamesEscaped) {
  const std::string tail =
      " (only files, directories and symbolic links are extracted)";
  EXPECT_EQ(RefusalOf({Dir("templates"),
                       Special(Item::kFifo,
                               "templates/x\n2026-01-01 marathon-lb: all "
                               "good\r\x1b[2J\t\x01")}),
            "template archive test.tgz: entry 'templates/x\\n2026-01-01 "
            "marathon-lb: all good\\r\\x1b[2J\\t\\x01': fifo" + tail);
  EXPECT_EQ(RefusalOf({Dir("templates"),
                       Special(Item::kFifo, "templates/a\xe2\x80\xae" "b\x9b")}),
            "template archive test.tgz: entry "
            "'templates/a\\xe2\\x80\\xaeb\\x9b': fifo" + tail);
  EXPECT_EQ(RefusalOf({Dir("templates"), Special(Item::kFifo, "templates/a\\nb")}),
            "template archive test.tgz: entry 'templates/a\\\\nb': fifo" +
                tail);
  EXPECT_EQ(RefusalOf({Dir("templates"),
                       {Item::kHardlink, "templates/h", "", "x\ny\x1b", 0}}),
            "template archive test.tgz: entry 'templates/h': hard link to "
            "'x\\ny\\x1b' (hard links are refused)");
}

TEST_F(TemplateArchiveTest, RefusesSizeBomb) {
  limits_.max_extracted_bytes = 1 << 20;
  Item bomb = File("templates/HAPROXY_HEAD", "");
  bomb.zeros = 64 << 20;
  const std::string bytes = Tarball({Dir("templates"), bomb});
  ASSERT_LT(bytes.size(), 200u << 10);  // small when compressed
  EXPECT_EQ(Refusal(bytes),
            "template archive test.tgz: entry 'templates/HAPROXY_HEAD': more "
            "than 1048576 bytes extracted in total");
  EXPECT_THAT(Everything(), ElementsAre("extract", "outside.txt"));
}

TEST_F(TemplateArchiveTest, RefusesTooManyBytesInTotal) {
  limits_.max_extracted_bytes = 1000;
  EXPECT_EQ(RefusalOf({Dir("templates"), File("templates/a", std::string(600, 'a')),
                       File("templates/b", std::string(600, 'b'))}),
            "template archive test.tgz: entry 'templates/b': more than 1000 "
            "bytes extracted in total");
}

TEST_F(TemplateArchiveTest, RefusesTooManyEntries) {
  limits_.max_entries = 10;
  std::vector<Item> items = {Dir("templates")};
  for (int i = 0; i < 10; ++i) {
    items.push_back(File("templates/f" + std::to_string(i), "x"));
  }
  EXPECT_EQ(RefusalOf(items),
            "template archive test.tgz: more than 10 entries");
}

TEST_F(TemplateArchiveTest, RefusesGarbage) {
  std::string garbage;
  for (int i = 0; i < 100; ++i) {
    garbage += "this is not an archive\n";
  }
  EXPECT_EQ(Refusal(garbage),
            "template archive test.tgz: not a tar archive (plain, gzip, bzip2, "
            "xz or zstd): Unrecognized archive format");
  EXPECT_THAT(Everything(), ElementsAre("extract", "outside.txt"));
}

TEST_F(TemplateArchiveTest, RefusesArchiveWithoutTemplatesDir) {
  EXPECT_EQ(RefusalOf({File("HAPROXY_HEAD", "x")}),
            "template archive test.tgz: no templates/ directory in the archive");
}

TEST_F(TemplateArchiveTest, RefusesEntryThatAppearsTwice) {
  EXPECT_EQ(RefusalOf({File("templates/HAPROXY_HEAD", "a"),
                       File("templates/HAPROXY_HEAD", "b")}),
            "template archive test.tgz: entry 'templates/HAPROXY_HEAD': "
            "appears twice");
}

TEST_F(TemplateArchiveTest, RefusesShaMismatchBeforeExtracting) {
  const std::string path = sandbox_ + "/good.tgz";
  const std::string bytes = Tarball({File("templates/HAPROXY_HEAD", "x")});
  testing::WriteFile(path, bytes);
  TemplateArchiveOptions options;
  options.url = "file://" + path;
  options.sha256 = std::string(64, 'A');
  options.parent_dir = extract_;
  ExtractedArchivePtr out;
  Status s = FetchTemplateArchive(options, &out);
  EXPECT_EQ(s.message(), "template archive " + options.url +
                             ": sha256 mismatch: expected " +
                             std::string(64, 'a') + ", got " + Sha256Hex(bytes));
  EXPECT_THAT(fs::is_empty(extract_), true);

  options.sha256 = Sha256Hex(bytes);
  s = FetchTemplateArchive(options, &out);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(testing::ReadFile(out->templates_dir() + "/HAPROXY_HEAD"), "x");
}

TEST_F(TemplateArchiveTest, RefusesMissingFileAndOversizedDownload) {
  ExtractedArchivePtr out;
  std::string bytes;
  Status s = DownloadArchive("file://" + sandbox_ + "/none.tgz", "", limits_,
                             &bytes);
  EXPECT_EQ(s.message(), "template archive file://" + sandbox_ +
                             "/none.tgz: cannot be read: No such file or "
                             "directory");
  limits_.max_download_bytes = 4;
  s = DownloadArchive("file://" + sandbox_ + "/outside.txt", "", limits_,
                      &bytes);
  EXPECT_EQ(s.message(), "template archive file://" + sandbox_ +
                             "/outside.txt: larger than 4 bytes");
}

TEST_F(TemplateArchiveTest, GoodArchiveExtractsPrivatelyAndItsTemplatesLoad) {
  const std::string bytes = Tarball({
      Dir("./templates"),
      File("./templates/HAPROXY_BACKEND_HEAD", kBackendHead),
      Dir("common"),
      File("common/frontend_head", "\nfrontend {backend}\n"),
      Symlink("templates/HAPROXY_FRONTEND_HEAD", "../common/frontend_head"),
      File("README", "not a template\n"),
  });
  ExtractedArchivePtr out;
  Status s = ExtractArchive("test.tgz", bytes, extract_, limits_, &out);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(out->summary, "6 entries, " +
                              std::to_string(sizeof(kBackendHead) - 1 + 20 + 15) +
                              " bytes extracted");
  EXPECT_EQ(out->dir().rfind(extract_ + "/mlb-templates-", 0), 0u);
  EXPECT_EQ(fs::status(out->dir()).permissions(), fs::perms::owner_all);
  EXPECT_EQ(fs::status(out->templates_dir()).permissions(), fs::perms::owner_all);

  PluginRegistry registry;
  testing::LoadBuiltinPacks(&registry);
  std::vector<std::string> warnings;
  s = registry.catalog().ReloadDirectories({out->templates_dir()}, &warnings);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_THAT(warnings, IsEmpty());
  const TemplateCatalog::Entry& head = *registry.catalog().Find("BACKEND_HEAD");
  const auto resolved = registry.catalog().Resolve(head, nullptr);
  ASSERT_NE(resolved.tmpl, nullptr);
  EXPECT_EQ(resolved.tmpl->source(), kBackendHead);
  EXPECT_EQ(TemplateCatalog::Origin(head, resolved, 0),
            "template file " + out->templates_dir() + "/HAPROXY_BACKEND_HEAD");
  EXPECT_EQ(
      registry.catalog().Resolve(*registry.catalog().Find("FRONTEND_HEAD"), nullptr).tmpl->source(),
      "\nfrontend {backend}\n");

  const std::string dir = out->dir();
  out.reset();
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_THAT(Everything(), ElementsAre("extract", "outside.txt"));
}

// A reload that fails keeps every override of the last good one; a good one
// drops the overrides its dirs no longer have.
TEST_F(TemplateArchiveTest, ReloadDirectoriesIsAllOrNothing) {
  PluginRegistry registry;
  testing::LoadBuiltinPacks(&registry);
  TemplateCatalog& catalog = registry.catalog();
  const std::string good = sandbox_ + "/good", bad = sandbox_ + "/bad";
  fs::create_directory(good);
  fs::create_directory(bad);
  testing::WriteFile(good + "/HAPROXY_BACKEND_HEAD", kBackendHead);
  testing::WriteFile(bad + "/HAPROXY_BACKEND_HEAD", "{nosuch}\n");
  std::vector<std::string> warnings;
  ASSERT_TRUE(catalog.ReloadDirectories({good}, &warnings).ok());
  const std::string original_head =
      catalog.Resolve(*catalog.Find("HEAD"), nullptr).tmpl->source();

  Status s = catalog.ReloadDirectories({good, bad}, &warnings);
  EXPECT_EQ(s.message(), "template file " + bad +
                             "/HAPROXY_BACKEND_HEAD: unknown placeholder "
                             "{nosuch} (BACKEND_HEAD supplies {backend}, "
                             "{balance}, {mode})");
  EXPECT_EQ(catalog.Resolve(*catalog.Find("BACKEND_HEAD"), nullptr).tmpl->source(),
            kBackendHead);

  // Later dirs win per file.
  const std::string later = sandbox_ + "/later";
  fs::create_directory(later);
  testing::WriteFile(later + "/HAPROXY_HEAD", "global\n");
  ASSERT_TRUE(catalog.ReloadDirectories({good, later}, &warnings).ok());
  EXPECT_EQ(catalog.Resolve(*catalog.Find("HEAD"), nullptr).tmpl->source(), "global\n");
  EXPECT_EQ(catalog.Resolve(*catalog.Find("BACKEND_HEAD"), nullptr).tmpl->source(),
            kBackendHead);

  ASSERT_TRUE(catalog.ReloadDirectories({later}, &warnings).ok());
  EXPECT_NE(catalog.Resolve(*catalog.Find("BACKEND_HEAD"), nullptr).tmpl->source(),
            kBackendHead);
  EXPECT_EQ(TemplateCatalog::Origin(
                *catalog.Find("BACKEND_HEAD"),
                catalog.Resolve(*catalog.Find("BACKEND_HEAD"), nullptr), 0),
            "default template BACKEND_HEAD of pack io.mlb.builtin");
  (void)original_head;
}

// ---------------------------------------------------------------------------
// HTTP.

// What the archive server answers for one path.
struct ArchiveAnswer {
  int status = 200;
  std::string body;
  std::string location;
};

// A TestHttpServer handler serving fixed answers by path; 404 for the others.
mlb::testing::TestHttpServer::Handler ArchiveServer(
    std::map<std::string, ArchiveAnswer> answers) {
  return [answers = std::move(answers)](Poco::Net::HTTPServerRequest& req,
                                        Poco::Net::HTTPServerResponse& res,
                                        int) {
    auto it = answers.find(req.getURI());
    if (it == answers.end()) {
      res.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_NOT_FOUND);
      res.send() << "no such archive\n";
      return;
    }
    const ArchiveAnswer& a = it->second;
    res.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(a.status));
    if (!a.location.empty()) {
      res.set("Location", a.location);
    }
    res.setContentLength(static_cast<std::streamsize>(a.body.size()));
    res.send() << a.body;
  };
}

TEST_F(TemplateArchiveTest, DownloadsOverHttpFollowingRedirects) {
  const std::string tgz =
      Tarball({File("templates/HAPROXY_BACKEND_HEAD", kBackendHead)});
  mlb::testing::TestHttpServer server(ArchiveServer({
      {"/t.tgz", {200, tgz, ""}},
      {"/moved", {302, "", "/t.tgz"}},
      {"/loop", {302, "", "/loop"}},
      {"/big", {200, std::string(5000, 'x'), ""}},
      {"/bad.tgz", {200, Tarball({File("../x", "x")}), ""}},
  }));
  TemplateArchiveOptions options;
  options.parent_dir = extract_;
  options.limits.max_download_bytes = 4096;
  for (const std::string path : {"/t.tgz", "/moved"}) {
    options.url = server.url(path);
    ExtractedArchivePtr out;
    Status s = FetchTemplateArchive(options, &out);
    ASSERT_TRUE(s.ok()) << s.message();
    EXPECT_EQ(testing::ReadFile(out->templates_dir() + "/HAPROXY_BACKEND_HEAD"),
              kBackendHead);
    EXPECT_EQ(out->summary.rfind(std::to_string(tgz.size()) + " bytes, sha256 " +
                                     Sha256Hex(tgz) + ", 1 entries",
                                 0),
              0u)
        << out->summary;
  }

  const std::map<std::string, std::string> refusals = {
      {"/missing", "HTTP 404 Not Found"},
      {"/loop", "more than 5 redirects"},
      {"/big", "larger than 4096 bytes"},
      {"/bad.tgz", "entry '../x': '..' in the name"},
  };
  for (const auto& [path, detail] : refusals) {
    options.url = server.url(path);
    ExtractedArchivePtr out;
    Status s = FetchTemplateArchive(options, &out);
    EXPECT_EQ(s.message(), "template archive " + options.url + ": " + detail);
    EXPECT_EQ(out, nullptr);
  }
  EXPECT_THAT(Everything(), ElementsAre("extract", "outside.txt"));
}

TEST(TemplateArchiveUrlTest, RefusesUnsupportedSchemeAndDeadPort) {
  std::string bytes;
  Status s = DownloadArchive("ftp://127.0.0.1/t.tgz", "", {}, &bytes);
  EXPECT_EQ(s.message(),
            "template archive ftp://127.0.0.1/t.tgz: only http://, https:// "
            "and file:// URLs are supported");
  s = DownloadArchive("http://127.0.0.1:1/t.tgz", "", {}, &bytes);
  EXPECT_EQ(s.message(),
            "template archive http://127.0.0.1:1/t.tgz: connect: Connection "
            "refused");
}

}  // namespace
}  // namespace mlb
