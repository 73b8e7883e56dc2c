// marathon-lb's version, for --version, the start-up log line and the HTTP
// User-Agent.
#pragma once

namespace mlb {

// meson.build's project version ("0.1.0"), given to this library's build as
// MLB_VERSION (core/base/meson.build).
const char* Version();

}  // namespace mlb
