// Example template pack: family "maxconn", the running example of
// docs/plugin-sdk.md, which shows this file whole (tests/tools/
// sdk_guide_test.py keeps the two equal). Built out of tree with nothing
// but mlb/plugin/sdk.h.
//
// An app opts in per service port with the label
//   HAPROXY_{n}_MAXCONN=N   (N >= 1)
// and each server of that port's backend then takes at most N connections
// at once; HAProxy queues the others in the backend:
//   default-server maxconn N
// (A bare `maxconn` line would not do: HAProxy ignores it in a backend.)
#include <string>

#include "mlb/plugin/sdk.h"

namespace {

namespace sdk = mlb::sdk;

// Template ids: indexes into kTemplates.
enum : sdk::TemplateId { BACKEND_MAXCONN };

const mlb_template_def kTemplates[] = {
    {"BACKEND_MAXCONN",                       // file HAPROXY_BACKEND_MAXCONN
     "  default-server maxconn {maxconn}\n",  // default text
     MLB_TEMPLATE_OVERRIDABLE,                // flags
     "backend maxconn",                       // placeholders it is given
     "Connection limit of each server.",      // for --longhelp
     MLB_SECTION_BACKEND,                     // section
     35,  // order: after BACKEND_HTTP_OPTIONS (30), before sticky (40)
     "",  // words: no Marathon value that must stay one word
     ""},  // empty_with: a label may empty it on its own
};

const mlb_label_def kLabels[] = {
    {"HAPROXY_{n}_MAXCONN", MLB_LABEL_INTEGER,
     "Connections each server of port n's backend takes at once; HAProxy "
     "queues the others. At least 1."},
};

class Maxconn : public sdk::Family {
 public:
  bool AddService(const sdk::Service& svc, sdk::Emitter& emit) override {
    const sdk::LabelValue* maxconn = svc.Label("HAPROXY_{n}_MAXCONN");
    if (maxconn == nullptr) {
      return true;  // the app does not set it: nothing to add
    }
    if (maxconn->number < 1) {
      return emit.Fail("label " + maxconn->label + ": '" + maxconn->text +
                       "' is below 1 (connections per server)");
    }
    return emit.Add(BACKEND_MAXCONN, {{"backend", svc.backend},
                                      {"maxconn", maxconn->number}});
  }
};

}  // namespace

MLB_DECLARE_PLUGIN("maxconn", "com.example.maxconn", "1.0.0",
                   "example: per-server connection limit from "
                   "HAPROXY_{n}_MAXCONN",
                   kTemplates, MLB_LABELS(kLabels), Maxconn);
