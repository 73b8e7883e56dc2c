// The reference of what an operator can set: every flag, label and template,
// with its default, generated from the tables marathon-lb runs with (the
// flag table, the label table, the template catalog of the loaded packs).
// --longhelp prints it as text; `marathon-lb reference` as the Markdown of
// docs/reference.md, which a test keeps in step with the tables.
#pragma once

#include <string>

#include "core/render/plugin_registry.h"

namespace mlb {

// --longhelp: flags, labels and templates with their placeholders and
// default text. `templates_dir` is the --templates-dir in use.
std::string LongHelp(const PluginRegistry& registry,
                     const std::string& templates_dir);

// docs/reference.md.
std::string ReferenceMarkdown(const PluginRegistry& registry);

}  // namespace mlb
