// A pack as built against the ABI 1.0 header: its descriptor ends after
// create_family (no label fields) and says minor 0. A 1.1 host must load it
// without reading past its struct_size. The 1.0 layout is spelled out here,
// as the old sdk.h declared it.
#include <cstdint>

#include "mlb/plugin/sdk.h"

namespace {

struct DescriptorV1_0 {
  uint32_t abi_major;
  uint32_t abi_minor;
  uint32_t struct_size;
  const char* family;
  const char* pack;
  const char* pack_version;
  const char* description;
  const mlb_template_def* templates;
  uint32_t template_count;
  void* (*create_family)(void);
};

const mlb_template_def kTemplates[] = {
    {"LEGACY_COMMENT", "  # legacy pack: {backend}\n", MLB_TEMPLATE_OVERRIDABLE,
     "backend", "a comment in every backend"}};

class Legacy : public mlb::sdk::Family {
 public:
  bool AddService(const mlb::sdk::ConfigView&,
                  const mlb::sdk::ServiceView& svc,
                  mlb::sdk::Emitter& emit) override {
    std::string text;
    if (!emit.Render("LEGACY_COMMENT", {{"backend", svc.backend}}, &text)) {
      return false;
    }
    emit.Append(mlb::sdk::Backend(svc.backend), mlb::sdk::kSectionBackend,
                mlb::sdk::kLineGlue, text);
    return true;
  }
};

void* CreateLegacy() { return static_cast<mlb::sdk::Family*>(new Legacy()); }

}  // namespace

extern "C" MLB_PLUGIN_EXPORT const DescriptorV1_0 mlb_plugin;
extern "C" const DescriptorV1_0 mlb_plugin = {
    1, 0, sizeof(DescriptorV1_0), "legacy", "test.abi_1_0", "1.0.0",
    "built for plugin ABI 1.0", kTemplates, 1, &CreateLegacy};
