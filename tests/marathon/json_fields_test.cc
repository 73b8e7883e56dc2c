// Fields of Marathon's JSON read as the Poco-tree parser read them: member
// names, the last of a repeated key, nulls as missing, type errors.
#include "core/marathon/json_fields.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace mlb::json {
namespace {

// The error GetX threw, or "".
template <typename Read>
std::string ErrorOf(const Read& read) {
  try {
    read();
  } catch (const FieldError& e) {
    return e.message;
  }
  return "";
}

TEST(JsonFieldsTest, MemberIsTheLastValueAndNullIsMissing) {
  const std::string json =
      "{\"id\":\"/a\",\"n\":null,\"id\":\"/b\",\"o\":{\"k\":\"v\"}}";
  Reader r(json);
  const Field top = r.Here();
  const Field id = Member(r, top, "id");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(KindAt(r, *id), Kind::kString);
  EXPECT_EQ(GetString(r, top, "id", ""), "/b");
  EXPECT_FALSE(Member(r, top, "n").has_value());
  EXPECT_FALSE(Member(r, top, "missing").has_value());
  EXPECT_FALSE(Member(r, std::nullopt, "id").has_value());
  EXPECT_EQ(GetString(r, GetObject(r, top, "o", ""), "k", "o."), "v");
  EXPECT_EQ(GetString(r, top, "missing", ""), "");
}

TEST(JsonFieldsTest, WrongTypesNameTheField) {
  const std::string json = "{\"a\":1,\"s\":\"x\",\"l\":[{},2]}";
  Reader r(json);
  const Field top = r.Here();
  EXPECT_EQ(ErrorOf([&] { GetObject(r, top, "a", "app."); }),
            "app.a is not an object");
  EXPECT_EQ(ErrorOf([&] { GetArray(r, top, "s", "app."); }),
            "app.s is not an array");
  EXPECT_EQ(ErrorOf([&] { GetString(r, top, "l", ""); }), "l is not a string");
  const std::vector<Reader::Mark> elements =
      Elements(r, *GetArray(r, top, "l", ""));
  ASSERT_EQ(elements.size(), 2u);
  EXPECT_FALSE(HasMembers(r, ObjectAt(r, elements, 0, "l")));
  EXPECT_EQ(ErrorOf([&] { ObjectAt(r, elements, 1, "l"); }),
            "l[1] is not an object");
  EXPECT_EQ(Indexed("tasks", 3), "tasks[3]");
}

TEST(JsonFieldsTest, MembersInPocosOrderWithKeysAsCStrings) {
  const std::string json = "{\"b\":1,\"a\\u0000x\":2,\"b\":3,\"c\":null}";
  Reader r(json);
  std::vector<std::string> names;
  for (const auto& [name, mark] : Members(r)) {
    r.Seek(mark);
    names.push_back(
        name + "=" +
        (r.Peek() == Kind::kNull ? "null" : std::to_string(r.ReadNumber().i)));
  }
  EXPECT_EQ(names, (std::vector<std::string>{"b=3", "a=2", "c=null"}));
  EXPECT_EQ(PocoKey(std::string("a\0x", 3)), "a");
  EXPECT_EQ(PocoKey("ab"), "ab");
}

}  // namespace
}  // namespace mlb::json
