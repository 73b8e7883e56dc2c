#include "core/model/deployment_groups.h"

#include <algorithm>
#include <climits>
#include <map>
#include <optional>

#include "core/model/labels.h"

namespace mlb {
namespace {

constexpr std::string_view kStartedAtLabel = "HAPROXY_DEPLOYMENT_STARTED_AT";
constexpr std::string_view kTargetInstancesLabel =
    "HAPROXY_DEPLOYMENT_TARGET_INSTANCES";
constexpr std::string_view kNewInstancesLabel =
    "HAPROXY_DEPLOYMENT_NEW_INSTANCES";
// The most apps one group merges: a zdd deploy has two (three when an
// earlier one was left unfinished). Each merge sorts the group's tasks, so
// a group of N one-task apps would cost N^2 log N: one tenant's script could
// slow every update of a shared load balancer by seconds.
constexpr size_t kMaxGroupApps = 8;

const std::string* LabelOf(const App& app, std::string_view name) {
  auto it = app.labels.find(std::string(name));
  return it == app.labels.end() ? nullptr : &it->second;
}

// A Marathon path: segments of lower-case letters, digits, '.' and '-'
// between single slashes, no "." or ".." segment.
bool IsAppId(std::string_view id) {
  if (id.size() < 2 || id.size() > 512 || id[0] != '/') {
    return false;
  }
  std::string_view rest = id.substr(1);
  while (true) {
    const size_t slash = rest.find('/');
    const std::string_view segment = rest.substr(0, slash);
    if (segment.empty() || segment == "." || segment == "..") {
      return false;
    }
    for (const char c : segment) {
      if (!(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') && c != '.' &&
          c != '-') {
        return false;
      }
    }
    if (slash == std::string_view::npos) {
      return true;
    }
    rest = rest.substr(slash + 1);
  }
}

// Reads `count` digits at *text into *out.
bool Digits(std::string_view* text, size_t count, int* out) {
  if (text->size() < count) {
    return false;
  }
  int value = 0;
  for (size_t i = 0; i < count; ++i) {
    const char c = (*text)[i];
    if (c < '0' || c > '9') {
      return false;
    }
    value = value * 10 + (c - '0');
  }
  text->remove_prefix(count);
  *out = value;
  return true;
}

bool Take(std::string_view* text, char c) {
  if (text->empty() || text->front() != c) {
    return false;
  }
  text->remove_prefix(1);
  return true;
}

// Days from 1970-01-01 to the given date of the proleptic Gregorian calendar.
long long DaysFromCivil(int y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const long long yoe = y - era * 400;
  const long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

// The app's STARTED_AT: LLONG_MIN when it has none (1.15: datetime.min).
bool StartedAt(const App& app, long long* micros, std::string* error) {
  const std::string* text = LabelOf(app, kStartedAtLabel);
  if (text == nullptr) {
    *micros = LLONG_MIN;
    return true;
  }
  if (!ParseIsoTime(*text, micros)) {
    *error = "label " + std::string(kStartedAtLabel) + ": " +
             QuoteValue(*text) + " is not an ISO 8601 time";
    return false;
  }
  return true;
}

// Reads TARGET_INSTANCES into *target when the app has it (else leaves
// *target); an app with NEW_INSTANCES must have it.
bool TargetInstances(const App& app, long long* target, std::string* error) {
  const std::string* text = LabelOf(app, kTargetInstancesLabel);
  if (text == nullptr) {
    if (LabelOf(app, kNewInstancesLabel) == nullptr) {
      return true;
    }
    *error = "label " + std::string(kNewInstancesLabel) + " is set but " +
             std::string(kTargetInstancesLabel) + " is not";
    return false;
  }
  long long value = 0;
  if (!ParseInt(*text, &value) || value < 0 || value > 1000000) {
    *error = "label " + std::string(kTargetInstancesLabel) + ": " +
             QuoteValue(*text) + " is not a number of instances (0-1000000)";
    return false;
  }
  *target = value;
  return true;
}

// How many of the new app's tasks passed a health check (any result alive,
// as 1.15), or its instances when it has no health checks.
long long HealthyInstances(const App& app) {
  if (app.health_checks.empty()) {
    return app.instances;
  }
  long long healthy = 0;
  for (const Task& task : app.tasks) {
    if (task.health_alive &&
        std::find(task.health_alive->begin(), task.health_alive->end(),
                  true) != task.health_alive->end()) {
      ++healthy;
    }
  }
  return healthy;
}

// Merges `cur` (the next app of the group) into `prev` (the group so far).
void Merge(App cur, App* prev) {
  long long prev_date = 0;
  long long cur_date = 0;
  std::string ignored;  // both were read before
  StartedAt(*prev, &prev_date, &ignored);
  StartedAt(cur, &cur_date, &ignored);
  App old_app;
  App new_app;
  if (prev_date < cur_date) {
    old_app = std::move(*prev);
    new_app = std::move(cur);
  } else {
    new_app = std::move(*prev);
    old_app = std::move(cur);
  }
  long long target = 1;
  if (LabelOf(new_app, kNewInstancesLabel) != nullptr) {
    TargetInstances(new_app, &target, &ignored);
    long long new_scaled = 0;
    long long old_scaled = 0;
    if (ParseIsoTime(new_app.last_scaling_at, &new_scaled) &&
        ParseIsoTime(old_app.last_scaling_at, &old_scaled) &&
        old_scaled > new_scaled) {
      // A hybrid deploy's late phase (zdd scaled the old app down last):
      // the roles swap, and the target is the one of the app that is new
      // now (1.15), when it has one.
      std::swap(old_app, new_app);
      TargetInstances(new_app, &target, &ignored);
    }
  }
  std::stable_sort(
      old_app.tasks.begin(), old_app.tasks.end(),
      [](const Task& a, const Task& b) { return a.id < b.id; });
  const long long healthy = HealthyInstances(new_app);
  const long long drainable =
      std::max(0LL, healthy + old_app.instances - target);
  const long long drain = std::min(
      {static_cast<long long>(old_app.tasks.size()), healthy, drainable});
  for (long long i = 0; i < drain; ++i) {
    old_app.tasks[static_cast<size_t>(i)].draining = true;
  }
  for (Task& task : new_app.tasks) {
    old_app.tasks.push_back(std::move(task));
  }
  *prev = std::move(old_app);
}

struct Group {
  std::string id;
  std::vector<std::string> members;  // the apps' own ids
  std::optional<App> merged;
};

}  // namespace

bool InDeploymentGroup(const App& app) {
  return LabelOf(app, kDeploymentGroupLabel) != nullptr;
}

bool ParseIsoTime(std::string_view text, long long* micros) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  long long fraction = 0;
  if (!Digits(&text, 4, &year) || !Take(&text, '-') ||
      !Digits(&text, 2, &month) || !Take(&text, '-') ||
      !Digits(&text, 2, &day) || month < 1 || month > 12 || day < 1 ||
      day > DaysInMonth(year, month)) {
    return false;
  }
  long long offset_seconds = 0;
  if (Take(&text, 'T') || Take(&text, ' ')) {
    if (!Digits(&text, 2, &hour) || !Take(&text, ':') ||
        !Digits(&text, 2, &minute) || hour > 23 || minute > 59) {
      return false;
    }
    if (Take(&text, ':')) {
      if (!Digits(&text, 2, &second) || second > 59) {
        return false;
      }
      if (Take(&text, '.')) {
        size_t digits = 0;
        while (!text.empty() && text.front() >= '0' && text.front() <= '9') {
          if (digits < 6) {
            fraction = fraction * 10 + (text.front() - '0');
          }
          ++digits;
          text.remove_prefix(1);
        }
        if (digits == 0) {
          return false;
        }
        for (size_t i = digits; i < 6; ++i) {
          fraction *= 10;
        }
      }
    }
    if (Take(&text, 'Z')) {
    } else if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
      const int sign = text.front() == '-' ? -1 : 1;
      text.remove_prefix(1);
      int oh = 0, om = 0;
      if (!Digits(&text, 2, &oh) || oh > 23) {
        return false;
      }
      Take(&text, ':');
      if (!text.empty() && (!Digits(&text, 2, &om) || om > 59)) {
        return false;
      }
      offset_seconds = sign * (oh * 3600LL + om * 60LL);
    }
  }
  if (!text.empty()) {
    return false;
  }
  const long long seconds = DaysFromCivil(year, month, day) * 86400LL +
                            hour * 3600LL + minute * 60LL + second -
                            offset_seconds;
  *micros = seconds * 1000000LL + fraction;
  return true;
}

std::vector<App> MergeDeploymentGroups(std::vector<App> apps,
                                       const std::set<std::string>& other_ids,
                                       bool named_members,
                                       std::vector<std::string>* errors) {
  std::vector<Group> groups;
  std::map<std::string, size_t> by_id;
  for (App& app : apps) {
    const std::string& label = *LabelOf(app, kDeploymentGroupLabel);
    const std::string id =
        !label.empty() && label[0] == '/' ? label : "/" + label;
    const auto leave = [&](const std::string& why, const std::string& group) {
      errors->push_back("app " + app.id + ": " + why +
                        "; the app is left out of deployment group " + group);
    };
    if (!IsAppId(id)) {
      errors->push_back("app " + app.id + ": label " +
                        std::string(kDeploymentGroupLabel) + ": " +
                        QuoteValue(label) +
                        " is not a Marathon app id (lower-case letters, "
                        "digits, '.' and '-' between slashes); the app is "
                        "left out");
      continue;
    }
    // /g-blue, /g-green: the group id, '-' and the rest of one segment.
    if (named_members &&
        (app.id.size() <= id.size() + 1 ||
         app.id.compare(0, id.size(), id) != 0 || app.id[id.size()] != '-' ||
         app.id.find('/', id.size()) != std::string::npos)) {
      errors->push_back("app " + app.id + ": label " +
                        std::string(kDeploymentGroupLabel) +
                        ": only apps named " + id +
                        "-<name> (as zdd names them) join deployment group " +
                        id + "; the app is left out");
      continue;
    }
    long long unused = 0;
    std::string why;
    if (!StartedAt(app, &unused, &why) ||
        !TargetInstances(app, &unused, &why)) {
      leave(why, id);
      continue;
    }
    auto [it, added] = by_id.emplace(id, groups.size());
    if (added) {
      groups.push_back({id, {}, std::nullopt});
    }
    Group& group = groups[it->second];
    if (group.members.size() == kMaxGroupApps) {
      leave("the group has " + std::to_string(kMaxGroupApps) +
                " apps already, the most one group merges",
            id);
      continue;
    }
    group.members.push_back(app.id);
    app.id = id;
    if (!group.merged) {
      group.merged = std::move(app);
    } else {
      Merge(std::move(app), &*group.merged);
    }
  }
  std::vector<App> out;
  out.reserve(groups.size());
  for (Group& group : groups) {
    if (other_ids.count(group.id) != 0) {
      std::string members;
      for (const std::string& member : group.members) {
        members += (members.empty() ? "" : ", ") + member;
      }
      errors->push_back("deployment group " + group.id + ": app " + group.id +
                        ", which is not in the group, has this id; the "
                        "group's apps " +
                        members + " are left out");
      continue;
    }
    out.push_back(std::move(*group.merged));
  }
  return out;
}

}  // namespace mlb
