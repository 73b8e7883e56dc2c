"""docs/plugin-sdk.md against the code it describes.

The guide shows its example pack in parts, each code block preceded by
`<!-- file: plugins/examples/maxconn/maxconn.cc -->`; joined by blank lines
they are that file, verbatim. The guide's g++ command (run exactly as shown,
from a directory holding maxconn.cc) and its meson project (the blocks marked
`<!-- file: meson.build -->` and `<!-- file: meson_options.txt -->`) build
the pack out of tree, and the built marathon-lb lists the result in use,
with its label and template, as the guide shows it.

Run by `meson test` (tests/meson.build sets MLB_SOURCE_DIR, MLB_BINARY,
MLB_PLUGIN_DIR, the build tree's plugins/, and MLB_MAXCONN_PACK, the
example as the project builds it)."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap_unittest  # noqa: E402

SOURCE = os.environ.get('MLB_SOURCE_DIR', os.path.join(
    os.path.dirname(os.path.abspath(__file__)), '..', '..'))
GUIDE = os.path.join(SOURCE, 'docs', 'plugin-sdk.md')
EXAMPLE = 'plugins/examples/maxconn/maxconn.cc'
# A fenced block and the marker line right before it.
MARKED_BLOCK = re.compile(r'^<!-- file: (\S+) -->\n```\w*\n(.*?)^```$',
                          re.M | re.S)
FENCED_BLOCK = re.compile(r'^```(\w*)\n(.*?)^```$', re.M | re.S)
# Where the guide's listing puts the pack.
GUIDE_PACK_DIR = '/opt/mlb-packs'


def read(path):
    with open(path) as f:
        return f.read()


def guide_files():
    """{file: [block, ...]} of the guide's marked blocks, in order."""
    files = {}
    for name, text in MARKED_BLOCK.findall(read(GUIDE)):
        files.setdefault(name, []).append(text)
    return files


def guide_command(program):
    """The one line of the guide's sh blocks that runs `program`."""
    lines = [line for lang, text in FENCED_BLOCK.findall(read(GUIDE))
             if lang == 'sh' for line in text.splitlines()
             if line.startswith(program + ' ')]
    if len(lines) != 1:
        raise AssertionError('the guide has %d %s commands: %r'
                             % (len(lines), program, lines))
    return lines[0]


def pack_listing(pack_dir):
    """What `marathon-lb plugins` says of the maxconn pack in `pack_dir`."""
    return ('family maxconn: com.example.maxconn 1.0.0, in use\n'
            '  about:     example: per-server connection limit from '
            'HAPROXY_{n}_MAXCONN\n'
            '  file:      %s/maxconn.so\n'
            '  found in:  --plugin-dir %s\n'
            '  ABI:       2.3\n'
            '  templates: BACKEND_MAXCONN\n'
            '  labels:    HAPROXY_{n}_MAXCONN\n' % (pack_dir, pack_dir))


class SdkGuideTest(unittest.TestCase):
    def setUp(self):
        self.binary = os.environ.get('MLB_BINARY')
        self.plugin_dir = os.environ.get('MLB_PLUGIN_DIR')
        self.tmp = tempfile.mkdtemp(prefix='sdk_guide_test.')
        self.addCleanup(shutil.rmtree, self.tmp)

    def need_build(self):
        if not self.binary or not self.plugin_dir:
            self.skipTest('MLB_BINARY and MLB_PLUGIN_DIR not set '
                          '(run under meson test)')

    def run_in(self, cwd, command, shell=False):
        env = dict(os.environ, MLB=os.path.abspath(SOURCE))
        run = subprocess.run(command, cwd=cwd, env=env, shell=shell,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             universal_newlines=True, timeout=120)
        self.assertEqual(run.returncode, 0, '%s:\n%s' % (command, run.stdout))
        return run.stdout

    def pack_dir_with_source(self, name):
        """A new directory of the temp dir, holding a copy of maxconn.cc."""
        directory = os.path.join(self.tmp, name)
        os.mkdir(directory)
        shutil.copy(os.path.join(SOURCE, EXAMPLE), directory)
        return directory

    def marathon_lb(self, *args):
        # In the temp dir: no templates/ directory to pick up.
        run = subprocess.run([self.binary] + list(args), cwd=self.tmp,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             universal_newlines=True, timeout=60)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        return run.stdout

    def assert_listed_in_use(self, pack_dir):
        listing = self.marathon_lb('plugins', '--plugin-dir', self.plugin_dir,
                                   '--plugin-dir', pack_dir)
        self.assertIn('\n' + pack_listing(pack_dir), listing)
        self.assertNotIn('Refused files', listing)

    def test_the_example_blocks_are_the_example_file(self):
        blocks = guide_files().get(EXAMPLE, [])
        self.assertGreater(len(blocks), 1)
        self.assertEqual('\n'.join(blocks), read(os.path.join(SOURCE, EXAMPLE)))

    def test_the_g_plus_plus_command_builds_a_pack_marathon_lb_uses(self):
        self.need_build()
        pack_dir = self.pack_dir_with_source('g++')
        self.run_in(pack_dir, guide_command('g++'), shell=True)
        self.assertEqual(sorted(os.listdir(pack_dir)),
                         ['maxconn.cc', 'maxconn.so'])
        self.assert_listed_in_use(pack_dir)

    def test_the_meson_project_builds_a_pack_marathon_lb_uses(self):
        self.need_build()
        meson = shutil.which('meson')
        ninja = shutil.which('ninja')
        if not meson or not ninja:
            self.skipTest('needs meson and ninja')
        project = self.pack_dir_with_source('project')
        files = guide_files()
        for name in ('meson.build', 'meson_options.txt'):
            self.assertEqual(len(files.get(name, [])), 1, name)
            with open(os.path.join(project, name), 'w') as f:
                f.write(files[name][0])
        sdk = os.path.join(os.path.abspath(SOURCE), 'core', 'include')
        self.run_in(project, [meson, 'setup', 'build', '-Dmlb_sdk=' + sdk])
        self.run_in(project, [ninja, '-C', 'build'])
        packs = os.path.join(self.tmp, 'packs')
        os.mkdir(packs)
        shutil.copy(os.path.join(project, 'build', 'maxconn.so'), packs)
        self.assert_listed_in_use(packs)

    def test_the_guide_shows_the_listing_and_longhelp_line(self):
        self.need_build()
        guide = read(GUIDE)
        self.assertIn('\n' + pack_listing(GUIDE_PACK_DIR), guide)
        pack = os.environ.get('MLB_MAXCONN_PACK')
        if not pack:
            self.skipTest('MLB_MAXCONN_PACK not set (run under meson test)')
        longhelp = self.marathon_lb('--longhelp', '--plugin-dir',
                                    self.plugin_dir, '--plugin-dir',
                                    os.path.dirname(pack))
        line = ('HAPROXY_{n}_MAXCONN  [integer, family maxconn, pack '
                'com.example.maxconn]')
        self.assertIn('\n  ' + line + '\n', longhelp)
        self.assertIn('`' + line + '`', guide)


if __name__ == '__main__':
    sys.exit(tap_unittest.main())
