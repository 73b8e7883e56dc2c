#!/usr/bin/env python3
"""Turns a family's template files into its pack's template table.

Usage: embed_templates.py OUTPUT.h TEMPLATE_FILE...

Each template is declared once, in its own file (templates/<family>/<NAME>):
a header of '# ' lines, a line '---', then the default text, byte for byte:

    # Head of the backend of one service port.
    # flags: overridable
    # section: backend 0
    # placeholders: backend balance mode
    ---
    <text>

The first header line is the description; the others are, each optional:
  flags:        overridable, verbatim, inline, formatted-default
                (MLB_TEMPLATE_*)
  section:      none (inline templates, and only they), head, userlist,
                http_frontend, appid_frontend, https_frontend, frontend,
                backend or named (MLB_SECTION_*), then the order of the text among one
                service's lines there (default 0)
  placeholders: the names the pack's code supplies
  word:         'NAME = what it is': a placeholder whose value must stay one
                config word (repeatable)
  empty-with:   templates a label must empty together with this one

The output header defines, for the pack's code, one id per template (its
index in kTemplates, named like the template) and kTemplates, the
mlb_template_def table, in name order.
"""
import os
import sys

FLAGS = {
    'overridable': 'MLB_TEMPLATE_OVERRIDABLE',
    'verbatim': 'MLB_TEMPLATE_VERBATIM',
    'inline': 'MLB_TEMPLATE_INLINE',
    'formatted-default': 'MLB_TEMPLATE_FORMATTED_DEFAULT',
}
SECTIONS = {
    'none': 'MLB_SECTION_NONE',
    'head': 'MLB_SECTION_HEAD',
    'userlist': 'MLB_SECTION_USERLIST',
    'http_frontend': 'MLB_SECTION_HTTP_FRONTEND',
    'appid_frontend': 'MLB_SECTION_APPID_FRONTEND',
    'https_frontend': 'MLB_SECTION_HTTPS_FRONTEND',
    'frontend': 'MLB_SECTION_FRONTEND',
    'backend': 'MLB_SECTION_BACKEND',
    'named': 'MLB_SECTION_NAMED',
}


class TemplateError(Exception):
    pass


def c_string(data: bytes) -> str:
    """A C string literal of `data`, one literal per line of text."""
    pieces = []
    for line in data.split(b'\n'):
        out = []
        for b in line:
            c = chr(b)
            if c in '\\"':
                out.append('\\' + c)
            elif 32 <= b < 127:
                out.append(c)
            else:
                out.append('\\%03o' % b)
        pieces.append(''.join(out))
    literals = ['"%s\\n"' % p for p in pieces[:-1]]
    if pieces[-1] or not literals:
        literals.append('"%s"' % pieces[-1])
    return '\n     '.join(literals)


def parse(path):
    """Returns the template's fields from its file."""
    name = os.path.basename(path)
    with open(path, 'rb') as f:
        data = f.read()
    head, sep, text = data.partition(b'\n---\n')
    if not sep:
        raise TemplateError('%s: no "---" line after the header' % path)
    lines = head.decode('utf-8').split('\n')
    if not lines[0].startswith('# ') or len(lines[0]) < 3:
        raise TemplateError('%s: the first line is not "# <description>"' % path)
    t = {'name': name, 'text': text, 'description': lines[0][2:],
         'flags': [], 'section': 'none', 'order': 0, 'placeholders': '',
         'words': [], 'empty_with': ''}
    for number, line in enumerate(lines[1:], 2):
        if not line.startswith('# ') or ': ' not in line:
            raise TemplateError('%s:%d: not "# key: value"' % (path, number))
        key, value = line[2:].split(': ', 1)
        if key == 'flags':
            for flag in value.split():
                if flag not in FLAGS:
                    raise TemplateError('%s:%d: unknown flag %s' % (path, number, flag))
                t['flags'].append(flag)
        elif key == 'section':
            words = value.split()
            if words[0] not in SECTIONS or len(words) > 2:
                raise TemplateError('%s:%d: section is one of %s and an order'
                                    % (path, number, ', '.join(SECTIONS)))
            t['section'] = words[0]
            t['order'] = int(words[1]) if len(words) == 2 else 0
        elif key == 'placeholders':
            t['placeholders'] = ' '.join(value.split())
        elif key == 'word':
            word, eq, what = value.partition(' = ')
            if not eq:
                raise TemplateError('%s:%d: word is "NAME = what it is"' % (path, number))
            t['words'].append(word + '=' + what)
        elif key == 'empty-with':
            t['empty_with'] = ' '.join(value.split())
        else:
            raise TemplateError('%s:%d: unknown key %s' % (path, number, key))
    if ('inline' in t['flags']) != (t['section'] == 'none'):
        raise TemplateError('%s: inline templates, and only they, have section none' % path)
    return t


def row(t):
    flags = ' | '.join(FLAGS[f] for f in t['flags']) or '0'
    return ('    {%s,\n     %s,\n     %s, %s,\n     %s,\n     %s, %d, %s, %s},'
            % (c_string(t['name'].encode()), c_string(t['text']), flags,
               c_string(t['placeholders'].encode()),
               c_string(t['description'].encode()), SECTIONS[t['section']],
               t['order'], c_string('\n'.join(t['words']).encode()),
               c_string(t['empty_with'].encode())))


def main() -> int:
    output, inputs = sys.argv[1], sys.argv[2:]
    try:
        templates = sorted((parse(p) for p in inputs), key=lambda t: t['name'])
    except TemplateError as e:
        print('embed_templates.py: %s' % e, file=sys.stderr)
        return 1
    lines = ['// Generated by tools/embed_templates.py from the template files.',
             '// Do not edit: change the files in templates/.',
             '#pragma once', '', '#include "mlb/plugin/sdk.h"', '',
             '// Template ids: indexes into kTemplates.',
             'enum : mlb::sdk::TemplateId {']
    lines += ['  %s = %d,' % (t['name'], i) for i, t in enumerate(templates)]
    lines += ['};', '', 'inline const mlb_template_def kTemplates[] = {']
    lines += [row(t) for t in templates]
    lines += ['};']
    with open(output, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
