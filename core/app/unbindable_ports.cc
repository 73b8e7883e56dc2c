#include "core/app/unbindable_ports.h"

#include <sstream>

#include "core/base/text.h"
#include "core/config/listeners.h"

namespace mlb {

std::string WithoutAlertPrefix(const std::string& line) {
  const size_t alert = line.find("[ALERT]");
  if (alert == std::string::npos) {
    return Trim(line);
  }
  const size_t colon = line.find(" : ", alert);
  return Trim(colon == std::string::npos ? line.substr(alert)
                                         : line.substr(colon + 3));
}

std::vector<UnbindablePort> FindUnbindablePorts(
    const std::string& output, const HaproxyConfig& config,
    const std::vector<BuiltServicePort>& ports,
    std::vector<std::string>* unmatched) {
  std::vector<UnbindablePort> out;
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("cannot bind") == std::string::npos) {
      continue;
    }
    const std::string text = WithoutAlertPrefix(line);
    // The address is the last bracketed word: "for [127.0.0.1:10002]".
    const size_t close = text.rfind(']');
    const size_t open =
        close == std::string::npos ? close : text.rfind('[', close);
    Listener failed;
    if (open == std::string::npos ||
        ReadListener(std::string_view(text).substr(open + 1, close - open - 1),
                     &failed) != AddressKind::kPort) {
      unmatched->push_back(text);
      continue;
    }
    bool found = false;
    for (const BuiltServicePort& port : ports) {
      const ConfigSection* frontend = config.Find("frontend " + port.backend);
      if (frontend == nullptr) {
        continue;
      }
      for (const Listener& l :
           BindListeners(frontend->text, frontend->key)) {
        // The same port on the same address, or either on any address.
        if (!l.udp && l.first_port <= failed.first_port &&
            failed.first_port <= l.last_port &&
            (l.address.empty() || failed.address.empty() ||
             l.address == failed.address)) {
          found = true;
        }
      }
      if (found) {
        bool listed = false;
        for (const UnbindablePort& u : out) {
          listed = listed || (u.app_id == port.app_id &&
                              u.service_port == port.service_port);
        }
        if (!listed) {
          out.push_back({port.app_id, port.service_port, text});
        }
        break;
      }
    }
    if (!found) {
      unmatched->push_back(text);
    }
  }
  return out;
}

}  // namespace mlb
