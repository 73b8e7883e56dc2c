#include "core/haproxy/haproxy_binary.h"

#include <vector>

#include "core/base/process.h"

namespace mlb {

Status FindHaproxy(const std::string& binary, std::string* path) {
  const Status found =
      binary.empty()
          ? FindExecutable("haproxy", {kHaproxyFallbackPath}, path)
          : FindExecutable(binary, {}, path);
  if (!found.ok()) {
    return Status::Error(found.message() + " (see --haproxy-binary)");
  }
  return Status::OK();
}

}  // namespace mlb
