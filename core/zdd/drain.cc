#include "core/zdd/drain.h"

#include <algorithm>
#include <map>
#include <sstream>

namespace mlb::zdd {
namespace {

std::vector<std::string> SplitCsvLine(const std::string& line) {
  std::vector<std::string> out(1);
  for (char c : line) {
    if (c == ',') {
      out.emplace_back();
    } else if (c != '\r') {
      out.back().push_back(c);
    }
  }
  return out;
}

long Number(const std::string& text) {
  long v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return v;
    }
    v = v * 10 + (c - '0');
  }
  return v;
}

bool IsMaint(const std::string& status) {
  return status.rfind("MAINT", 0) == 0;
}

bool IsUp(const std::string& status) {
  return status == "UP" || status == "no check";
}

bool IsProxyRow(const StatsRow& row) {
  return row.server == "BACKEND" || row.server == "FRONTEND";
}

}  // namespace

Status ParseStatsCsv(const std::string& text, std::vector<StatsRow>* rows) {
  rows->clear();
  std::istringstream in(text);
  std::string line;
  std::map<std::string, size_t> column;
  while (std::getline(in, line)) {
    if (line.rfind("# ", 0) == 0) {
      if (column.empty()) {
        const std::vector<std::string> names = SplitCsvLine(line.substr(2));
        for (size_t i = 0; i < names.size(); ++i) {
          column.emplace(names[i], i);
        }
      }
      continue;
    }
    if (line.empty() || line == "\r") {
      continue;
    }
    if (column.empty()) {
      break;  // data before any header
    }
    for (const char* name : {"pxname", "svname", "status", "scur", "qcur"}) {
      if (column.count(name) == 0) {
        return Status::Error(
            "stats CSV", std::string("no column ") + name + " in its header");
      }
    }
    const std::vector<std::string> cells = SplitCsvLine(line);
    auto cell = [&](const char* name) {
      const size_t i = column[name];
      return i < cells.size() ? cells[i] : std::string();
    };
    rows->push_back(StatsRow{cell("pxname"), cell("svname"), cell("status"),
                             Number(cell("scur")), Number(cell("qcur"))});
  }
  if (column.empty()) {
    return Status::Error("stats CSV", "no '# pxname,svname,...' header line");
  }
  return Status::OK();
}

std::vector<std::string> ServerNames(const std::string& host,
                                     const std::string& ip,
                                     const std::vector<int>& ports) {
  auto clean = [](const std::string& s) {
    std::string out;
    for (char ch : s) {
      const unsigned char c = static_cast<unsigned char>(ch);
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '-') {
        out.push_back(ch);
      } else if ((c & 0xC0) != 0x80) {
        out.push_back('_');
      }
    }
    return out;
  };
  const std::string prefix =
      host == ip ? clean(ip) : clean(host) + "_" + clean(ip);
  std::vector<std::string> out;
  for (int port : ports) {
    out.push_back(prefix + "_" + std::to_string(port));
  }
  return out;
}

DrainVerdict JudgeDrain(const DrainInput& input,
                        const std::vector<LbView>& lbs) {
  DrainVerdict verdict;
  if (lbs.empty()) {
    verdict.waiting = "no marathon-lb to ask";
    return verdict;
  }
  for (const LbView& lb : lbs) {
    if (!lb.error.ok()) {
      verdict.waiting =
          "marathon-lb " + lb.url + " did not answer: " + lb.error.message();
      return verdict;
    }
    if (input.max_pids > 0 && lb.pids > input.max_pids) {
      verdict.waiting = "marathon-lb " + lb.url + " is reloading (" +
                        std::to_string(lb.pids) + " HAProxy PIDs)";
      return verdict;
    }
    int servers = 0;
    int up = 0;
    for (const StatsRow& row : lb.rows) {
      if (row.proxy == input.backend && !IsProxyRow(row)) {
        ++servers;
        up += IsUp(row.status) ? 1 : 0;
      }
    }
    if (servers != input.expected_servers) {
      verdict.waiting = "marathon-lb " + lb.url + " has " +
                        std::to_string(servers) + " servers in backend " +
                        input.backend + ", expecting " +
                        std::to_string(input.expected_servers);
      return verdict;
    }
    if (up < input.min_up) {
      verdict.waiting = "marathon-lb " + lb.url + " has " + std::to_string(up) +
                        " servers UP in backend " + input.backend +
                        ", expecting at least " + std::to_string(input.min_up);
      return verdict;
    }
  }
  for (const TaskServers& task : input.old_tasks) {
    bool drained = !task.servers.empty();
    for (const LbView& lb : lbs) {
      bool in_backend = false;
      for (const StatsRow& row : lb.rows) {
        if (IsProxyRow(row) ||
            std::find(task.servers.begin(), task.servers.end(), row.server) ==
                task.servers.end()) {
          continue;
        }
        // Any proxy that still routes to the task (or still has sessions on
        // it) keeps it alive, not only the group's backend.
        in_backend = in_backend || row.proxy == input.backend;
        drained =
            drained && IsMaint(row.status) && row.scur == 0 && row.qcur == 0;
      }
      drained = drained && in_backend;
    }
    if (drained) {
      verdict.drained.push_back(task.id);
    }
  }
  if (verdict.drained.empty()) {
    verdict.waiting = "no old task of backend " + input.backend +
                      " is drained on every marathon-lb yet (MAINT, no "
                      "current or queued session)";
  }
  return verdict;
}

int NextInstances(int new_instances, int old_instances, int target,
                  int hybrid_new, int linear) {
  int next = linear > 0 ? new_instances + linear
                        : new_instances + (new_instances + 1) / 2;
  if (hybrid_new > 0) {
    return std::min(next, hybrid_new);
  }
  if (next >= old_instances) {
    next = target;
  }
  return std::min(next, target);
}

}  // namespace mlb::zdd
