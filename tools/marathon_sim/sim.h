// What every part of marathon-sim uses: its name and version, its limits on
// threads and streams, and short names for the Poco JSON types and the clock.
#pragma once

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <chrono>
#include <cstddef>

namespace mlb::tools::sim {

inline constexpr char kProgram[] = "marathon-sim";
inline constexpr char kVersion[] = "1.15.0-sim";
// HTTP worker threads.  Every open /v2/events stream holds one, so streams
// are capped below this, leaving threads for ordinary and /_sim requests.
inline constexpr int kMaxThreads = 16;
inline constexpr std::size_t kMaxEventStreams = 12;

using Poco::JSON::Array;
using Poco::JSON::Object;
using SteadyClock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

}  // namespace mlb::tools::sim
