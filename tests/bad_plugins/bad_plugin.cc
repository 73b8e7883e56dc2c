// Template packs that marathon-lb must refuse, one per BAD_* define. Built
// only for tests; never installed.
#include <cstddef>

#include "mlb/plugin/sdk.h"

namespace {

class Empty : public mlb::sdk::Family {};

[[maybe_unused]] void* CreateEmpty() { return new Empty(); }

#if defined(BAD_UNCLOSED_TEMPLATE)
const mlb_template_def kTemplates[] = {
    {"BAD_TEMPLATE", "  use_backend {backend\n", 0, "backend", "broken"}};
#elif defined(BAD_UNKNOWN_PLACEHOLDER)
const mlb_template_def kTemplates[] = {
    {"BAD_TEMPLATE", "  use_backend {backnd}\n", 0, "backend", "typo"}};
#elif defined(BAD_DUPLICATE_TEMPLATE)
const mlb_template_def kTemplates[] = {
    {"BACKEND_HEAD", "\nbackend {backend}\n", 0, "backend", "taken name"}};
#elif defined(BAD_SECTION)
const mlb_template_def kTemplates[] = {
    {"BAD_TEMPLATE", "  # x\n", 0, "", "no such section", 42, 0, "", ""}};
#elif defined(BAD_INLINE_SECTION)
const mlb_template_def kTemplates[] = {{"BAD_TEMPLATE", " check\n",
                                        MLB_TEMPLATE_INLINE, "", "inline",
                                        MLB_SECTION_BACKEND, 0, "", ""}};
#else
const mlb_template_def kTemplates[] = {
    {"FINE_TEMPLATE", "  # fine\n", 0, "", "a valid template"}};
#endif

#if defined(BAD_ABI_MAJOR)
constexpr uint32_t kMajor = MLB_PLUGIN_ABI_MAJOR + 1;
#else
constexpr uint32_t kMajor = MLB_PLUGIN_ABI_MAJOR;
#endif
#if defined(BAD_ABI_MINOR)
constexpr uint32_t kMinor = MLB_PLUGIN_ABI_MINOR + 7;
#else
constexpr uint32_t kMinor = MLB_PLUGIN_ABI_MINOR;
#endif
#if defined(BAD_FAMILY_NAME)
constexpr char kFamily[] = "Bad Family";
#else
constexpr char kFamily[] = "test_family";
#endif
#if defined(BAD_LABEL_NAME)
const mlb_label_def kLabels[] = {{"RATE_LIMIT", MLB_LABEL_TEXT, "no prefix"}};
#elif defined(BAD_CORE_LABEL)
const mlb_label_def kLabels[] = {
    {"HAPROXY_{n}_VHOST", MLB_LABEL_HOST_LIST, "marathon-lb's"}};
#elif defined(BAD_LABEL_IS_TEMPLATE)
const mlb_label_def kLabels[] = {
    {"HAPROXY_{n}_BACKEND_HEAD", MLB_LABEL_TEXT, "a template"}};
#elif defined(BAD_LABEL_KIND)
const mlb_label_def kLabels[] = {{"HAPROXY_{n}_FINE_LABEL", 99, "no kind"}};
#else
const mlb_label_def kLabels[] = {
    {"HAPROXY_{n}_FINE_LABEL", MLB_LABEL_WORD, "a valid label"}};
#endif
#if defined(BAD_SHORT_DESCRIPTOR)
// Says ABI 2.0 but ends before create_family.
constexpr uint32_t kSize = offsetof(mlb_plugin_descriptor, create_family);
#else
constexpr uint32_t kSize = sizeof(mlb_plugin_descriptor);
#endif
#if defined(BAD_NO_FACTORY)
void* (*const kCreate)() = nullptr;
#else
void* (*const kCreate)() = &CreateEmpty;
#endif

}  // namespace

#if !defined(BAD_FOREIGN)
extern "C" MLB_PLUGIN_EXPORT const mlb_plugin_descriptor mlb_plugin;
extern "C" const mlb_plugin_descriptor mlb_plugin = {
    kMajor,  kMinor, kSize, kFamily, "test.bad", "0.1",
    "a pack the loader must refuse", kTemplates,
    sizeof(kTemplates) / sizeof(kTemplates[0]), kLabels,
    sizeof(kLabels) / sizeof(kLabels[0]), kCreate};
#else
extern "C" MLB_PLUGIN_EXPORT int some_other_library_function() { return 42; }
#endif
