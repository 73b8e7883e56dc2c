// JSON values printed as Poco's Var::toString() printed them (compared with
// Poco itself) and as Python's repr() prints them.
#include "core/marathon/json_text.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "core/marathon/json_fields.h"

namespace mlb::json {
namespace {

std::string Text(const std::string& json) {
  Reader r(json);
  return PocoText(r);
}

// Var::toString() of `json` as a member of an object read by Poco's parser
// keeping the members' order, as marathon-lb's was.
std::string PocoItself(const std::string& json) {
  Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
  const Poco::Dynamic::Var doc = parser.parse("{\"v\":" + json + "}");
  return doc.extract<Poco::JSON::Object::Ptr>()->get("v").toString();
}

std::string Repr(const std::string& json) {
  Reader r(json);
  std::string out;
  AppendPyRepr(r, &out);
  return out;
}

TEST(PocoDoubleTest, ShortestDigitsPositionalOrExponent) {
  EXPECT_EQ(PocoDouble(0.1), "0.1");
  EXPECT_EQ(PocoDouble(-2.5), "-2.5");
  EXPECT_EQ(PocoDouble(-0.0), "0");
  EXPECT_EQ(PocoDouble(1.5e14), "150000000000000");
  EXPECT_EQ(PocoDouble(1.5e15), "1.5e+15");
  EXPECT_EQ(PocoDouble(1e-15), "0.000000000000001");
  EXPECT_EQ(PocoDouble(1.25e-16), "1.25e-16");
  EXPECT_EQ(PocoDouble(std::nan("")), "nan");
  EXPECT_EQ(PocoDouble(-std::numeric_limits<double>::infinity()), "-inf");
}

TEST(PocoTextTest, SameAsPoco) {
  for (const std::string json :
       {"\"plain\"", "\"a\\\"b\\\\c\\n\"", "12", "-7", "18446744073709551615",
        "1.5", "2.5e300", "0.000001", "true", "false", "{}", "[]",
        "{\"a\":1,\"b\":\"x\"}", "[1,\"two\",[3,{\"four\":4}],{}]",
        "{\"b\":1,\"a\":{\"c\":[true,false]},\"b\":2}",
        "{\"tab\":\"\\t\",\"ctl\":\"\\u0001\",\"q\":\"\\\"\"}"}) {
    EXPECT_EQ(Text(json), PocoItself(json)) << json;
  }
}

TEST(PocoTextTest, NullHasNoText) {
  Reader r("null");
  try {
    PocoText(r);
    ADD_FAILURE() << "no FieldError";
  } catch (const FieldError& e) {
    EXPECT_EQ(e.message, kEmptyValue);
  }
}

TEST(PyReprTest, AsPythonPrintsMarathonLbsValues) {
  EXPECT_EQ(Repr("\"it's a \\\\ path\""), "'it\\'s a \\\\ path'");
  EXPECT_EQ(Repr("true"), "True");
  EXPECT_EQ(Repr("12"), "12");
  EXPECT_EQ(Repr("{\"path\":\"/\",\"x\":null,\"port\":80,\"ok\":false}"),
            "{'path': '/', 'port': 80, 'ok': False}");
  EXPECT_EQ(Repr("[1,[\"a\"],{}]"), "[1, ['a'], {}]");
  EXPECT_EQ(Repr("{\"a\":1,\"a\":2}"), "{'a': 2}");
}

}  // namespace
}  // namespace mlb::json
