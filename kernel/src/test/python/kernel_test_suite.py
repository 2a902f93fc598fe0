"""Jupyter's own kernel test suite (Debian's python3-jupyter-kernel-test) against the installed
`compresso` kernelspec, with every attribute the suite has filled in.

Run: JUPYTER_PATH=PREFIX/share/jupyter /usr/bin/python3 kernel/src/test/python/kernel_test_suite.py
(./compresso test installs the kernelspec into a temporary prefix and runs this). Fails when any test
fails, errors or is skipped: a skip would mean a feature the suite checks is missing.
"""
import sys
import unittest

import jupyter_kernel_test


class CompressoKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "compresso"
    language_name = "java"
    file_extension = ".jsh"

    code_hello_world = 'System.out.println("hello, world");'
    code_stderr = 'System.err.println("to stderr");'

    completion_samples = [
        {"text": "lenet300", "matches": {"lenet300100()"}},
        {"text": "Integer.MAX_V", "matches": {"MAX_VALUE"}},
    ]
    complete_code_samples = ["1 + 1", "int x = 1;", "void f() { }", "%help"]
    incomplete_code_samples = ["for (int i = 0; i < 3; i++) {", "int y = (1 +", "\"a\" +"]
    invalid_code_samples = ["int ) x", "}"]

    code_page_something = "%doc lenet300100"
    code_generate_error = 'throw new IllegalStateException("boom");'
    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": "\"comp\" + \"resso\"", "result": "comp" + "resso"},
        {"code": "java.util.List.of(1, 2)", "result": "[1, 2]"},
    ]
    code_display_data = [
        {"code": 'display("shown");', "mime": "text/plain"},
        {"code": "display(lenet300100());", "mime": "text/html"},
    ]
    code_history_pattern = "6 * ?"
    supported_history_operations = ("tail", "range", "search")
    code_inspect_sample = "lenet300100"
    code_clear_output = 'System.out.println("soon gone"); clearOutput(true);'


if __name__ == "__main__":
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(CompressoKernelTests)
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    bad = len(result.failures) + len(result.errors)
    passed = result.testsRun - bad - len(result.skipped)
    print(f"jupyter_kernel_test: {passed} passed, {bad} failed, {len(result.skipped)} skipped")
    for test, why in result.skipped:
        print(f"  skipped {test.id()}: {why}")
    sys.exit(0 if bad == 0 and not result.skipped and result.testsRun > 0 else 1)
