#!/usr/bin/env python3
"""tools/container/run (the image's entry point) and tools/container/Dockerfile.

The run script runs for real, with MLB_BINARY pointing at a stub that records
its argv and environment, and once in front of the built marathon-lb. Meson
sets MLB_SOURCE_DIR and MLB_BUILT_BINARY (tests/meson.build)."""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap_unittest  # noqa: E402

SOURCE = os.environ.get('MLB_SOURCE_DIR') or os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))
RUN = os.path.join(SOURCE, 'tools', 'container', 'run')
DOCKERFILE = os.path.join(SOURCE, 'tools', 'container', 'Dockerfile')

RECORDER = '''#!%s
import json, os, sys
with open(os.environ['STUB_OUT'], 'w') as f:
    json.dump({'argv': sys.argv[1:], 'env': dict(os.environ)}, f)
if sys.argv[1:] == ['--help']:
    print('STUB HELP TEXT')
sys.exit(int(os.environ.get('RC_VARIABLE', '0')))
'''


class RunScript(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix='mlb-run-test-')
        self.stub = self.write_stub('marathon-lb', 'stub.json', 'STUB_RC')
        self.sysctl = self.write_stub('sysctl', 'sysctl.json', 'SYSCTL_RC')
        self.templates = os.path.join(self.dir, 'templates')
        self.cfgdir = os.path.join(self.dir, 'cfg')

    def tearDown(self):
        shutil.rmtree(self.dir)

    def write_stub(self, name, record, rc_variable):
        """A program that records into RECORD and exits with $RC_VARIABLE."""
        path = os.path.join(self.dir, name)
        text = RECORDER.replace("os.environ['STUB_OUT']",
                                repr(os.path.join(self.dir, record)))
        text = text.replace('RC_VARIABLE', rc_variable)
        with open(path, 'w') as f:
            f.write(text % sys.executable)
        os.chmod(path, 0o755)
        return path

    def run_script(self, *args, env=None, binary=None, shell='sh'):
        """Runs `run ARGS` in a clean environment (plus env)."""
        full = {'PATH': os.environ['PATH'], 'HOME': self.dir,
                'MLB_BINARY': binary or self.stub,
                'MLB_TEMPLATES_DIR': self.templates,
                'MLB_HAPROXY_CONFIG_DIR': self.cfgdir,
                'MLB_SYSCTL': self.sysctl}
        full.update(env or {})
        return subprocess.run([shell, RUN] + list(args), env=full, cwd=self.dir,
                              capture_output=True, text=True, timeout=60)

    def recorded(self, record='stub.json'):
        path = os.path.join(self.dir, record)
        if not os.path.exists(path):
            return None
        with open(path) as f:
            return json.load(f)

    def fixed(self, mode, interval=None):
        """The flags run puts between the mode and the caller's arguments."""
        flags = [mode]
        if interval is not None:
            flags += ['--poll-interval', interval]
        return flags + ['--syslog-socket', '/dev/null',
                        '--haproxy-config', self.cfgdir + '/haproxy.cfg',
                        '--templates-dir', self.templates, '--run-haproxy',
                        '--admin-address', '0.0.0.0:9092']

    # --- the three modes -----------------------------------------------------

    def test_poll_exact_argv_default_interval(self):
        r = self.run_script('poll', '--marathon', 'http://m:8080', '--group',
                            'external')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.recorded()['argv'], self.fixed('poll', '60') + [
            '--marathon', 'http://m:8080', '--group', 'external'])
        self.assertTrue(os.path.isdir(self.cfgdir))

    def test_poll_interval_from_environment(self):
        r = self.run_script('poll', '--group', 'external',
                            env={'POLL_INTERVAL': '7'})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.recorded()['argv'],
                         self.fixed('poll', '7') + ['--group', 'external'])

    def test_poll_interval_flag_wins_over_environment(self):
        r = self.run_script('poll', '--poll-interval', '3', '--group', 'g',
                            env={'POLL_INTERVAL': '7'})
        self.assertEqual(r.returncode, 0, r.stderr)
        argv = self.recorded()['argv']
        self.assertEqual(argv, self.fixed('poll') + ['--poll-interval', '3',
                                                     '--group', 'g'])

    def test_sse_exact_argv(self):
        r = self.run_script('sse', '--marathon', 'http://a:8080',
                            'http://b:8080', '--health-check', '--group', 'ext',
                            env={'POLL_INTERVAL': '7'})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.recorded()['argv'], self.fixed('sse') + [
            '--marathon', 'http://a:8080', 'http://b:8080', '--health-check',
            '--group', 'ext'])

    def test_event_exact_argv_keeps_callback_url(self):
        r = self.run_script('event', 'http://10.0.0.5:8090/events',
                            '--marathon', 'http://m:8080', '--group', 'ext')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.recorded()['argv'], self.fixed('event') + [
            'http://10.0.0.5:8090/events', '--marathon', 'http://m:8080',
            '--group', 'ext'])

    def test_runs_under_dash_and_bash(self):
        for shell in ('dash', 'bash'):
            if shutil.which(shell) is None:
                continue
            r = self.run_script('sse', '--group', 'x', shell=shell)
            self.assertEqual(r.returncode, 0, shell + ': ' + r.stderr)
            self.assertEqual(self.recorded()['argv'],
                             self.fixed('sse') + ['--group', 'x'], shell)

    def test_binary_exit_status_is_the_scripts(self):
        r = self.run_script('sse', '--group', 'x', env={'STUB_RC': '3'})
        self.assertEqual(r.returncode, 3)

    # --- errors and help -----------------------------------------------------

    def test_unknown_mode_is_a_usage_error(self):
        r = self.run_script('listen', '--group', 'x')
        self.assertEqual(r.returncode, 2)
        self.assertIn("run: unknown mode 'listen'", r.stderr)
        self.assertIn('usage: run poll|sse|event [marathon-lb arguments]',
                      r.stderr)
        self.assertIsNone(self.recorded())

    def test_no_mode_is_a_usage_error(self):
        r = self.run_script()
        self.assertEqual(r.returncode, 2)
        self.assertIn('usage: run poll|sse|event', r.stderr)
        self.assertIsNone(self.recorded())

    def test_help_prints_usage_and_marathon_lb_flags(self):
        r = self.run_script('--help')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.startswith('usage: run poll|sse|event'))
        self.assertIn('STUB HELP TEXT', r.stdout)

    # --- environment ---------------------------------------------------------

    def test_marathon_user_and_password_become_auth_credentials(self):
        r = self.run_script('sse', '--group', 'x', env={
            'MARATHON_USER': 'ops', 'MARATHON_PASSWORD': 's3cret'})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.recorded()['argv'], self.fixed('sse') + [
            '--auth-credentials', 'ops:s3cret', '--group', 'x'])
        self.assertIn('--auth-credentials ops:***', r.stderr)
        self.assertNotIn('s3cret', r.stderr)

    def test_user_without_password_adds_nothing(self):
        r = self.run_script('sse', '--group', 'x', env={'MARATHON_USER': 'ops'})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn('--auth-credentials', self.recorded()['argv'])

    def test_given_auth_credentials_win_and_are_not_repeated(self):
        r = self.run_script('sse', '--auth-credentials', 'a:b', '--group', 'x',
                            env={'MARATHON_USER': 'ops',
                                 'MARATHON_PASSWORD': 'pw'})
        self.assertEqual(r.returncode, 0, r.stderr)
        argv = self.recorded()['argv']
        self.assertEqual(argv.count('--auth-credentials'), 1)
        self.assertEqual(argv[-4:], ['--auth-credentials', 'a:b', '--group', 'x'])

    def test_syslog_socket_from_environment(self):
        r = self.run_script('sse', '--group', 'x',
                            env={'SYSLOG_SOCKET': '/dev/log'})
        self.assertEqual(r.returncode, 0, r.stderr)
        argv = self.recorded()['argv']
        self.assertEqual(argv[1:3], ['--syslog-socket', '/dev/log'])

    def test_caller_flags_are_not_doubled(self):
        r = self.run_script('poll', '--poll-interval=9',
                            '--syslog-socket', '/s', '--haproxy-config=/h.cfg',
                            '--templates-dir', '/t', '--run-haproxy',
                            '--admin-address=127.0.0.1:9', '--group', 'x')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.recorded()['argv'], [
            'poll', '--poll-interval=9', '--syslog-socket', '/s',
            '--haproxy-config=/h.cfg', '--templates-dir', '/t',
            '--run-haproxy', '--admin-address=127.0.0.1:9', '--group', 'x'])

    def test_admin_address_default_from_environment_or_none(self):
        r = self.run_script('sse', '--group', 'x',
                            env={'ADMIN_ADDRESS': '127.0.0.1:9300'})
        self.assertEqual(r.returncode, 0, r.stderr)
        argv = self.recorded()['argv']
        self.assertEqual(argv[argv.index('--admin-address') + 1],
                         '127.0.0.1:9300')
        r = self.run_script('sse', '--group', 'x', env={'ADMIN_ADDRESS': ''})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn('--admin-address', self.recorded()['argv'])
        r = self.run_script('sse', '--admin-address', '127.0.0.1:9400',
                            '--group', 'x')
        self.assertEqual(r.returncode, 0, r.stderr)
        argv = self.recorded()['argv']
        self.assertEqual(argv.count('--admin-address'), 1)
        self.assertEqual(argv[-4:], ['--admin-address', '127.0.0.1:9400',
                                     '--group', 'x'])

    def test_command_replaces_run_haproxy(self):
        r = self.run_script('sse', '--command', 'systemctl reload haproxy',
                            '--group', 'x')
        self.assertEqual(r.returncode, 0, r.stderr)
        argv = self.recorded()['argv']
        self.assertNotIn('--run-haproxy', argv)
        self.assertEqual(argv[-4:], ['--command', 'systemctl reload haproxy',
                                     '--group', 'x'])

    def test_short_command_flag_replaces_run_haproxy_too(self):
        for form in (['-c', '/reload.sh'], ['-c/reload.sh'],
                     ['--command=/reload.sh']):
            r = self.run_script('sse', *form, '--group', 'x')
            self.assertEqual(r.returncode, 0, r.stderr)
            argv = self.recorded()['argv']
            self.assertNotIn('--run-haproxy', argv, form)
            self.assertEqual(argv[-len(form) - 2:], form + ['--group', 'x'])

    def test_certificates_and_other_variables_pass_through(self):
        pem = ('-----BEGIN CERTIFICATE-----\nMIIBzz\n-----END CERTIFICATE-----'
               '\n-----BEGIN PRIVATE KEY-----\nMIIEvg\n-----END PRIVATE KEY-----\n')
        env = {'HAPROXY_SSL_CERT': pem, 'HAPROXY_SSL_CERT0': 'zero\\nline',
               'HAPROXY_SSL_CERT100': 'hundred', 'FRAMEWORK_NAME': 'marathon-lb',
               'HAPROXY_HTTP_FRONTEND_HEAD': '\\nfrontend x\\n'}
        r = self.run_script('sse', '--group', 'x', env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        seen = self.recorded()
        for name, value in env.items():
            self.assertEqual(seen['env'].get(name), value, name)
        # run writes no certificate and adds no --ssl-certs: marathon-lb does.
        self.assertNotIn('--ssl-certs', seen['argv'])
        written = [n for _, _, names in os.walk(self.dir) for n in names]
        self.assertFalse([n for n in written if n.endswith('.pem')], written)

    def test_ssl_certs_argument_passes_through_once(self):
        r = self.run_script('sse', '--ssl-certs', '/a.pem,/b.pem', '--group', 'x',
                            env={'HAPROXY_SSL_CERT': 'pem'})
        self.assertEqual(r.returncode, 0, r.stderr)
        argv = self.recorded()['argv']
        self.assertEqual(argv.count('--ssl-certs'), 1)
        self.assertEqual(argv[-4:], ['--ssl-certs', '/a.pem,/b.pem', '--group',
                                     'x'])

    def test_ports_is_not_required(self):
        r = self.run_script('sse', '--group', 'x')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn('PORTS', self.recorded()['env'])

    def test_sysctl_params_are_set_before_starting(self):
        r = self.run_script('sse', '--group', 'x', env={
            'HAPROXY_SYSCTL_PARAMS': 'net.core.somaxconn=10000 '
                                     'net.ipv4.tcp_fin_timeout=30'})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.recorded('sysctl.json')['argv'], [
            '-w', 'net.core.somaxconn=10000', 'net.ipv4.tcp_fin_timeout=30'])
        self.assertIsNotNone(self.recorded())

    def test_failing_sysctl_stops_the_start(self):
        r = self.run_script('sse', '--group', 'x', env={
            'HAPROXY_SYSCTL_PARAMS': 'a=1', 'SYSCTL_RC': '1'})
        self.assertEqual(r.returncode, 1)
        self.assertIn('sysctl failed (set HAPROXY_SYSCTL_NONSTRICT=1', r.stderr)
        # the stub binary wrote nothing: only sysctl ran
        self.assertIsNone(self.recorded())

    def test_failing_sysctl_is_a_warning_when_nonstrict(self):
        r = self.run_script('sse', '--group', 'x', env={
            'HAPROXY_SYSCTL_PARAMS': 'a=1', 'HAPROXY_SYSCTL_NONSTRICT': '1',
            'SYSCTL_RC': '1'})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('sysctl failed; going on', r.stderr)
        self.assertEqual(self.recorded()['argv'],
                         self.fixed('sse') + ['--group', 'x'])

    def test_no_sysctl_without_params(self):
        r = self.run_script('sse', '--group', 'x')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIsNone(self.recorded('sysctl.json'))

    def sandbox(self, files):
        sandbox = os.path.join(self.dir, 'sandbox')
        os.makedirs(os.path.join(sandbox, 'templates'))
        for name, text in files.items():
            with open(os.path.join(sandbox, 'templates', name), 'w') as f:
                f.write(text)
        return sandbox

    def test_sandbox_templates_are_copied_into_the_templates_dir(self):
        sandbox = self.sandbox({'HAPROXY_HEAD': 'global\n  maxconn 7\n',
                                'HAPROXY_BACKEND_HEAD': 'backend {backend}\n'})
        r = self.run_script('sse', '--group', 'x',
                            env={'MESOS_SANDBOX': sandbox})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(os.listdir(self.templates)),
                         ['HAPROXY_BACKEND_HEAD', 'HAPROXY_HEAD'])
        with open(os.path.join(self.templates, 'HAPROXY_HEAD')) as f:
            self.assertEqual(f.read(), 'global\n  maxconn 7\n')
        self.assertIn('template HAPROXY_HEAD from ' + sandbox + '/templates',
                      r.stderr)

    def test_sandbox_templates_go_to_a_given_templates_dir(self):
        sandbox = self.sandbox({'HAPROXY_HEAD': 'global\n'})
        mine = os.path.join(self.dir, 'mine')
        r = self.run_script('sse', '--templates-dir', mine, '--group', 'x',
                            env={'MESOS_SANDBOX': sandbox})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(os.listdir(mine), ['HAPROXY_HEAD'])
        self.assertFalse(os.path.exists(self.templates))
        self.assertEqual(self.recorded()['argv'].count('--templates-dir'), 1)

    def test_sandbox_without_templates_changes_nothing(self):
        sandbox = os.path.join(self.dir, 'sandbox')
        os.makedirs(sandbox)
        r = self.run_script('sse', '--group', 'x',
                            env={'MESOS_SANDBOX': sandbox})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(os.path.exists(self.templates))


class RunScriptWithMarathonLb(unittest.TestCase):
    """run poll in front of the built marathon-lb, on a saved Marathon state."""

    def setUp(self):
        self.binary = os.environ.get('MLB_BUILT_BINARY')
        if not self.binary:
            self.skipTest('MLB_BUILT_BINARY not set (run under meson test)')
        self.dir = tempfile.mkdtemp(prefix='mlb-run-real-')

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_poll_dry_run_renders_with_sandbox_templates(self):
        sandbox = os.path.join(self.dir, 'sandbox')
        os.makedirs(os.path.join(sandbox, 'templates'))
        with open(os.path.join(sandbox, 'templates',
                               'HAPROXY_HTTP_FRONTEND_APPID_HEAD'), 'w') as f:
            f.write('\nfrontend marathon_http_appid_in\n'
                    '  bind 127.0.0.1:9091  # from the sandbox\n  mode http\n')
        cfgdir = os.path.join(self.dir, 'cfg')
        env = {'PATH': os.environ['PATH'], 'HOME': self.dir,
               'MLB_BINARY': self.binary,
               'MLB_TEMPLATES_DIR': os.path.join(self.dir, 'templates'),
               'MLB_HAPROXY_CONFIG_DIR': cfgdir,
               'MESOS_SANDBOX': sandbox, 'POLL_INTERVAL': '5',
               'FRAMEWORK_NAME': 'bridged'}
        state = os.path.join(SOURCE, 'tests', 'fixtures',
                             'marathon15_networking.json')
        r = subprocess.run(
            ['sh', RUN, 'poll', '--marathon', 'file:' + state, '--group',
             'external', '--skip-validation', '--dry-diff', '--log-level',
             'INFO'],
            env=env, cwd=self.dir, capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # --dry-diff prints the diff against the (missing) config: every line
        # new.
        added = [line[1:] for line in r.stdout.splitlines()
                 if line.startswith('+') and not line.startswith('+++')]
        self.assertIn('frontend marathon_http_appid_in', added)
        self.assertIn('  bind 127.0.0.1:9091  # from the sandbox', added)
        self.assertIn('frontend ip-per-task_10102', added)
        self.assertIn('backend ip-per-task_10102', added)
        # FRAMEWORK_NAME=bridged: /bridged is marathon-lb itself, skipped.
        self.assertFalse([line for line in added if 'bridged' in line], added)
        # the flags run added were accepted: one update, then exit (dry)
        self.assertIn('--poll-interval 5 --syslog-socket /dev/null', r.stderr)
        self.assertIn('dry run: config changed, nothing written', r.stderr)
        # a dry run writes nothing
        self.assertEqual(os.listdir(cfgdir), [])


class Dockerfile(unittest.TestCase):
    """The image layout the run script's defaults assume."""

    def setUp(self):
        with open(DOCKERFILE) as f:
            self.text = f.read()
        with open(RUN) as f:
            self.run_text = f.read()

    def test_two_stages_on_debian_12(self):
        self.assertIn('ARG BASE_IMAGE=debian:12', self.text)
        self.assertEqual(re.findall(r'^FROM (\S+)', self.text, re.M),
                         ['${BASE_IMAGE}', '${BASE_IMAGE}'])

    def test_release_build_installed_under_the_run_scripts_prefix(self):
        self.assertIn('--buildtype=release --prefix=/usr/local', self.text)
        self.assertIn('MLB_BINARY=${MLB_BINARY:-/usr/local/bin/marathon-lb}',
                      self.run_text)
        self.assertIn('meson install -C /build --no-rebuild', self.text)

    def test_compiles_every_pack_meson_installs(self):
        with open(os.path.join(SOURCE, 'meson.build')) as f:
            families = re.search(r"builtin_families = \[([^\]]*)\]",
                                 f.read()).group(1)
        for family in re.findall(r"'(\w+)'", families):
            self.assertIn(' mlb_' + family, self.text, family)

    def test_run_script_templates_and_config_dirs(self):
        self.assertIn('COPY tools/container/run /marathon-lb/run', self.text)
        self.assertIn('mkdir -p /marathon-lb/templates', self.text)
        self.assertIn('${MLB_TEMPLATES_DIR:-/marathon-lb/templates}',
                      self.run_text)
        self.assertIn('${MLB_HAPROXY_CONFIG_DIR:-/marathon-lb}', self.run_text)

    def test_entrypoint_ports_and_runtime_packages(self):
        self.assertIn('ENTRYPOINT ["tini", "--", "/marathon-lb/run"]', self.text)
        self.assertRegex(self.text, r'\nEXPOSE 80 443 9090 9091 9092\n')
        runtime = self.text.split('# --- runtime')[1]
        for package in ('haproxy', 'tini', 'procps', 'libctemplate3'):
            self.assertRegex(runtime, r'\b%s\b' % package)
        cmd = json.loads(re.search(r'^CMD (\[.*\])$', self.text, re.M).group(1))
        self.assertEqual(cmd[0], 'sse')
        self.assertIn('--marathon', cmd)
        self.assertIn('--group', cmd)

    def test_healthcheck_asks_marathon_lb_on_the_admin_address_run_passes(self):
        check = re.search(r'^HEALTHCHECK .*\\\n(.*)$', self.text, re.M)
        self.assertIsNotNone(check)
        command = check.group(1).split('CMD', 1)[1]
        self.assertIn('curl -fsS -o /dev/null http://127.0.0.1:9092/healthz',
                      command)
        self.assertIn('"${ADMIN_ADDRESS-0.0.0.0:9092}"', self.run_text)
        runtime = self.text.split('# --- runtime')[1]
        self.assertRegex(runtime, r'\bcurl\b')

    def test_runtime_packages_provide_every_library_marathon_lb_needs(self):
        # Each shared library the built binary names (readelf NEEDED) comes
        # from a package the runtime stage installs, or from the base image
        # (libc, libstdc++, libgcc).
        binary = os.environ.get('MLB_BUILT_BINARY')
        if not binary or not shutil.which('readelf') or not shutil.which('dpkg'):
            self.skipTest('needs MLB_BUILT_BINARY (meson test), readelf, dpkg')
        runtime = self.text.split('# --- runtime')[1]
        base_image = {'libc6', 'libstdc++6', 'libgcc-s1'}
        needed = re.findall(r'\(NEEDED\).*\[(.*)\]', subprocess.run(
            ['readelf', '-d', binary], stdout=subprocess.PIPE, text=True,
            check=True).stdout)
        self.assertIn('libctemplate.so.3', needed)
        for library in needed:
            if library.startswith('ld-linux'):
                continue
            owners = subprocess.run(
                ['dpkg', '-S', '*/' + library], stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL, text=True).stdout
            packages = {line.split(':')[0] for line in owners.splitlines()
                        if not line.startswith('lib32')}
            self.assertTrue(packages, library)
            self.assertTrue(
                packages & base_image or any(
                    re.search(r'\b%s\b' % re.escape(p), runtime)
                    for p in packages),
                '%s (package %s) is not installed by the runtime stage'
                % (library, ', '.join(sorted(packages))))

    def test_every_copied_source_exists(self):
        lines = re.findall(r'^COPY (?!--from)(.*) \S+$', self.text, re.M)
        self.assertGreater(len(lines), 5)
        for sources in lines:
            for src in sources.split():
                self.assertTrue(glob.glob(os.path.join(SOURCE, src)), src)

    def test_build_stage_has_what_a_build_without_tests_reads(self):
        # -Dtests=false: meson.build reads meson_options.txt, core/,
        # plugins/ (which runs tools/embed_templates.py), templates/ and
        # packaging/; tools/meson.build and tests/ are not read.
        self.assertIn('-Dtests=false', self.text)
        copied = [src for line in re.findall(r'^COPY (?!--from)(.*) \S+$',
                                             self.text, re.M)
                  for src in line.split()]
        for needed in ('meson.build', 'meson_options.txt', 'core', 'plugins',
                       'templates', 'packaging', 'tools/embed_templates.py'):
            self.assertIn(needed, copied)
        with open(os.path.join(SOURCE, 'plugins', 'meson.build')) as f:
            for script in re.findall(r"tools/(\w+\.py)", f.read()):
                self.assertIn('tools/' + script, copied)
        self.assertNotIn('tests', copied)
        self.assertNotIn('marathon-sim', self.text)
        self.assertNotIn('echo-backend', self.text)

if __name__ == '__main__':
    sys.exit(tap_unittest.main())
