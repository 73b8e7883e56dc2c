#include "core/zdd/deployer.h"

#include <Poco/Exception.h>
#include <Poco/Net/DNS.h>
#include <Poco/Net/HostEntry.h>
#include <Poco/Net/IPAddress.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "core/base/files.h"
#include "core/base/logging.h"
#include "core/base/process.h"

namespace mlb::zdd {
namespace {

std::string Id(const Object::Ptr& app) {
  return StringMember(app, "id").value_or("");
}

int Instances(const Object::Ptr& app) {
  return static_cast<int>(IntMember(app, "instances").value_or(0));
}

int LabelInt(const Object::Ptr& app, const char* name, int fallback) {
  return static_cast<int>(ParseInt(Label(app, name)).value_or(fallback));
}

// The size the deployment aims at: the target label, else the app's size.
int Target(const Object::Ptr& app) {
  return LabelInt(app, kTargetLabel, Instances(app));
}

bool HasDeployments(const Object::Ptr& app) {
  const Array::Ptr deployments = ArrayMember(app, "deployments");
  return !deployments.isNull() && deployments->size() > 0;
}

// Whether the app's tasks have addresses of their own (IP per task).
bool IpPerTask(const Object::Ptr& app) {
  const Object::Ptr ip_address = ObjectMember(app, "ipAddress");
  if (!ip_address.isNull() && ip_address->size() > 0) {
    return true;
  }
  const Array::Ptr networks = ArrayMember(app, "networks");
  if (!networks.isNull() && networks->size() > 0) {
    const Object::Ptr last =
        networks->getObject(static_cast<unsigned>(networks->size() - 1));
    return StringMember(last, "mode").value_or("container") == "container";
  }
  return false;
}

// The address marathon-lb routes a task's ports to; "" if unknown.
std::string TaskIp(const Object::Ptr& app, const Object::Ptr& task) {
  if (IpPerTask(app)) {
    const Array::Ptr addresses = ArrayMember(task, "ipAddresses");
    if (addresses.isNull() || addresses->size() == 0) {
      return "";
    }
    return StringMember(addresses->getObject(0), "ipAddress").value_or("");
  }
  const std::string host = StringMember(task, "host").value_or("");
  Poco::Net::IPAddress literal;
  if (host.empty() || Poco::Net::IPAddress::tryParse(host, literal)) {
    return host;
  }
  try {
    const Poco::Net::HostEntry entry = Poco::Net::DNS::hostByName(host);
    for (const Poco::Net::IPAddress& address : entry.addresses()) {
      if (address.family() == Poco::Net::IPAddress::IPv4) {
        return address.toString();
      }
    }
  } catch (const Poco::Exception&) {
  }
  return "";
}

std::vector<TaskServers> OldTaskServers(const Object::Ptr& app) {
  std::vector<TaskServers> out;
  const Array::Ptr tasks = ArrayMember(app, "tasks");
  for (size_t i = 0; !tasks.isNull() && i < tasks->size(); ++i) {
    const Object::Ptr task = tasks->getObject(static_cast<unsigned>(i));
    TaskServers entry;
    entry.id = StringMember(task, "id").value_or("");
    const std::string ip = TaskIp(app, task);
    std::vector<int> ports;
    const Array::Ptr list = ArrayMember(task, "ports");
    for (size_t p = 0; !list.isNull() && p < list->size(); ++p) {
      ports.push_back(list->get(static_cast<unsigned>(p)).convert<int>());
    }
    if (!ip.empty()) {
      entry.servers =
          ServerNames(StringMember(task, "host").value_or(""), ip, ports);
    }
    out.push_back(entry);
  }
  return out;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    out += (out.empty() ? "" : ", ") + item;
  }
  return out;
}

class Deployment {
 public:
  Deployment(const ZddOptions& options, MarathonApi& marathon, LbProbe& lbs,
             const ZddEnvironment& env)
      : options_(options), marathon_(marathon), lbs_(lbs), env_(env) {}

  Outcome Run() {
    std::string text;
    if (!ReadWholeFile(options_.json_path, &text).ok()) {
      return Outcome::Fail(Exit::kInvalidArgs, "--json " + options_.json_path,
                           "cannot be read");
    }
    Object::Ptr app;
    if (Status s = ParseObject(text, "--json " + options_.json_path, &app);
        !s.ok()) {
      return Outcome::Fail(Exit::kInvalidArgs, s);
    }
    MLB_ZDD_RETURN_IF_FAILED(ValidateApp(app));
    const std::string group = Label(app, kGroupLabel);
    std::vector<Object::Ptr> apps;
    MLB_ZDD_RETURN_IF_FAILED(marathon_.ListApps(&apps));
    const std::vector<Object::Ptr> previous = GroupApps(apps, group);

    if (previous.size() > 1) {
      return Continue(group, previous);
    }
    if (options_.complete_cur || options_.complete_prev) {
      return Outcome::Fail(Exit::kInvalidArgs, "--complete-cur/--complete-prev",
                           "group " + group +
                               " has no hybrid deployment in progress (" +
                               std::to_string(previous.size()) + " app)");
    }
    PrepareOptions prepare;
    prepare.initial_instances = options_.initial_instances;
    prepare.new_instances = options_.new_instances;
    Object::Ptr next;
    MLB_ZDD_RETURN_IF_FAILED(
        PrepareDeploy(app, previous, prepare, env_.started_at(), &next));
    Log().information("Final app definition:");
    *env_.out << PrettyJson(next) << "\n";
    env_.out->flush();
    if (options_.dry_run) {
      return Outcome::Ok();
    }
    if (!Confirm("Continue with deployment?")) {
      return Declined();
    }
    MLB_ZDD_RETURN_IF_FAILED(marathon_.CreateApp(next));
    Log().information("Created " + Id(next));
    if (previous.empty()) {
      return Outcome::Ok();  // a first deployment: nothing to swap
    }
    return Swap(Id(next), Id(previous.back()));
  }

 private:
  // Two apps or more in the group: a deployment was interrupted, or is a
  // hybrid one.
  Outcome Continue(const std::string& group,
                   const std::vector<Object::Ptr>& previous) {
    const Object::Ptr& newest = previous[previous.size() - 1];
    const Object::Ptr& second = previous[previous.size() - 2];
    if (options_.complete_prev) {
      Log().information("Completing the hybrid deployment of group " + group +
                        " towards the previous colour (" +
                        Label(second, kColourLabel) + ")");
      return Swap(Id(second), Id(newest));
    }
    if (options_.complete_cur || options_.resume) {
      Log().information(
          std::string(options_.resume ? "Resuming" : "Completing") +
          " the deployment of group " + group + ": " + Id(second) + " -> " +
          Id(newest));
      return Swap(Id(newest), Id(second));
    }
    std::vector<std::string> ids;
    for (const Object::Ptr& app : previous) {
      ids.push_back(Id(app));
    }
    return Outcome::Fail(Exit::kUnknown, "group " + group,
                         "a deployment is in progress (apps " + Join(ids) +
                             "): use --resume, --complete-cur or "
                             "--complete-prev");
  }

  bool Hybrid(const Object::Ptr& new_app) const {
    return LabelInt(new_app, kNewInstancesLabel, 0) != 0 &&
           !options_.complete_cur && !options_.complete_prev;
  }

  Outcome Swap(const std::string& new_id, const std::string& old_id) {
    double wait_since = env_.now();
    // Each kind of line is logged when it changes, not at every step.
    std::string said_state;
    std::string said_wait;
    auto say = [](const std::string& line, std::string* said) {
      if (line != *said) {
        Log().information(line);
        *said = line;
      }
    };
    while (true) {
      Object::Ptr old_app;
      Object::Ptr new_app;
      MLB_ZDD_RETURN_IF_FAILED(marathon_.GetApp(old_id, &old_app));
      MLB_ZDD_RETURN_IF_FAILED(marathon_.GetApp(new_id, &new_app));
      if (new_app.isNull()) {
        return Outcome::Fail(Exit::kMarathonEndpoint, "app " + new_id,
                             "not in Marathon any more");
      }
      if (old_app.isNull()) {
        Log().information("Old app " + old_id + " is gone: done");
        return Outcome::Ok();
      }
      const int new_n = Instances(new_app);
      const int old_n = Instances(old_app);
      const int target = Target(new_app);
      const int hybrid_new = LabelInt(new_app, kNewInstancesLabel, 0);
      const bool hybrid = Hybrid(new_app);
      say("Existing app " + old_id + " running " + std::to_string(old_n) +
              " instances, new app " + new_id + " running " +
              std::to_string(new_n) + " instances (target " +
              std::to_string(target) + ")",
          &said_state);
      if (HasDeployments(new_app) || HasDeployments(old_app)) {
        say("Waiting for Marathon's deployments of " + new_id + " and " +
                old_id,
            &said_wait);
        wait_since = env_.now();
        env_.sleep(options_.step_delay);
        continue;
      }
      if (hybrid && new_n == hybrid_new && old_n == target - hybrid_new) {
        Log().information(
            "Hybrid deployment in place: " + std::to_string(new_n) +
            " new and " + std::to_string(old_n) + " old instances; " + old_id +
            " is kept");
        return Outcome::Ok();
      }
      const Array::Ptr old_tasks = ArrayMember(old_app, "tasks");
      if (!hybrid && old_n == 0 &&
          (old_tasks.isNull() || old_tasks->size() == 0) && new_n >= target) {
        return DeleteOld(old_id);
      }

      DrainInput input;
      input.backend = Label(new_app, kGroupLabel) + "_" +
                      Label(new_app, kFrontendPortLabel);
      input.old_tasks = OldTaskServers(old_app);
      input.expected_servers = old_n + new_n;
      input.min_up = target;
      input.max_pids = options_.max_haproxy_pids;
      const DrainVerdict verdict = JudgeDrain(input, lbs_.Observe());
      const int goal = hybrid ? hybrid_new : target;
      if (verdict.drained.empty() && new_n + old_n <= target && new_n < goal) {
        // Fewer instances than the target (zdd was stopped between a kill
        // and the scale that follows it): marathon-lb drains nothing until
        // the new colour grows, and growing it is always safe.
        const int next =
            NextInstances(new_n, old_n, target, hybrid ? hybrid_new : 0,
                          options_.linear_increase);
        Log().information("Only " + std::to_string(new_n + old_n) +
                          " instances for a target of " +
                          std::to_string(target) + ": scaling " + new_id +
                          " up to " + std::to_string(next) + " instances");
        MLB_ZDD_RETURN_IF_FAILED(marathon_.ScaleApp(new_id, next));
        wait_since = env_.now();
        env_.sleep(options_.step_delay);
        continue;
      }
      if (verdict.drained.empty()) {
        say("Waiting: " + verdict.waiting, &said_wait);
        if (env_.now() - wait_since >= options_.max_wait) {
          return Outcome::Fail(
              Exit::kLbEndpoint, "marathon-lb",
              "nothing killable after waiting " +
                  std::to_string(static_cast<int>(options_.max_wait)) +
                  " s (--max-wait), no task killed in this step: " +
                  verdict.waiting);
        }
        env_.sleep(options_.step_delay);
        continue;
      }
      // The hook runs before the delete too: it kills the last old tasks.
      MLB_ZDD_RETURN_IF_FAILED(PreKillHook(old_app, verdict.drained, new_app));
      if (!hybrid && new_n == target &&
          static_cast<int>(verdict.drained.size()) == old_n) {
        return DeleteOld(old_id);
      }
      Log().information(
          "There are " + std::to_string(verdict.drained.size()) +
          " drained tasks, about to kill: " + Join(verdict.drained));
      if (!Confirm("Continue?")) {
        return Declined();
      }
      MLB_ZDD_RETURN_IF_FAILED(marathon_.KillTasks(verdict.drained));
      if (new_n < goal) {
        const int next =
            NextInstances(new_n, old_n, target, hybrid ? hybrid_new : 0,
                          options_.linear_increase);
        Log().information("Scaling " + new_id + " up to " +
                          std::to_string(next) + " instances");
        MLB_ZDD_RETURN_IF_FAILED(marathon_.ScaleApp(new_id, next));
      }
      wait_since = env_.now();
      env_.sleep(options_.step_delay);
    }
  }

  Outcome DeleteOld(const std::string& old_id) {
    Log().information("About to delete old app " + old_id);
    if (!Confirm("Continue?")) {
      return Declined();
    }
    MLB_ZDD_RETURN_IF_FAILED(marathon_.DeleteApp(old_id));
    Log().information("Deleted " + old_id + ": deployment complete");
    return Outcome::Ok();
  }

  Outcome PreKillHook(const Object::Ptr& old_app,
                      const std::vector<std::string>& ids,
                      const Object::Ptr& new_app) {
    if (options_.pre_kill_hook.empty()) {
      return Outcome::Ok();
    }
    Array::Ptr list = new Array;
    for (const std::string& id : ids) {
      list->add(id);
    }
    Log().information("Calling pre-kill hook '" + options_.pre_kill_hook + "'");
    int code = 0;
    const Status ran = env_.run({options_.pre_kill_hook, CompactJson(old_app),
                                 CompactJson(list), CompactJson(new_app)},
                                &code);
    if (!ran.ok()) {
      return Outcome::Fail(
          Exit::kUnknown,
          ran.WithContext("--pre-kill-hook " + options_.pre_kill_hook));
    }
    if (code != 0) {
      return Outcome::Fail(Exit::kUnknown,
                           "--pre-kill-hook " + options_.pre_kill_hook,
                           "exited with " + std::to_string(code) +
                               ": deployment stopped before killing " +
                               Join(ids) + "; an operator must intervene");
    }
    return Outcome::Ok();
  }

  bool Confirm(const std::string& question) {
    return options_.force || env_.confirm(question);
  }

  static Outcome Declined() {
    return Outcome::Fail(Exit::kDeclined, "zdd",
                         "stopped at the operator's no");
  }

  const ZddOptions& options_;
  MarathonApi& marathon_;
  LbProbe& lbs_;
  const ZddEnvironment& env_;
};

}  // namespace

ZddEnvironment SystemEnvironment() {
  ZddEnvironment env;
  env.sleep = [](double seconds) {
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  };
  env.now = [] {
    return std::chrono::duration<double>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };
  env.confirm = [](const std::string& question) {
    while (true) {
      std::cout << question << " [Y/n] " << std::flush;
      std::string answer;
      if (!std::getline(std::cin, answer)) {
        return false;
      }
      for (char& c : answer) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      if (answer.empty() || answer == "y" || answer == "ye" ||
          answer == "yes") {
        return true;
      }
      if (answer == "n" || answer == "no") {
        return false;
      }
      std::cout << "Please respond with 'yes' or 'no' (or 'y' or 'n').\n";
    }
  };
  env.run = [](const std::vector<std::string>& argv, int* exit_code) {
    CommandResult result;
    MLB_RETURN_IF_ERROR(RunCommand(argv, &result, 600000));
    if (!result.output.empty()) {
      Log().information("pre-kill hook: " + result.output);
    }
    *exit_code = result.exit_code;
    return Status::OK();
  };
  env.out = &std::cout;
  return env;
}

Outcome RunZdd(const ZddOptions& options, MarathonApi& marathon, LbProbe& lbs,
               const ZddEnvironment& env) {
  return Deployment(options, marathon, lbs, env).Run();
}

}  // namespace mlb::zdd
