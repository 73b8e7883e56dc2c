// Test packs for --group-https-by-vhost (tests/render/routing_test.cc):
//   - grouped_test_pack, a 2.2 pack whose Finish succeeds;
//   - with -DGROUPED_ABI_2_1, a pack that says it was built for ABI 2.1 and
//     whose Finish fails the generation: the host must not call it (a 2.1
//     pack's vtable has no Finish).
#include "mlb/plugin/sdk.h"

namespace {

namespace sdk = mlb::sdk;

#ifdef GROUPED_ABI_2_1
#define GROUPED_TEMPLATE "GROUPED_ABI_2_1_UNUSED"
#else
#define GROUPED_TEMPLATE "GROUPED_TEST_UNUSED"
#endif
const mlb_template_def kTemplates[] = {
    {GROUPED_TEMPLATE, "", MLB_TEMPLATE_INLINE, "", "unused",
     MLB_SECTION_NONE, 0, nullptr, nullptr},
};

class GroupedTest : public sdk::Family {
 public:
  bool Finish(sdk::Emitter& emit) override {
#ifdef GROUPED_ABI_2_1
    return emit.Fail("Finish called on a pack built for ABI 2.1");
#else
    return true;
#endif
  }
};

}  // namespace

#ifdef GROUPED_ABI_2_1
#undef MLB_PLUGIN_ABI_MINOR
#define MLB_PLUGIN_ABI_MINOR 1u
MLB_DECLARE_PLUGIN("grouped_abi_2_1", "test.grouped", "1.0.0",
                   "a 2.1 pack whose Finish must not be called", kTemplates,
                   MLB_NO_LABELS, GroupedTest);
#else
MLB_DECLARE_PLUGIN("grouped_test", "test.grouped", "1.0.0",
                   "a 2.2 pack whose Finish succeeds", kTemplates,
                   MLB_NO_LABELS, GroupedTest);
#endif
