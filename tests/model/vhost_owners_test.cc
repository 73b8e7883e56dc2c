// --vhost-owners: which apps may serve which hosts (vhost_owners.h).
#include "core/model/vhost_owners.h"

#include <gtest/gtest.h>

#include <string>

namespace mlb {
namespace {

VhostOwners Owners(const std::string& text) {
  VhostOwners owners;
  const Status s = VhostOwners::Parse(text, "owners.txt", &owners);
  EXPECT_TRUE(s.ok()) << s.message();
  return owners;
}

std::string Why(const VhostOwners& owners, const std::string& app,
                const std::string& host) {
  const Status s = owners.Check(app, host);
  return s.ok() ? "ok" : s.message();
}

TEST(VhostOwnersTest, TheExactLineThenTheLongestWildcardThenStarDecide) {
  const VhostOwners owners = Owners(
      "# domain            app id prefixes\n"
      "shop.example.com    /shop\n"
      "*.shop.example.com  /shop /shop-canary   # its subdomains\n"
      "*.example.com       /platform\n"
      "*                   /platform\n");
  EXPECT_EQ(owners.size(), 4u);
  EXPECT_EQ(Why(owners, "/shop", "shop.example.com"), "ok");
  EXPECT_EQ(Why(owners, "/shop/web", "shop.example.com"), "ok");
  EXPECT_EQ(Why(owners, "/shopping", "shop.example.com"),
            "vhost shop.example.com belongs to /shop (--vhost-owners "
            "owners.txt line 2)");
  EXPECT_EQ(Why(owners, "/shop-canary", "shop.example.com"),
            "vhost shop.example.com belongs to /shop (--vhost-owners "
            "owners.txt line 2)");
  EXPECT_EQ(Why(owners, "/shop-canary/v2", "api.shop.example.com"), "ok");
  EXPECT_EQ(Why(owners, "/platform", "api.shop.example.com"),
            "vhost api.shop.example.com belongs to /shop, /shop-canary "
            "(--vhost-owners owners.txt line 3)");
  EXPECT_EQ(Why(owners, "/platform/docs", "docs.example.com"), "ok");
  EXPECT_EQ(Why(owners, "/shop", "docs.example.com"),
            "vhost docs.example.com belongs to /platform (--vhost-owners "
            "owners.txt line 4)");
  // "*.example.com" is not example.com itself: "*" covers it.
  EXPECT_EQ(Why(owners, "/shop", "example.com"),
            "vhost example.com belongs to /platform (--vhost-owners "
            "owners.txt line 5)");
  // HAProxy's Host match takes a trailing dot or a port as written: the
  // host is still the owned one.
  EXPECT_EQ(Why(owners, "/mallory", "shop.example.com."),
            "vhost shop.example.com. belongs to /shop (--vhost-owners "
            "owners.txt line 2)");
  EXPECT_EQ(Why(owners, "/mallory", "shop.example.com:80"),
            "vhost shop.example.com:80 belongs to /shop (--vhost-owners "
            "owners.txt line 2)");
  // A look-alike suffix is not a subdomain.
  EXPECT_EQ(Why(owners, "/shop", "evilexample.com"),
            "vhost evilexample.com belongs to /platform (--vhost-owners "
            "owners.txt line 5)");
}

TEST(VhostOwnersTest, AHostNoLineCoversIsAnyones) {
  const VhostOwners owners = Owners("shop.example.com /shop\n");
  EXPECT_EQ(Why(owners, "/anyone", "blog.example.com"), "ok");
  EXPECT_EQ(Why(owners, "/anyone", "xshop.example.com"), "ok");
  EXPECT_EQ(Why(owners, "/anyone", "shop.example.com"),
            "vhost shop.example.com belongs to /shop (--vhost-owners "
            "owners.txt line 1)");
  const VhostOwners all = Owners("* /\n");
  EXPECT_EQ(Why(all, "/anyone", "shop.example.com"), "ok");
}

TEST(VhostOwnersTest, RefusesLinesItCannotRead) {
  for (const auto& [text, error] : std::vector<std::pair<std::string, std::string>>{
           {"shop.example.com\n",
            "owners.txt line 1: 'shop.example.com' names no app id prefix (a "
            "line is <domain> <app id prefix>...)"},
           {"\nShop.example.com /shop\n",
            "owners.txt line 2: 'Shop.example.com' is not a lower-case host "
            "name, '*.' and one, or '*'"},
           {"*shop.example.com /shop\n",
            "owners.txt line 1: '*shop.example.com' is not a lower-case host "
            "name, '*.' and one, or '*'"},
           {"shop.example.com shop\n",
            "owners.txt line 1: 'shop' is not an app id prefix (\"/\" or "
            "\"/team\", lower case, no trailing '/')"},
           {"shop.example.com /shop/\n",
            "owners.txt line 1: '/shop/' is not an app id prefix (\"/\" or "
            "\"/team\", lower case, no trailing '/')"},
           {"shop.example.com /shop\nshop.example.com /mallory\n",
            "owners.txt line 2: 'shop.example.com' is already on line 1"},
       }) {
    VhostOwners owners;
    const Status s = VhostOwners::Parse(text, "owners.txt", &owners);
    EXPECT_EQ(s.message(), error) << text;
  }
}

TEST(VhostOwnersTest, LoadNamesTheFlagAndTheFile) {
  VhostOwners owners;
  const Status s = VhostOwners::Load("/nonexistent/owners.txt", &owners);
  EXPECT_EQ(s.message(),
            "--vhost-owners /nonexistent/owners.txt: No such file or "
            "directory");
}

}  // namespace
}  // namespace mlb
