"""Runs Python unittest cases and reports them as TAP, one line per test, so
meson (protocol: 'tap') counts each case in its JUnit log."""
import sys
import unittest


def main(module_name='__main__'):
    suite = unittest.defaultTestLoader.loadTestsFromModule(
        sys.modules[module_name])
    cases = []

    def flatten(s):
        for t in s:
            if isinstance(t, unittest.TestSuite):
                flatten(t)
            else:
                cases.append(t)
    flatten(suite)
    print('1..%d' % len(cases), flush=True)
    failed = 0
    for number, case in enumerate(cases, 1):
        result = unittest.TestResult()
        case.run(result)
        name = '%s.%s' % (type(case).__name__, case._testMethodName)
        problems = result.failures + result.errors
        if result.skipped:
            print('ok %d - %s # SKIP %s' % (number, name, result.skipped[0][1]))
        elif problems or result.unexpectedSuccesses:
            failed += 1
            print('not ok %d - %s' % (number, name))
            for _, text in problems:
                for line in text.rstrip().splitlines():
                    print('# ' + line)
        else:
            print('ok %d - %s' % (number, name))
        sys.stdout.flush()
    return 1 if failed else 0
