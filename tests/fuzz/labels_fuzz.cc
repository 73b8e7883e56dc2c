// Fuzz target: an app's labels as the model reads them: the typed labels of
// the label table (HAPROXY_GROUP, HAPROXY_{n}_VHOST, _PORT, _MODE,
// _BACKEND_WEIGHT, ... of the built-in packs), template overrides with the
// --label-policy check as written and as rendered, and the deployment
// labels of blue/green groups (core/model/labels.cc, label_policy.cc,
// deployment_groups.cc, template_catalog.cc).
//
// The input is text, one line each:
//   KEY=VALUE      a label of the current app ("\n" in VALUE is a newline)
//   @app ID        starts the next app (the first is /fuzz)
//   @port N        the service port index read (0-9, default 0)
//   @var NAME=VALUE  a placeholder value a template override renders with
//                    (default: "v")
// The built-in packs come from $MLB_PLUGIN_DIR.
//
// Invariants:
//   - a refused port names the label: "label <KEY>..." with KEY one of the
//     app's labels;
//   - the policies nest: accepted under deny, accepted under restricted;
//     accepted under restricted, accepted under allow; a refusal that a
//     looser policy does not make says "refused by --label-policy <level>";
//   - accepted values are typed: a port is 0-65535, a mode tcp, http or
//     unset, a vhost lower-case;
//   - ParseInt of an integer label reads its own decimal text back;
//   - a deployment-group refusal has a message, merged apps have ids
//     starting with '/' and no task is duplicated or invented.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/text.h"
#include "core/model/deployment_groups.h"
#include "core/model/label_policy.h"
#include "core/model/labels.h"
#include "core/model/template_catalog.h"
#include "core/render/plugin_registry.h"
#include "tests/fuzz/fuzz_support.h"

namespace mlb::fuzz {
namespace {

struct Input {
  std::vector<App> apps;
  int port = 0;
  sdk::Vars vars;
};

std::string Unescape(std::string_view value) {
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\\' && i + 1 < value.size() && value[i + 1] == 'n') {
      out.push_back('\n');
      ++i;
    } else {
      out.push_back(value[i]);
    }
  }
  return out;
}

// Two tasks, the first healthy. Task ids are unique in the input (Marathon's
// are), even when two apps share an id.
App NewApp(std::string id, size_t index) {
  App app;
  app.id = std::move(id);
  app.instances = 2;
  for (int i = 0; i < 2; ++i) {
    Task task;
    task.id = app.id + ".app" + std::to_string(index) + ".task" +
              std::to_string(i);
    task.host = "127.0.0.1";
    task.ports = {31000 + i};
    task.state = "TASK_RUNNING";
    task.health_alive = std::vector<bool>{i == 0};
    app.tasks.push_back(std::move(task));
  }
  return app;
}

Input Read(std::string_view text) {
  Input in;
  in.apps.push_back(NewApp("/fuzz", 0));
  for (const std::string& line : Split(text, '\n')) {
    const size_t eq = line.find('=');
    if (line.rfind("@app ", 0) == 0) {
      in.apps.push_back(NewApp(line.substr(5), in.apps.size()));
    } else if (line.rfind("@port ", 0) == 0) {
      in.port = std::atoi(line.c_str() + 6) % 10;
      in.port = in.port < 0 ? -in.port : in.port;
    } else if (line.rfind("@var ", 0) == 0 && eq != std::string::npos) {
      in.vars.Set(line.substr(5, eq - 5), Unescape(line.substr(eq + 1)));
    } else if (eq != std::string::npos) {
      in.apps.back().labels[line.substr(0, eq)] = Unescape(line.substr(eq + 1));
    }
  }
  return in;
}

const PluginRegistry& Registry() {
  static const PluginRegistry* registry = [] {
    auto* r = new PluginRegistry();
    const char* dir = std::getenv("MLB_PLUGIN_DIR");
    std::vector<std::string> refusals;
    const Status s =
        r->LoadDirectories({dir != nullptr ? dir : "plugins"}, &refusals);
    Check(s.ok() && refusals.empty(),
          "the built-in packs load (set MLB_PLUGIN_DIR)",
          s.message() + (refusals.empty() ? "" : "\n" + refusals.front()));
    return r;
  }();
  return *registry;
}

bool NamesALabel(const std::string& message,
                 const std::map<std::string, std::string>& labels) {
  for (const auto& [key, value] : labels) {
    const std::string prefix = "label " + key;
    if (message.rfind(prefix, 0) == 0 && message.size() > prefix.size() &&
        (message[prefix.size()] == ':' || message[prefix.size()] == ' ')) {
      return true;
    }
  }
  return false;
}

// The template overrides rendered with the input's values, through the
// checks the renderer applies (renderer.cc, RenderChecked).
void RenderOverrides(const PortLabels& labels, const Input& in) {
  const TemplateCatalog& catalog = Registry().catalog();
  for (const auto& [name, tmpl] : labels.templates) {
    const TemplateCatalog::Entry* entry = catalog.Find(name);
    Check(entry != nullptr, "an override is of a known template", name);
    sdk::Vars vars;
    for (const std::string& placeholder : tmpl->placeholders()) {
      vars.Set(placeholder, in.vars.Has(placeholder)
                                ? in.vars.Get(placeholder)
                                : std::string_view("v"));
    }
    std::string out;
    const Status rendered = tmpl->Render(vars, &out);
    Check(rendered.ok(), "an accepted override renders", rendered.message());
    Status s = CheckRenderedLines(*tmpl, vars, out);
    if (s.ok() && labels.policy == LabelPolicy::kRestricted) {
      const std::string label = LabelName("HAPROXY_{n}_" + name, in.port);
      s = CheckRenderedOverride(label, *tmpl,
                                TemplateOverrideInfo(catalog, name), vars,
                                out);
      Check(s.ok() || s.message().rfind("label " + label, 0) == 0,
            "a rendered override's refusal names the label", s.message());
    }
    if (s.ok() && !tmpl->words().empty()) {
      s = CheckPlaceholderWords(*tmpl, vars);
    }
    Check(s.ok() || !s.message().empty(), "a refusal has a message", "");
  }
}

void CheckPort(const App& app, const Input& in) {
  const PluginRegistry& registry = Registry();
  constexpr LabelPolicy kPolicies[] = {LabelPolicy::kDeny,
                                       LabelPolicy::kRestricted,
                                       LabelPolicy::kAllow};
  bool accepted_before = false;
  std::string before;
  // Refusals of stricter policies, to be checked once a looser one accepts.
  std::vector<std::pair<std::string, std::string>> refused;
  for (const LabelPolicy policy : kPolicies) {
    PortLabels out;
    std::vector<std::string> warnings;
    const Status s = ParsePortLabels(app.labels, in.port, registry.labels(),
                                     registry.catalog(), &out, &warnings,
                                     policy);
    const std::string level(LabelPolicyName(policy));
    if (!s.ok()) {
      Check(s.scope() == Status::Scope::kService &&
                NamesALabel(s.message(), app.labels),
            "a refused port names one of its labels", s.message());
      Check(!accepted_before,
            "what a stricter policy accepts, " + level + " accepts",
            before + "\n-- " + level + ": " + s.message());
      refused.push_back({level, s.message()});
      continue;
    }
    for (const auto& [stricter, message] : refused) {
      Check(message.find("refused by --label-policy " + stricter) !=
                std::string::npos,
            "a refusal only a stricter policy makes is that policy's",
            stricter + ": " + message);
    }
    refused.clear();
    accepted_before = true;
    before = level + " accepted";
    Check(out.port >= 0 && out.port <= 65535, "a port is 0-65535",
          std::to_string(out.port));
    Check(out.mode.empty() || out.mode == "tcp" || out.mode == "http",
          "a mode is tcp, http or unset", out.mode);
    Check(out.vhost == Lower(out.vhost), "a vhost is lower-case", out.vhost);
    for (const sdk::LabelValue& value : out.values) {
      if (value.kind == MLB_LABEL_PORT) {
        Check(value.number >= 1 && value.number <= 65535,
              "a port label is 1-65535", value.label);
      }
    }
    RenderOverrides(out, in);
  }
}

void CheckIntegers(const App& app) {
  for (const auto& [key, value] : app.labels) {
    long long number = 0;
    if (!ParseInt(value, &number)) {
      continue;
    }
    long long again = 0;
    Check(ParseInt(std::to_string(number), &again) && again == number,
          "an integer reads its own text back", value);
  }
}

void CheckDeploymentGroups(const std::vector<App>& apps) {
  std::vector<App> grouped;
  std::set<std::string> other_ids;
  std::set<std::string> task_ids;
  for (const App& app : apps) {
    if (InDeploymentGroup(app)) {
      grouped.push_back(app);
      for (const Task& task : app.tasks) {
        task_ids.insert(task.id);
      }
    } else {
      other_ids.insert(app.id);
    }
  }
  for (const bool named_members : {true, false}) {
    std::vector<std::string> errors;
    const std::vector<App> merged =
        MergeDeploymentGroups(grouped, other_ids, named_members, &errors);
    for (const std::string& error : errors) {
      Check(!error.empty(), "a deployment-group refusal has a message", "");
    }
    std::set<std::string> seen;
    for (const App& app : merged) {
      Check(!app.id.empty() && app.id[0] == '/',
            "a merged app's id starts with '/'", app.id);
      for (const Task& task : app.tasks) {
        Check(task_ids.count(task.id) == 1 && seen.insert(task.id).second,
              "a merged task is one of the group's, once", task.id);
      }
    }
  }
}

}  // namespace
}  // namespace mlb::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlb;
  const fuzz::Input in =
      fuzz::Read(std::string_view(reinterpret_cast<const char*>(data), size));
  for (const App& app : in.apps) {
    fuzz::CheckPort(app, in);
    fuzz::CheckIntegers(app);
    (void)ParseAppGroups(app.labels);
    (void)PortGroupLabel(app.labels, in.port);
    (void)PortEnabled(app.labels, in.port, true);
    (void)MarathonWordProblem(app.id);
  }
  fuzz::CheckDeploymentGroups(in.apps);
  return 0;
}
