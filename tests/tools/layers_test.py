"""The core's architecture, checked on its sources.

core/ is built in layers (core/meson.build): a layer may include its own
headers and those of the layers below it, never one above. The SDK header
(core/include/mlb/plugin/sdk.h) includes nothing of the core. Run by
`meson test` (MLB_SOURCE_DIR set by tests/meson.build)."""
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
LAYERS = ['base', 'marathon', 'config', 'model', 'render', 'haproxy', 'app']
INCLUDE = re.compile(r'^\s*#\s*include\s+"core/([a-z_]+)/', re.M)


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


if __name__ == '__main__':
    sys.exit(tap_unittest.main())
