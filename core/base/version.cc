#include "core/base/version.h"

namespace mlb {

const char* Version() { return MLB_VERSION; }

}  // namespace mlb
