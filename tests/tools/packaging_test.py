"""Packaging, checked on Meson's own view of the build.

`meson install` installs marathon-lb, the built-in template packs, the SDK
header, its pkg-config file, the reference templates and the systemd unit,
and none of the test tools (marathon-sim, echo-backend, mlb_bench), tests or
test packs. `-Dtests=false` configures marathon-lb and the packs only, without
gtest. Run by `meson test` (tests/meson.build sets MLB_SOURCE_DIR,
MLB_BUILD_ROOT and MLB_MESON)."""
import atexit
import functools
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap_unittest  # noqa: E402

SOURCE = os.environ.get('MLB_SOURCE_DIR', os.path.join(
    os.path.dirname(os.path.abspath(__file__)), '..', '..'))
BUILD = os.environ.get('MLB_BUILD_ROOT', os.path.join(SOURCE, 'build'))
MESON = os.environ.get('MLB_MESON', 'meson')
TEST_TOOLS = ('marathon-sim', 'echo-backend', 'mlb_bench')


def families():
    with open(os.path.join(SOURCE, 'meson.build')) as f:
        listed = re.search(r"builtin_families = \[([^\]]*)\]", f.read()).group(1)
    return re.findall(r"'(\w+)'", listed)


def introspect(build_dir, what):
    out = subprocess.run([MESON, 'introspect', what, build_dir],
                         stdout=subprocess.PIPE, check=True, text=True).stdout
    return json.loads(out)


@functools.lru_cache(maxsize=None)
def without_tests():
    """`meson setup -Dtests=false` in a temporary directory (once; tap_unittest
    runs each case alone, without class fixtures): its setup log, targets,
    dependencies and tests."""
    tmp = tempfile.TemporaryDirectory()
    atexit.register(tmp.cleanup)
    build = os.path.join(tmp.name, 'build')
    setup = subprocess.run([MESON, 'setup', build, SOURCE, '-Dtests=false'],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
    if setup.returncode != 0:
        raise AssertionError('meson setup -Dtests=false failed:\n' +
                             setup.stdout)
    return (setup.stdout, introspect(build, '--targets'),
            introspect(build, '--dependencies'), introspect(build, '--tests'))


class Installed(unittest.TestCase):
    """What `meson install` installs from the build tree the tests run in."""

    def setUp(self):
        self.installed = introspect(BUILD, '--installed')
        self.destinations = sorted(self.installed.values())

    def installs(self, suffix):
        return [d for d in self.destinations if d.endswith(suffix)]

    def test_marathon_lb_and_every_builtin_pack(self):
        self.assertEqual(len(self.installs('/bin/marathon-lb')), 1)
        for family in families():
            packs = self.installs('/marathon-lb/plugins/mlb_%s.so' % family)
            self.assertEqual(len(packs), 1, family)

    def test_the_sdk_header_and_its_pkg_config_file(self):
        self.assertEqual(len(self.installs('/include/mlb/plugin/sdk.h')), 1)
        self.assertEqual(len(self.installs('/pkgconfig/marathon-lb-sdk.pc')), 1)
        with open(os.path.join(BUILD, 'meson-private',
                               'marathon-lb-sdk.pc')) as f:
            pc = f.read()
        self.assertIn('Cflags: -I${includedir}', pc)
        self.assertIn('plugindir=${libdir}/marathon-lb/plugins', pc)
        self.assertNotIn('Libs:', pc)  # header only

    def test_the_reference_templates_and_the_systemd_unit(self):
        source = [s for s, d in self.installed.items()
                  if d.endswith('/share/marathon-lb/templates')]
        self.assertEqual([os.path.realpath(s) for s in source],
                         [os.path.realpath(os.path.join(SOURCE, 'templates'))])
        self.assertEqual(len(self.installs(
            '/lib/systemd/system/marathon-lb.service')), 1)
        self.assertEqual(len(self.installs(
            '/share/marathon-lb/systemd/marathon-lb.env')), 1)

    def test_no_test_tool_test_or_test_pack(self):
        for d in self.destinations:
            name = os.path.basename(d)
            self.assertNotIn(name, TEST_TOOLS)
            self.assertNotRegex(name, r'test|^bad_|_pack\.so$|fuzz')
        # The plugin directory holds the built-in packs only (the example
        # packs of plugins/examples/ are not installed either).
        packs = [os.path.basename(d) for d in self.destinations
                 if '/marathon-lb/plugins/' in d]
        self.assertEqual(sorted(packs),
                         sorted('mlb_%s.so' % f for f in families()))

    def test_the_unit_runs_the_installed_binary(self):
        unit = [s for s, d in self.installed.items()
                if d.endswith('/marathon-lb.service')][0]
        binary = self.installs('/bin/marathon-lb')[0]
        with open(unit) as f:
            text = f.read()
        self.assertIn('\nExecStart=%s sse --run-haproxy $MARATHON_LB_ARGS\n'
                      % binary, text)
        self.assertIn('\nEnvironmentFile=/etc/default/marathon-lb\n', text)
        self.assertIn('\nRestart=on-failure\n', text)
        with open(os.path.join(SOURCE, 'packaging', 'systemd',
                               'marathon-lb.env')) as f:
            env = f.read()
        self.assertRegex(env, r'\nMARATHON_LB_ARGS="[^"\n]*--admin-address ')


class WithoutTests(unittest.TestCase):
    """`meson setup -Dtests=false`: marathon-lb and the packs, no gtest."""

    def setUp(self):
        self.log, self.targets, self.dependencies, self.tests = without_tests()

    def test_no_gtest(self):
        names = [d['name'] for d in self.dependencies]
        self.assertNotIn('gtest', names)
        self.assertNotIn('gmock', names)
        self.assertNotRegex(self.log, r'(?i)dependency gtest')

    def test_marathon_lb_and_the_packs_only(self):
        built = {t['name'] for t in self.targets
                 if t['type'] in ('executable', 'shared module')}
        self.assertEqual({t for t in built if t.startswith('mlb_')},
                         {'mlb_' + f for f in families()})
        self.assertIn('marathon-lb', built)
        # The rest: the example packs of plugins/examples/.
        for name in built - {'marathon-lb'} - {'mlb_' + f for f in families()}:
            self.assertNotIn(name, TEST_TOOLS)
            self.assertNotRegex(name, r'test|^bad_|fuzz')
            self.assertTrue(any(os.path.join('plugins', 'examples') in f
                                for t in self.targets if t['name'] == name
                                for f in t['filename']), name)
        self.assertEqual(self.tests, [])


if __name__ == '__main__':
    sys.exit(tap_unittest.main())
