// SHA-256 (FIPS 180-4) of short strings, for server ids.
//
// ServiceBuilder hashes every server name of every update (100,000 per update
// for large clusters); Poco's SHA2Engine took about half of that step, mostly
// in its generic engine (a heap context, virtual calls, copies) and its
// portable compression. This one hashes a string in one call, without
// allocating, and uses the CPU's SHA instructions where there are some
// (x86-64 SHA-NI; checked at run time), the portable code elsewhere.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace mlb {

using Sha256Digest = std::array<uint8_t, 32>;

Sha256Digest Sha256(std::string_view data);

// The same with the portable code only (for tests on machines with SHA-NI).
Sha256Digest Sha256Portable(std::string_view data);

}  // namespace mlb
