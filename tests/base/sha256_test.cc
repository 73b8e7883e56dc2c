// core/sha256: FIPS 180-4 test vectors, and agreement with Poco's
// SHA2Engine (which server ids were computed with before) on many lengths,
// for the SHA-NI path and the portable one.
#include "core/base/sha256.h"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>
#include <gtest/gtest.h>

#include <random>
#include <string>

namespace mlb {
namespace {

std::string Hex(const Sha256Digest& digest) {
  return Poco::DigestEngine::digestToHex(
      Poco::DigestEngine::Digest(digest.begin(), digest.end()));
}

TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(Hex(Sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Hex(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(
      Hex(Sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Hex(Sha256Portable("abc")), Hex(Sha256("abc")));
}

TEST(Sha256Test, AgreesWithPocoOnEveryLengthUpTo300) {
  std::mt19937 rng(42);
  for (size_t length = 0; length <= 300; ++length) {
    for (int round = 0; round < 3; ++round) {
      std::string data(length, '\0');
      for (char& c : data) {
        c = static_cast<char>(rng());
      }
      Poco::SHA2Engine poco(Poco::SHA2Engine::SHA_256);
      poco.update(data);
      const std::string expected =
          Poco::DigestEngine::digestToHex(poco.digest());
      EXPECT_EQ(Hex(Sha256(data)), expected) << length;
      EXPECT_EQ(Hex(Sha256Portable(data)), expected) << length;
    }
  }
}

}  // namespace
}  // namespace mlb
