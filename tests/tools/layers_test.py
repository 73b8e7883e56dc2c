"""The core's architecture, checked on its sources.

core/ is built in layers (core/meson.build): a layer may include its own
headers and those of the layers below it, never one above. The SDK header
(core/include/mlb/plugin/sdk.h) includes nothing of the core. The core knows
the template families only through the registry: no template or label of a
built-in pack is named anywhere in core/ (code, comments or the SDK header).
Run by `meson test` (MLB_SOURCE_DIR set by tests/meson.build)."""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap_unittest  # noqa: E402

SOURCE = os.environ.get('MLB_SOURCE_DIR', os.path.join(
    os.path.dirname(os.path.abspath(__file__)), '..', '..'))
CORE = os.path.join(SOURCE, 'core')
# Bottom to top, as core/meson.build builds them.
LAYERS = ['base', 'marathon', 'config', 'model', 'render', 'haproxy', 'zdd',
          'app']
INCLUDE = re.compile(r'^\s*#\s*include\s+"core/([a-z_]+)/', re.M)
# A label a pack declares: {"HAPROXY_{n}_X", MLB_LABEL_...
DECLARED_LABEL = re.compile(r'"(HAPROXY_[A-Z0-9_{}n]+)",\s*MLB_LABEL_')


def builtin_templates():
    """The template names of the built-in packs (their files)."""
    root = os.path.join(SOURCE, 'templates')
    return sorted(name for family in os.listdir(root)
                  for name in os.listdir(os.path.join(root, family)))


def builtin_labels():
    """The labels the built-in packs declare."""
    root = os.path.join(SOURCE, 'plugins')
    labels = []
    for family in sorted(os.listdir(root)):
        directory = os.path.join(root, family)
        if family == 'examples' or not os.path.isdir(directory):
            continue
        for name in os.listdir(directory):
            if name.endswith('.cc'):
                with open(os.path.join(directory, name)) as f:
                    labels += DECLARED_LABEL.findall(f.read())
    return sorted(labels)


def core_sources():
    for root, _, names in os.walk(CORE):
        for name in names:
            if name.endswith(('.h', '.cc')):
                yield os.path.join(root, name)


class LayersTest(unittest.TestCase):
    def test_the_layers_are_the_directories_of_core(self):
        dirs = sorted(d for d in os.listdir(CORE)
                      if os.path.isdir(os.path.join(CORE, d)) and d != 'include')
        self.assertEqual(dirs, sorted(LAYERS))

    def test_every_layer_includes_only_itself_and_the_layers_below(self):
        for layer in LAYERS:
            rank = LAYERS.index(layer)
            directory = os.path.join(CORE, layer)
            for name in sorted(os.listdir(directory)):
                if not name.endswith(('.h', '.cc')):
                    continue
                with open(os.path.join(directory, name)) as f:
                    for used in INCLUDE.findall(f.read()):
                        self.assertIn(used, LAYERS, name)
                        self.assertLessEqual(
                            LAYERS.index(used), rank,
                            'core/%s/%s includes core/%s/, a layer above it'
                            % (layer, name, used))

    def test_main_includes_only_the_app_layer(self):
        with open(os.path.join(CORE, 'main.cc')) as f:
            self.assertEqual(set(INCLUDE.findall(f.read())), {'app', 'base'})

    def test_the_sdk_header_includes_nothing_of_the_core(self):
        with open(os.path.join(CORE, 'include', 'mlb', 'plugin', 'sdk.h')) as f:
            text = f.read()
        self.assertEqual(INCLUDE.findall(text), [])
        self.assertNotIn('#include "', text)


class FamiliesTest(unittest.TestCase):
    def test_the_builtin_packs_declare_templates_and_labels(self):
        # The check below would pass on nothing: it must see the packs'.
        self.assertIn('BACKEND_STICKY_OPTIONS', builtin_templates())
        self.assertIn('HAPROXY_{n}_STICKY', builtin_labels())
        self.assertGreaterEqual(len(builtin_templates()), 20)
        self.assertGreaterEqual(len(builtin_labels()), 3)

    def test_core_names_no_template_or_label_of_a_builtin_pack(self):
        # A template by name, as a label override (HAPROXY_0_NAME) or as an
        # operator's file or variable (HAPROXY_NAME).
        patterns = [(name, re.compile(
            r'(\b|HAPROXY_(\{n\}_|[0-9]+_)?)%s\b' % re.escape(name)))
                    for name in builtin_templates()]
        for label in builtin_labels():
            suffix = label[len('HAPROXY_{n}_'):]
            patterns.append((label, re.compile(
                r'HAPROXY_(\{n\}|[0-9]+)_%s\b' % re.escape(suffix))))
        # The HTTP method HEAD is not the template HEAD.
        http_method = re.compile(r'method\s*[!=]=\s*"HEAD"')
        for path in core_sources():
            with open(path) as f:
                text = http_method.sub('method', f.read())
            for name, pattern in patterns:
                found = pattern.search(text)
                self.assertIsNone(
                    found, '%s names %s (line %d)' % (
                        os.path.relpath(path, SOURCE), name,
                        text.count('\n', 0, found.start()) + 1 if found else 0))


if __name__ == '__main__':
    sys.exit(tap_unittest.main())
