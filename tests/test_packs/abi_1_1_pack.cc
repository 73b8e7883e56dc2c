// A pack as built against the ABI 1.1 header (marathon-lb before SDK 2): its
// descriptor has the 1.1 layout, spelled out here as the old sdk.h declared
// it. A 2.x host must refuse it, saying which ABI it was built for and which
// the host needs, without reading past the version fields.
#include <cstdint>

#include "mlb/plugin/sdk.h"

namespace {

struct TemplateDefV1 {
  const char* name;
  const char* text;
  uint32_t flags;
  const char* placeholders;
  const char* description;
};

struct LabelDefV1 {
  const char* name;
  const char* description;
};

struct DescriptorV1_1 {
  uint32_t abi_major;
  uint32_t abi_minor;
  uint32_t struct_size;
  const char* family;
  const char* pack;
  const char* pack_version;
  const char* description;
  const TemplateDefV1* templates;
  uint32_t template_count;
  void* (*create_family)(void);
  const LabelDefV1* labels;
  uint32_t label_count;
};

const TemplateDefV1 kTemplates[] = {
    {"LEGACY_COMMENT", "  # legacy pack: {backend}\n", 1, "backend",
     "a comment in every backend"}};
const LabelDefV1 kLabels[] = {{"HAPROXY_{n}_LEGACY", "an old label"}};

void* CreateNothing() { return nullptr; }

}  // namespace

extern "C" MLB_PLUGIN_EXPORT const DescriptorV1_1 mlb_plugin;
extern "C" const DescriptorV1_1 mlb_plugin = {
    1,           1, sizeof(DescriptorV1_1), "legacy", "test.legacy", "1.0.0",
    "a pack built for plugin ABI 1.1", kTemplates, 1, &CreateNothing, kLabels,
    1};
