#!/usr/bin/env python3
"""Renders a DC/OS package's marathon.json.mustache the way Cosmos does.

    render.py [--options FILE] [--strict] [--json] PACKAGE_DIR

reads PACKAGE_DIR/config.json (a JSON schema whose "default"s are the
options' defaults), merges FILE over those defaults, checks the result against
the schema, and renders PACKAGE_DIR/marathon.json.mustache with the options at
the top of the context and PACKAGE_DIR/resource.json under "resource". The
result goes to stdout; with --json it must parse as JSON and is printed
indented. Errors go to stderr with exit status 1.

The mustache subset: {{name}}, {{{name}}} and {{& name}} variables, dotted
names (marathon-lb.name, looked up as in the mustache spec), the implicit
iterator {{.}}, {{#section}}, {{^inverted}}, {{/close}} and {{! comments}};
standalone tags take their line with them. As in Cosmos, {{name}} escapes the
value for a JSON string (quotes, backslashes, control characters) rather than
for HTML; {{{name}}} inserts it verbatim. False, null, "" and [] are falsy. A
name that resolves to nothing renders as "" (with --strict: an error).
"""
import argparse
import json
import os
import re
import sys


class TemplateError(Exception):
    pass


_TAG = re.compile(r'\{\{(\{)?\s*([#^/!&]?)\s*(.*?)\s*(\})?\}\}', re.S)
_MISSING = object()


def parse(text):
    """The template as a tree: strings and (kind, name, line[, children])."""
    root = []
    stack = [('', root, 0)]  # (section name, children, line)
    pos = 0
    for tag in _find_tags(text):
        start, end, kind, name, line = tag
        stack[-1][1].append(text[pos:start])
        pos = end
        if kind == '!':
            continue
        if kind in '#^':
            node = (kind, name, line, [])
            stack[-1][1].append(node)
            stack.append((name, node[3], line))
        elif kind == '/':
            if len(stack) == 1 or stack[-1][0] != name:
                opened = stack[-1][0] if len(stack) > 1 else None
                raise TemplateError(
                    'line %d: {{/%s}} closes %s' %
                    (line, name, '{{#%s}}' % opened if opened else 'nothing'))
            stack.pop()
        else:
            stack[-1][1].append((kind, name, line))
    stack[-1][1].append(text[pos:])
    if len(stack) > 1:
        raise TemplateError('line %d: {{#%s}} is never closed' %
                            (stack[-1][2], stack[-1][0]))
    return root


def _find_tags(text):
    """(start, end, kind, name, line) per tag; a standalone section, close or
    comment tag spans its whole line."""
    for m in _TAG.finditer(text):
        triple, sigil, name, close = m.group(1), m.group(2), m.group(3), m.group(4)
        line = text.count('\n', 0, m.start()) + 1
        if bool(triple) != bool(close):
            raise TemplateError('line %d: unbalanced braces in %r' %
                                (line, m.group(0)))
        if not name:
            raise TemplateError('line %d: empty tag' % line)
        kind = '&' if triple else (sigil or 'v')
        start, end = m.start(), m.end()
        if kind in '#^/!':
            line_start = text.rfind('\n', 0, start) + 1
            line_end = text.find('\n', end)
            line_end = len(text) if line_end < 0 else line_end + 1
            if (not text[line_start:start].strip() and
                    not text[end:line_end].strip()):
                start, end = line_start, line_end
        yield start, end, kind, name, line


def lookup(stack, name):
    """A dotted name against the context stack, innermost first."""
    if name == '.':
        return stack[-1]
    first, *rest = name.split('.')
    for frame in reversed(stack):
        if isinstance(frame, dict) and first in frame:
            value = frame[first]
            break
    else:
        return _MISSING
    for part in rest:
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _falsy(value):
    return value is _MISSING or value is None or value is False or \
        value == '' or value == []


def _text(value):
    if value is _MISSING or value is None:
        return ''
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, (dict, list, int, float)):
        return json.dumps(value)
    return str(value)


def _render(nodes, stack, strict, out):
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
            continue
        kind, name, line = node[0], node[1], node[2]
        value = lookup(stack, name)
        if value is _MISSING and strict:
            raise TemplateError('line %d: {{%s}} names nothing' % (line, name))
        if kind == 'v':
            text = _text(value)
            if isinstance(value, str):
                text = json.dumps(text)[1:-1]
            out.append(text)
        elif kind == '&':
            out.append(_text(value))
        elif kind == '^':
            if _falsy(value):
                _render(node[3], stack, strict, out)
        elif not _falsy(value):
            for item in value if isinstance(value, list) else [value]:
                _render(node[3], stack + [item], strict, out)


def render(template, context, strict=False):
    out = []
    _render(parse(template), [context], strict, out)
    return ''.join(out)


def tags(nodes, sections=()):
    """(name, kind, enclosing section names) for every tag in a parsed tree."""
    for node in nodes:
        if isinstance(node, str):
            continue
        yield node[1], node[0], sections
        if node[0] in '#^':
            yield from tags(node[3], sections + (node[1],))


def defaults(schema):
    """The defaults of a JSON schema, nested as its object properties are."""
    if 'properties' in schema:
        out = {}
        for key, sub in schema['properties'].items():
            value = defaults(sub)
            if value is not _MISSING:
                out[key] = value
        return out
    return schema.get('default', _MISSING)


def merge(base, over):
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = merge(base.get(key), value) if key in base else value
        return out
    return over


_TYPES = {'string': str, 'boolean': bool, 'object': dict, 'array': list,
          'integer': int, 'number': (int, float)}


def check(value, schema, where='options'):
    """Errors of value against the schema's type/enum/minimum/required."""
    errors = []
    kind = schema.get('type')
    if kind:
        ok = isinstance(value, _TYPES[kind])
        if kind in ('integer', 'number') and isinstance(value, bool):
            ok = False
        if not ok:
            return ['%s: %s is not of type %s' % (where, json.dumps(value), kind)]
    if 'enum' in schema and value not in schema['enum']:
        errors.append('%s: %s is not one of %s' %
                      (where, json.dumps(value), json.dumps(schema['enum'])))
    if 'minimum' in schema and isinstance(value, (int, float)) and \
            value < schema['minimum']:
        errors.append('%s: %s is less than the minimum %s' %
                      (where, value, schema['minimum']))
    if isinstance(value, dict):
        for key in schema.get('required', []):
            if key not in value:
                errors.append('%s: %s is required' % (where, key))
        props = schema.get('properties', {})
        for key, sub in value.items():
            if key in props:
                errors += check(sub, props[key], where + '.' + key)
            elif schema.get('additionalProperties') is False:
                errors.append('%s: unknown option %s' % (where, key))
    if isinstance(value, list) and 'items' in schema:
        for i, item in enumerate(value):
            errors += check(item, schema['items'], '%s[%d]' % (where, i))
    return errors


def render_package(package_dir, options=None, strict=False):
    """The rendered marathon.json text of a package directory."""
    def load(name):
        with open(os.path.join(package_dir, name), encoding='utf-8') as f:
            return f.read() if name.endswith('.mustache') else json.load(f)
    schema = load('config.json')
    values = merge(defaults(schema), options or {})
    errors = check(values, schema)
    if errors:
        raise TemplateError('; '.join(errors))
    context = dict(values)
    context['resource'] = load('resource.json')
    return render(load('marathon.json.mustache'), context, strict)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('package_dir')
    parser.add_argument('--options', help='JSON file of option values')
    parser.add_argument('--strict', action='store_true',
                        help='a tag that names nothing is an error')
    parser.add_argument('--json', action='store_true',
                        help='parse the result as JSON and print it indented')
    args = parser.parse_args()
    try:
        options = {}
        if args.options:
            with open(args.options, encoding='utf-8') as f:
                options = json.load(f)
        text = render_package(args.package_dir, options, args.strict)
        if args.json:
            try:
                text = json.dumps(json.loads(text), indent=2) + '\n'
            except ValueError as e:
                raise TemplateError('the rendered text is not JSON: %s' % e)
    except (OSError, ValueError, TemplateError) as e:
        print('render.py: %s' % e, file=sys.stderr)
        return 1
    sys.stdout.write(text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
