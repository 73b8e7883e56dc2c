// Template packs that marathon-lb must refuse, one per BAD_* define. Built
// only for tests; never installed.
#include <cstddef>

#include "mlb/plugin/sdk.h"

namespace {

class Empty : public mlb::sdk::Family {};

[[maybe_unused]] void* CreateEmpty() { return new Empty(); }

// Templates have a section (MLB_SECTION_BACKEND) unless the case is about
// sections, so that each pack is refused for its own reason only.
#if defined(BAD_UNCLOSED_TEMPLATE)
const mlb_template_def kTemplates[] = {
    {"BAD_TEMPLATE", "  use_backend {backend\n", 0, "backend", "broken",
     MLB_SECTION_BACKEND, 0, "", ""}};
#elif defined(BAD_UNKNOWN_PLACEHOLDER)
const mlb_template_def kTemplates[] = {
    {"BAD_TEMPLATE", "  use_backend {backnd}\n", 0, "backend", "typo",
     MLB_SECTION_BACKEND, 0, "", ""}};
#elif defined(BAD_DUPLICATE_TEMPLATE)
const mlb_template_def kTemplates[] = {
    {"BACKEND_HEAD", "\nbackend {backend}\n", 0, "backend", "taken name",
     MLB_SECTION_BACKEND, 0, "", ""}};
#elif defined(BAD_SECTION)
const mlb_template_def kTemplates[] = {
    {"BAD_TEMPLATE", "  # x\n", 0, "", "no such section", 42, 0, "", ""}};
#elif defined(BAD_INLINE_SECTION)
const mlb_template_def kTemplates[] = {{"BAD_TEMPLATE", " check\n",
                                        MLB_TEMPLATE_INLINE, "", "inline",
                                        MLB_SECTION_BACKEND, 0, "", ""}};
#elif defined(BAD_TEMPLATE_IS_LABEL)
// Loaded after the sticky pack, whose label HAPROXY_{n}_STICKY would read
// as an override of this template.
const mlb_template_def kTemplates[] = {
    {"STICKY", "  # sticky\n", MLB_TEMPLATE_OVERRIDABLE, "", "a label's name",
     MLB_SECTION_BACKEND, 95, "", ""}};
#elif defined(BAD_TEMPLATE_IS_CORE_LABEL)
// HAPROXY_{n}_PORT is the core's port label: an override of this template
// could never be written.
const mlb_template_def kTemplates[] = {
    {"PORT", "  # port\n", MLB_TEMPLATE_OVERRIDABLE, "", "a core label's name",
     MLB_SECTION_BACKEND, 95, "", ""}};
#elif defined(BAD_SECTIONLESS)
// Neither inline nor in a section: Emitter::Add always refuses it, and
// rendered into another template's placeholder its line ends are refused.
const mlb_template_def kTemplates[] = {
    {"BAD_TEMPLATE", "  # x\n", 0, "", "no section", MLB_SECTION_NONE, 0, "",
     ""}};
#elif defined(BAD_WORD_UNKNOWN)
// A typo in `words`: the health-check path would go unchecked.
const mlb_template_def kTemplates[] = {
    {"BAD_TEMPLATE", "  option httpchk GET {healthCheckPath}\n", 0,
     "healthCheckPath", "word typo", MLB_SECTION_BACKEND, 50,
     "healthCheckPth=the health check path", ""}};
#elif defined(BAD_EMPTY_WITH_UNKNOWN)
// empty_with names no template: an app could empty the head with a label
// of that name, which nothing reads.
const mlb_template_def kTemplates[] = {
    {"BAD_HEAD", "\nbackend bad_{backend}\n", MLB_TEMPLATE_OVERRIDABLE,
     "backend", "head", MLB_SECTION_BACKEND, 0, "", "NO_SUCH_TEMPLATE"}};
#elif defined(BAD_EMPTY_WITH_FIXED)
// empty_with names a template no label can override: the head could be
// emptied while the body still renders (and joins the previous section).
const mlb_template_def kTemplates[] = {
    {"BAD_HEAD", "\nuserlist {backend}\n", MLB_TEMPLATE_OVERRIDABLE,
     "backend", "head", MLB_SECTION_USERLIST, 0, "", "BAD_BODY"},
    {"BAD_BODY", "  group x\n", 0, "", "body", MLB_SECTION_USERLIST, 10, "",
     ""}};
#else
const mlb_template_def kTemplates[] = {
    {"FINE_TEMPLATE", "  # fine\n", 0, "", "a valid template",
     MLB_SECTION_BACKEND, 95, "", ""}};
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
#elif defined(BAD_TAKEN_LABEL)
const mlb_label_def kLabels[] = {
    {"HAPROXY_{n}_STICKY", MLB_LABEL_BOOL, "the sticky pack's"}};
#elif defined(BAD_APP_LABEL_IS_TEMPLATE)
// An app-level label whose name is port 0's override of BACKEND_HEAD.
const mlb_label_def kLabels[] = {
    {"HAPROXY_0_BACKEND_HEAD", MLB_LABEL_TEXT, "a template override"}};
#elif defined(BAD_APP_LABEL_IS_CORE)
// An app-level label whose name is port 1's HAPROXY_{n}_VHOST.
const mlb_label_def kLabels[] = {
    {"HAPROXY_1_VHOST", MLB_LABEL_TEXT, "a core label of port 1"}};
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
