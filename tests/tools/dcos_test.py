#!/usr/bin/env python3
"""The DC/OS package (tools/dcos/) and its mustache renderer (render.py)."""
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap_unittest  # noqa: E402

SOURCE = os.environ.get('MLB_SOURCE_DIR') or os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.path.join(SOURCE, 'tools', 'dcos')
sys.path.insert(0, PACKAGE)
import render  # noqa: E402

PEM = ('-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ\n'
       '-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\n'
       'MIGHAgEAMBMGByqGSM49\n-----END PRIVATE KEY-----\n')
SERVICE_PORTS = list(range(10000, 10101))


def load(name):
    with open(os.path.join(PACKAGE, name)) as f:
        return json.load(f)


def app(options=None):
    """The Marathon app the package renders for these options."""
    return json.loads(render.render_package(PACKAGE, options, strict=True))


class Renderer(unittest.TestCase):
    def test_variables_and_dotted_names(self):
        self.assertEqual(render.render('{{a.b-c.d}}/{{x}}',
                                       {'a': {'b-c': {'d': 5}}, 'x': True}),
                         '5/true')

    def test_variables_are_escaped_for_json_strings_unless_triple(self):
        ctx = {'v': 'a"b\\c\nd\te'}
        self.assertEqual(render.render('{{v}}', ctx), 'a\\"b\\\\c\\nd\\te')
        self.assertEqual(render.render('{{{v}}}|{{& v}}', ctx),
                         'a"b\\c\nd\te|a"b\\c\nd\te')

    def test_sections_over_lists_objects_and_truthy_values(self):
        ctx = {'items': [{'k': 1}, {'k': 2}], 'obj': {'k': 'o'}, 'flag': 'yes',
               'k': 'outer', 'words': ['x', 'y']}
        self.assertEqual(render.render(
            '{{#items}}[{{k}}]{{/items}} {{#obj}}{{k}}{{/obj}} '
            '{{#flag}}{{k}}:{{.}}{{/flag}} {{#words}}{{.}},{{/words}}', ctx),
            '[1][2] o outer:yes x,y,')

    def test_falsy_values_and_inverted_sections(self):
        for falsy in (False, None, '', []):
            self.assertEqual(render.render('{{#v}}A{{/v}}{{^v}}B{{/v}}',
                                           {'v': falsy}), 'B', repr(falsy))
        for truthy in (True, 0, 'x', [1], {}):
            self.assertEqual(render.render('{{#v}}A{{/v}}{{^v}}B{{/v}}',
                                           {'v': truthy}), 'A', repr(truthy))
        self.assertEqual(render.render('{{^missing.name}}B{{/missing.name}}',
                                       {}), 'B')

    def test_inner_names_fall_back_to_outer_frames(self):
        self.assertEqual(render.render('{{#a}}{{b}}{{c}}{{/a}}',
                                       {'a': {'b': 1}, 'c': 2}), '12')

    def test_standalone_tags_take_their_line(self):
        text = '[\n  {{#on}}\n  1,\n  {{/on}}\n  {{! note }}\n  2\n]\n'
        self.assertEqual(render.render(text, {'on': True}), '[\n  1,\n  2\n]\n')
        self.assertEqual(render.render(text, {'on': False}), '[\n  2\n]\n')
        # not standalone: the surrounding text stays
        self.assertEqual(render.render('a {{#on}}b{{/on}} c\n', {'on': 1}),
                         'a b c\n')

    def test_missing_names_render_empty_or_fail_when_strict(self):
        self.assertEqual(render.render('<{{nope}}>', {}), '<>')
        with self.assertRaisesRegex(render.TemplateError,
                                    r'^line 2: \{\{nope\}\} names nothing$'):
            render.render('ok\n{{nope}}', {}, strict=True)

    def test_unbalanced_sections_name_the_line(self):
        with self.assertRaisesRegex(render.TemplateError,
                                    r'^line 2: \{\{#a\}\} is never closed$'):
            render.render('x\n{{#a}}\n', {})
        with self.assertRaisesRegex(render.TemplateError,
                                    r'^line 1: \{\{/b\}\} closes \{\{#a\}\}$'):
            render.render('{{#a}}{{/b}}', {})
        with self.assertRaisesRegex(render.TemplateError,
                                    r'^line 1: \{\{/b\}\} closes nothing$'):
            render.render('{{/b}}', {})

    def test_defaults_merge_and_schema_check(self):
        schema = {'properties': {'o': {'properties': {
            'n': {'type': 'integer', 'default': 1, 'minimum': 1},
            'm': {'type': 'string', 'enum': ['a', 'b'], 'default': 'a'}},
            'additionalProperties': False, 'required': ['n']}}}
        values = render.merge(render.defaults(schema), {'o': {'m': 'b'}})
        self.assertEqual(values, {'o': {'n': 1, 'm': 'b'}})
        self.assertEqual(render.check(values, schema), [])
        self.assertEqual(render.check({'o': {'n': 0, 'm': 'c', 'z': 1}}, schema), [
            'options.o.n: 0 is less than the minimum 1',
            'options.o.m: "c" is not one of ["a", "b"]',
            'options.o: unknown option z'])
        self.assertEqual(render.check({'o': {'n': True}}, schema),
                         ['options.o.n: true is not of type integer'])


class Package(unittest.TestCase):
    def test_default_app(self):
        a = app()
        self.assertEqual(a['id'], 'marathon-lb')
        self.assertEqual((a['instances'], a['cpus'], a['mem']), (1, 2, 1024))
        self.assertEqual(a['container']['docker']['image'],
                         load('resource.json')['assets']['container']['docker']
                         ['marathon-lb-docker'])
        self.assertEqual(a['container']['docker']['network'], 'HOST')
        # marathon-lb 1.15's package: maps and reload retries by default.
        self.assertEqual(a['args'], ['sse', '--marathon',
                                     'http://marathon.mesos:8080',
                                     '--health-check', '--haproxy-map',
                                     '--max-reload-retries', '10',
                                     '--reload-interval', '10',
                                     '--admin-address', '0.0.0.0:9092',
                                     '--group', 'external'])
        self.assertEqual(a['acceptedResourceRoles'], ['slave_public'])
        self.assertNotIn('fetch', a)
        self.assertNotIn('secrets', a)
        self.assertNotIn('DCOS_SERVICE_ACCOUNT_CREDENTIAL', a['env'])
        self.assertNotIn('HAPROXY_SSL_CERT', a['env'])
        self.assertEqual(a['env']['FRAMEWORK_NAME'], 'marathon-lb')
        self.assertEqual(a['env']['HAPROXY_SYSCTL_PARAMS'].split()[0],
                         'net.ipv4.tcp_tw_reuse=1')
        self.assertEqual([p['port'] for p in a['portDefinitions']],
                         [80, 443, 9090, 9091, 9092] + SERVICE_PORTS)
        self.assertTrue(a['requirePorts'])
        # The health check asks marathon-lb (its /healthz on the admin
        # address), not HAProxy: a controller that lost Marathon or HAProxy
        # fails it.
        check = a['healthChecks'][0]
        self.assertEqual((check['path'], check['portIndex']), ('/healthz', 4))
        self.assertEqual(a['portDefinitions'][check['portIndex']],
                         {'port': 9092, 'protocol': 'tcp', 'name': 'admin'})
        self.assertEqual(a['upgradeStrategy'], {'minimumHealthCapacity': 0.5,
                                                'maximumOverCapacity': 0.2})

    def test_sample_options(self):
        a = app({'marathon-lb': {
            'name': 'lb-external', 'instances': 3, 'haproxy-group': 'external',
            'ssl-cert': PEM, 'template-url': 'https://example.com/t.tar.gz',
            'mode': 'sse', 'marathon-uri': 'https://marathon.mesos:8443',
            'auth-credential': 'ops:pa"ss', 'sysctl-nonstrict': True,
            'haproxy-map': False, 'strict-mode': True,
            'max-reload-retries': -1, 'reload-interval': 3,
            'extra-args': ['--max-old-workers', '5'],
            'parameters': [{'key': 'ulimit', 'value': 'nofile=100000'}]}})
        self.assertEqual(a['id'], 'lb-external')
        self.assertEqual(a['instances'], 3)
        self.assertEqual(a['args'], [
            'sse', '--marathon', 'https://marathon.mesos:8443', '--health-check',
            '--auth-credentials', 'ops:pa"ss', '--strict-mode',
            '--max-reload-retries', '-1', '--reload-interval', '3',
            '--admin-address', '0.0.0.0:9092',
            '--max-old-workers', '5', '--group', 'external'])
        self.assertEqual(a['env']['HAPROXY_SSL_CERT'], PEM)
        self.assertEqual(a['env']['HAPROXY_SYSCTL_NONSTRICT'], '1')
        self.assertEqual(a['env']['FRAMEWORK_NAME'], 'lb-external')
        self.assertEqual(a['fetch'], [{'uri': 'https://example.com/t.tar.gz',
                                       'extract': True}])
        self.assertEqual(a['container']['docker']['parameters'], [
            {'key': 'ulimit', 'value': 'nofile=100000'},
            {'key': 'label', 'value': 'dcos_pkg_name=marathon-lb'}])
        self.assertEqual([p['port'] for p in a['portDefinitions']][:5],
                         [80, 443, 9090, 9091, 9092])

    def test_secret_name_gives_the_service_account_credential(self):
        # marathon-lb 1.15's secret_name: the secret, as Marathon injects it,
        # in the variable --dcos-auth-credentials defaults to.
        a = app({'marathon-lb': {'secret-name': 'marathon-lb/service-account'}})
        self.assertEqual(a['secrets'], {'serviceCredential': {
            'source': 'marathon-lb/service-account'}})
        self.assertEqual(a['env']['DCOS_SERVICE_ACCOUNT_CREDENTIAL'],
                         {'secret': 'serviceCredential'})
        self.assertNotIn('--auth-credentials', a['args'])

    def test_poll_without_http_https_and_role(self):
        a = app({'marathon-lb': {'mode': 'poll', 'poll-interval': 30,
                                 'bind-http-https': False, 'role': '',
                                 'health-check': False, 'sysctl-params': '',
                                 'haproxy-group': '*'}})
        self.assertEqual(a['args'], ['poll', '--marathon',
                                     'http://marathon.mesos:8080',
                                     '--dont-bind-http-https', '--haproxy-map',
                                     '--max-reload-retries', '10',
                                     '--reload-interval', '10',
                                     '--admin-address', '0.0.0.0:9092',
                                     '--group', '*'])
        self.assertEqual(a['env']['POLL_INTERVAL'], '30')
        self.assertNotIn('HAPROXY_SYSCTL_PARAMS', a['env'])
        self.assertNotIn('acceptedResourceRoles', a)
        self.assertEqual([p['port'] for p in a['portDefinitions']],
                         [9090, 9091, 9092] + SERVICE_PORTS)
        self.assertEqual(a['healthChecks'][0]['portIndex'], 2)
        self.assertEqual(a['portDefinitions'][2]['port'], 9092)

    def test_bad_options_are_refused_by_name(self):
        cases = [
            ({'mode': 'event'},
             'options.marathon-lb.mode: "event" is not one of ["sse", "poll"]'),
            ({'instances': 0},
             'options.marathon-lb.instances: 0 is less than the minimum 1'),
            ({'haproxy-map': 'yes'},
             'options.marathon-lb.haproxy-map: "yes" is not of type boolean'),
            ({'reload-interval': 0},
             'options.marathon-lb.reload-interval: 0 is less than the '
             'minimum 1'),
            ({'no-such-option': True},
             'options.marathon-lb: unknown option no-such-option'),
            ({'parameters': [{'key': 'x'}]},
             'options.marathon-lb.parameters[0]: value is required'),
        ]
        for options, message in cases:
            with self.assertRaises(render.TemplateError) as caught:
                render.render_package(PACKAGE, {'marathon-lb': options})
            self.assertEqual(str(caught.exception), message)

    def test_command_line(self):
        with tempfile.NamedTemporaryFile('w', suffix='.json') as f:
            json.dump({'marathon-lb': {'ssl-cert': PEM}}, f)
            f.flush()
            r = subprocess.run([sys.executable, os.path.join(PACKAGE, 'render.py'),
                                '--json', '--strict', '--options', f.name,
                                PACKAGE], capture_output=True, text=True,
                               timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)['env']['HAPROXY_SSL_CERT'], PEM)
        r = subprocess.run([sys.executable, os.path.join(PACKAGE, 'render.py'),
                            os.path.join(PACKAGE, 'no-such-dir')],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r'^render.py: .*config.json')


class Schema(unittest.TestCase):
    """config.json against marathon.json.mustache and resource.json."""

    def setUp(self):
        self.schema = load('config.json')
        self.options = self.schema['properties']['marathon-lb']
        with open(os.path.join(PACKAGE, 'marathon.json.mustache')) as f:
            self.tree = render.parse(f.read())

    def resolve(self, name, sections):
        """The schema (or resource.json value) a tag names, or None."""
        frames = [('', {'properties': {
            'marathon-lb': self.options,
            'resource': {'value': load('resource.json')}}})]
        for section in sections:
            sub = self.resolve(section, ())
            if sub is not None and sub.get('type') == 'array':
                frames.append((section, sub['items']))
        if name == '.':
            return frames[-1][1] if len(frames) > 1 else None
        for _, frame in reversed(frames):
            node = frame
            for part in name.split('.'):
                if 'value' in node:
                    value = node['value']
                    node = {'value': value[part]} if isinstance(
                        value, dict) and part in value else None
                else:
                    node = node.get('properties', {}).get(part)
                if node is None:
                    break
            if node is not None:
                return node
        return None

    def test_schema_is_an_object_schema_with_typed_described_options(self):
        self.assertEqual(self.schema['type'], 'object')
        self.assertEqual(list(self.schema['properties']), ['marathon-lb'])
        for key, prop in self.options['properties'].items():
            self.assertIn(prop.get('type'), render._TYPES, key)
            self.assertTrue(prop.get('description'), key)
            self.assertIn('default', prop, key)
            self.assertEqual(render.check(prop['default'], prop, key), [])
        for key in self.options['required']:
            self.assertIn(key, self.options['properties'])

    def test_every_tag_names_an_option_or_resource(self):
        names = list(render.tags(self.tree))
        self.assertGreater(len(names), 20)
        for name, kind, sections in names:
            self.assertIsNotNone(self.resolve(name, sections),
                                 'tag %s (kind %s) inside %s' % (name, kind, sections))

    def test_every_option_is_used(self):
        used = {name for name, _, _ in render.tags(self.tree)}
        for key in self.options['properties']:
            self.assertIn('marathon-lb.' + key, used)

    def test_sections_are_over_booleans_strings_or_arrays(self):
        for name, kind, _ in render.tags(self.tree):
            if kind in '#^' and name.startswith('marathon-lb.'):
                self.assertIn(self.resolve(name, ())['type'],
                              ('boolean', 'string', 'array'), name)

    def test_package_version_is_the_projects(self):
        with open(os.path.join(SOURCE, 'meson.build')) as f:
            version = re.search(r"version: '([^']+)'", f.read()).group(1)
        package = load('package.json')
        self.assertEqual(package['name'], 'marathon-lb')
        self.assertEqual(package['version'], version)
        image = load('resource.json')['assets']['container']['docker'][
            'marathon-lb-docker']
        self.assertTrue(image.endswith(':' + version), image)


if __name__ == '__main__':
    sys.exit(tap_unittest.main())
