// A pack for the review tests (tests/render/hostile_pack_test.cc,
// tests/model/pack_labels_test.cc): family "review", pack "test.review".
//
// It declares a label of every kind a pack may declare, and templates in
// every section, inline and not, with extreme orders and an empty_with
// pair whose second template cannot be overridden. What it does is scripted
// by the app: the label HAPROXY_{n}_REVIEW_DO holds space-separated actions
// (below), some of them mistakes a careless pack makes; the environment
// variable MLB_REVIEW_BEGIN holds the actions of Begin (among them "map",
// which declares review.map, for the map actions of AddService). Built twice: as
// review_pack.so and, with REVIEW_ALT, as review_alt_pack.so. Without them the
// family adds nothing but REVIEW_FIRST, whose default text is empty.
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "mlb/plugin/sdk.h"

namespace {

namespace sdk = mlb::sdk;

enum : sdk::TemplateId {
  REVIEW_QUOTED,       // frontend: a WORD label inside double quotes
  REVIEW_INLINE,       // inline: only for Render
  REVIEW_FIRST,        // backend, order INT32_MIN, overridable, empty
  REVIEW_LAST,         // backend, order INT32_MAX
  REVIEW_UL_HEAD,      // userlist head, empty_with REVIEW_UL_BODY
  REVIEW_UL_BODY,      // userlist body, overridable
  REVIEW_UL_FIXED,     // userlist body, not overridable, not in empty_with
  REVIEW_FE_LINE,      // the service frontend, order 50
  REVIEW_HTTP_LINE,    // marathon_http_in, whatever bind_http_https says
  REVIEW_GLOBAL,       // head section
  REVIEW_TEMPLATE_COUNT
};

const mlb_template_def kTemplates[] = {
    {"REVIEW_QUOTED", "  http-request set-header X-Review \"{word}\"\n",
     MLB_TEMPLATE_OVERRIDABLE, "backend word",
     "a WORD label inside double quotes", MLB_SECTION_FRONTEND, 50, "", ""},
    {"REVIEW_INLINE", " review-inline {backend}",
     MLB_TEMPLATE_INLINE | MLB_TEMPLATE_OVERRIDABLE,
     "backend", "an inline template", MLB_SECTION_NONE, 0, "", ""},
    {"REVIEW_FIRST", "", MLB_TEMPLATE_OVERRIDABLE, "backend bogus",
     "before everything in the backend", MLB_SECTION_BACKEND, INT32_MIN, "",
     ""},
    {"REVIEW_LAST", "  # review last {backend}\n", MLB_TEMPLATE_OVERRIDABLE,
     "backend", "after everything in the backend", MLB_SECTION_BACKEND,
     INT32_MAX, "", ""},
    {"REVIEW_UL_HEAD", "\nuserlist user_{backend}\n", MLB_TEMPLATE_OVERRIDABLE,
     "backend bogus", "head of the service's userlist", MLB_SECTION_USERLIST,
     0, "", "REVIEW_UL_BODY"},
    {"REVIEW_UL_BODY", "  group body\n", MLB_TEMPLATE_OVERRIDABLE, "",
     "body of the service's userlist", MLB_SECTION_USERLIST, 5, "", ""},
    {"REVIEW_UL_FIXED", "  group review\n", 0, "",
     "body of the service's userlist", MLB_SECTION_USERLIST, 10, "", ""},
    {"REVIEW_FE_LINE", "  description review frontend line {backend}\n", 0, "backend",
     "a line in the service's frontend", MLB_SECTION_FRONTEND, 50, "", ""},
    {"REVIEW_HTTP_LINE", "  description review http line {backend}\n", 0, "backend",
     "a line in marathon_http_in", MLB_SECTION_HTTP_FRONTEND, 10, "", ""},
    {"REVIEW_GLOBAL", "  # review global\n", MLB_TEMPLATE_VERBATIM, "",
     "a line in the head", MLB_SECTION_HEAD, 1000, "", ""},
};
static_assert(sizeof(kTemplates) / sizeof(kTemplates[0]) ==
              REVIEW_TEMPLATE_COUNT);

const mlb_label_def kLabels[] = {
    {"HAPROXY_{n}_REVIEW_BOOL", MLB_LABEL_BOOL, "bool"},
    {"HAPROXY_{n}_REVIEW_INTEGER", MLB_LABEL_INTEGER, "integer"},
    {"HAPROXY_{n}_REVIEW_PORT", MLB_LABEL_PORT, "port"},
    {"HAPROXY_{n}_REVIEW_WORD", MLB_LABEL_WORD, "word"},
    {"HAPROXY_{n}_REVIEW_HOSTS", MLB_LABEL_HOST_LIST, "host list"},
    {"HAPROXY_{n}_REVIEW_CERT", MLB_LABEL_CERTIFICATE, "certificate"},
    {"HAPROXY_{n}_REVIEW_TEXT", MLB_LABEL_TEXT, "text"},
    {"HAPROXY_{n}_REVIEW_WORDS", MLB_LABEL_WORDS, "words"},
    {"HAPROXY_{n}_REVIEW_NETWORKS", MLB_LABEL_NETWORK_LIST, "network list"},
    {"HAPROXY_REVIEW_APP_WORD", MLB_LABEL_WORD, "an app-level word"},
    {"HAPROXY_{n}_REVIEW_DO", MLB_LABEL_TEXT, "what the family does"},
#if defined(REVIEW_ALT)
    {"HAPROXY_{n}_REVIEW_ALT_ONLY", MLB_LABEL_WORD, "only the alt pack's"},
#endif
};

std::vector<std::string> Actions(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::vector<std::string> out;
  std::string word;
  while (in >> word) {
    out.push_back(word);
  }
  return out;
}

bool Has(const std::vector<std::string>& actions, const char* action) {
  for (const std::string& a : actions) {
    if (a == action) {
      return true;
    }
  }
  return false;
}

class Review : public sdk::Family {
 public:
  bool Begin(sdk::Emitter& emit) override {
    const char* env = std::getenv("MLB_REVIEW_BEGIN");
    const std::vector<std::string> actions = Actions(env ? env : "");
    for (const std::string& a : actions) {
      if (a == "global" && !emit.Add(REVIEW_GLOBAL, {})) {
        return false;
      }
      if (a == "per-service" && !emit.Add(REVIEW_FE_LINE, {{"backend", "x"}})) {
        return false;
      }
      if (a == "server" &&
          !emit.AddServer(sdk::Server{"h", "127.0.0.1", 1, "s", 1},
                          REVIEW_LAST, {{"backend", "x"}})) {
        return false;
      }
      if (a == "map" && !emit.DeclareMap("review.map")) {
        return false;
      }
      if (a == "bad-map" && !emit.DeclareMap("sub/review.map")) {
        return false;
      }
      if (a == "fail-empty") {
        return emit.Fail("");
      }
      if (a == "false") {
        return false;
      }
      if (a == "throw") {
        throw std::runtime_error("review Begin threw");
      }
    }
    return true;
  }

  bool AddService(const sdk::Service& svc, sdk::Emitter& emit) override {
    const std::vector<std::string> actions =
        Actions(svc.Text("HAPROXY_{n}_REVIEW_DO"));
    const sdk::Vars backend = {{"backend", svc.backend}};
    // Always: an empty default that a label can fill.
    if (!emit.Add(REVIEW_FIRST, backend)) {
      return false;
    }
    for (const std::string& a : actions) {
      bool ok = true;
      if (a == "quoted") {
        ok = emit.Add(REVIEW_QUOTED, {{"backend", svc.backend},
                                      {"word", svc.Text("HAPROXY_{n}_REVIEW_WORD")}});
      } else if (a == "inline") {
        ok = emit.Add(REVIEW_INLINE, backend);
      } else if (a == "render-inline") {
        std::string out;
        ok = emit.Render(REVIEW_INLINE, backend, &out) &&
             emit.Add(REVIEW_FE_LINE, {{"backend", out}});
      } else if (a == "bad-id") {
        ok = emit.Add(REVIEW_TEMPLATE_COUNT + 1000, {});
      } else if (a == "last") {
        ok = emit.Add(REVIEW_LAST, backend);
      } else if (a == "ul") {
        ok = emit.Add(REVIEW_UL_HEAD, backend) && emit.Add(REVIEW_UL_BODY, {});
      } else if (a == "ul-fixed") {
        ok = emit.Add(REVIEW_UL_FIXED, {});
      } else if (a == "ul-ignoring-failure") {
        // A careless pack: the head's failure is not passed on.
        emit.Add(REVIEW_UL_HEAD, backend);
        ok = emit.Add(REVIEW_UL_BODY, {});
      } else if (a == "fe-line") {
        ok = emit.Add(REVIEW_FE_LINE, backend);
      } else if (a == "http-line") {
        ok = emit.Add(REVIEW_HTTP_LINE, backend);
      } else if (a == "global") {
        ok = emit.Add(REVIEW_GLOBAL, {});
      } else if (a == "map-entry") {  // key: the WORD label
        ok = emit.AddMapEntry("review.map",
                              svc.Text("HAPROXY_{n}_REVIEW_WORD"), svc.backend);
      } else if (a == "map-spaced-key") {
        ok = emit.AddMapEntry("review.map", "a b", svc.backend);
      } else if (a == "map-comment-value") {
        ok = emit.AddMapEntry("review.map", "k", "#" + svc.backend);
      } else if (a == "map-other") {
        ok = emit.AddMapEntry("other.map", "k", svc.backend);
      } else if (a == "once") {
        ok = emit.AddOnce("line", REVIEW_HTTP_LINE, backend, -1);
      } else if (a == "once-backend") {
        ok = emit.AddOnce("line", REVIEW_LAST, backend, 0);
      } else if (a == "fail-empty") {
        return emit.Fail("");
      } else if (a == "false") {
        return false;
      } else if (a == "throw") {
        throw std::runtime_error("review AddService threw");
      } else if (a == "fail-but-true") {
        emit.Fail("review failed but returned true");
      }
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  bool AddServer(const sdk::Service& svc, const sdk::Server& server,
                 const sdk::Vars&, sdk::Emitter& emit) override {
    const std::vector<std::string> actions =
        Actions(svc.Text("HAPROXY_{n}_REVIEW_DO"));
    if (Has(actions, "server-frontend")) {
      return emit.AddServer(server, REVIEW_FE_LINE, {{"backend", svc.backend}});
    }
    if (Has(actions, "server-inline")) {
      return emit.AddServer(server, REVIEW_INLINE, {{"backend", svc.backend}});
    }
    return true;
  }
};

}  // namespace

#if defined(REVIEW_ALT)
// The same family under another pack name, with one more label: built as
// review_alt_pack.so, for the tests of a pack that is not chosen.
#define REVIEW_PACK_NAME "test.review_alt"
#else
#define REVIEW_PACK_NAME "test.review"
#endif

MLB_DECLARE_PLUGIN("review", REVIEW_PACK_NAME, "1.0.0",
                   "scripted by its labels, for the review tests", kTemplates,
                   MLB_LABELS(kLabels), Review);
