// Runs a fuzz target once on every file of its corpus, one gtest each, so
// that the corpus (and every crash added to it) is a regression test in
// every build:
//   fuzz_replay_<target> CORPUS_DIR SUITE_NAME [gtest flags]
// A target checks its invariants by aborting (fuzz_support.h), so a failing
// file stops the run; gtest has printed its name by then.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

class CorpusFile : public ::testing::Test {
 public:
  explicit CorpusFile(std::string path) : path_(std::move(path)) {}
  void TestBody() override {
    std::ifstream in(path_, std::ios::binary);
    ASSERT_TRUE(in) << "cannot read " << path_;
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
    // A copy of exactly the file's size, as libFuzzer passes it, so that a
    // read past the end shows under ASan.
    const std::vector<uint8_t> data(bytes.begin(), bytes.end());
    EXPECT_EQ(LLVMFuzzerTestOneInput(data.data(), data.size()), 0);
  }

 private:
  std::string path_;
};

// A gtest name from a file name: letters, digits and '_' only.
std::string TestName(const std::string& file) {
  std::string name = file;
  std::replace_if(
      name.begin(), name.end(),
      [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); },
      '_');
  return name;
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR SUITE_NAME\n", argv[0]);
    return 2;
  }
  std::vector<std::filesystem::path> files;
  std::error_code error;
  for (const auto& entry :
       std::filesystem::directory_iterator(argv[1], error)) {
    if (entry.is_regular_file()) {
      files.push_back(entry.path());
    }
  }
  if (error || files.empty()) {
    std::fprintf(stderr, "%s: no corpus files in %s\n", argv[0], argv[1]);
    return 2;
  }
  std::sort(files.begin(), files.end());
  for (const std::filesystem::path& path : files) {
    const std::string file = path.filename().string();
    ::testing::RegisterTest(argv[2], TestName(file).c_str(), nullptr,
                            file.c_str(), __FILE__, __LINE__,
                            [path]() -> ::testing::Test* {
                              return new CorpusFile(path.string());
                            });
  }
  return RUN_ALL_TESTS();
}
