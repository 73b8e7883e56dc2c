// docs/reference.md and --longhelp come from the tables marathon-lb runs
// with: the checked-in reference must be what those tables give now, and
// both name every flag, label and template.
#include "core/app/reference.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "core/app/cli.h"
#include "core/app/zdd_command.h"
#include "tests/support/testing.h"

namespace mlb {
namespace {

class ReferenceTest : public testing::WithBuiltinPacks<> {};

TEST_F(ReferenceTest, CheckedInReferenceIsUpToDate) {
  const std::string path = testing::SourceDir() + "/docs/reference.md";
  const std::string generated = ReferenceMarkdown(*registry_);
  if (std::getenv("MLB_UPDATE_REFERENCE") != nullptr) {
    testing::WriteFile(path, generated);
  }
  EXPECT_EQ(testing::ReadFile(path), generated)
      << "docs/reference.md is stale: run tools/update-reference";
}

TEST_F(ReferenceTest, NamesEveryFlagLabelAndTemplate) {
  const std::string markdown = ReferenceMarkdown(*registry_);
  const std::string text = LongHelp(*registry_, "templates");
  for (const FlagSpec& flag : FlagTable()) {
    const std::string name = std::string("--") + flag.name;
    EXPECT_NE(markdown.find("`" + name + "`"), std::string::npos) << name;
    EXPECT_NE(text.find(name), std::string::npos) << name;
  }
  for (const FlagSpec& flag : ZddFlagTable()) {
    const std::string name = std::string("`--") + flag.name + "`";
    EXPECT_NE(markdown.find("| " + name), std::string::npos) << name;
    EXPECT_NE(ZddFlagHelp().find(std::string("--") + flag.name),
              std::string::npos)
        << name;
  }
  for (const LabelSpec& label : registry_->labels().labels()) {
    EXPECT_NE(markdown.find("| `" + label.name + "` |"), std::string::npos)
        << label.name;
    EXPECT_NE(text.find("\n  " + label.name + "  ["), std::string::npos)
        << label.name;
  }
  for (const auto& [name, entry] : registry_->catalog().entries()) {
    EXPECT_NE(markdown.find("\n### " + name + "\n"), std::string::npos)
        << name;
    EXPECT_NE(markdown.find(entry.pack_default->source()), std::string::npos)
        << name;
    EXPECT_NE(text.find("\n  " + name + "  ["), std::string::npos) << name;
  }
}

}  // namespace
}  // namespace mlb
