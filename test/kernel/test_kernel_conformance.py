"""jupyter_kernel_test against the convlens kernel (a real kernel over ZeroMQ).

Skipped by design (each with its reason):
- test_pager: no pager payloads; TypeScript has no `?` help syntax.
- test_clear_output: tslab has no clear_output API for cells.
- invalid is_complete samples: tslab's is_complete only tells complete from
  incomplete (a syntax error is reported when the cell runs).
- test_history subtests: the kernel keeps no history (history_request gets an
  empty list), so no history operation is declared supported.
- IopubWelcomeTests (protocol 5.4 iopub_welcome over XPUB) is not run: the
  kernel speaks protocol 5.3 and publishes on a plain PUB socket.
"""
import unittest

import jupyter_kernel_test


class ConvlensKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "convlens"
    language_name = "typescript"
    file_extension = ".ts"

    code_hello_world = 'console.log("hello, world")'
    code_stderr = 'console.error("this goes to stderr")'
    code_generate_error = 'throw new Error("an expected failure")'
    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": '"conv" + "lens"', "result": "'convlens'"},
        {"code": "[1, 2].map((x) => x * 2)", "result": "[ 2, 4 ]"},
    ]
    code_display_data = [
        {"code": 'import * as tslab from "tslab";\ntslab.display.html("<b>bold</b>")', "mime": "text/html"},
        {"code": 'import * as tslab from "tslab";\ntslab.display.text("plain")', "mime": "text/plain"},
    ]
    completion_samples = [
        {"text": "Math.PI.toFix", "matches": {"toFixed"}},
        {"text": "const conformanceValue = 1;\nconformanceVa", "matches": {"conformanceValue"}},
    ]
    complete_code_samples = ["1 + 1", "const x = 1;", "function f() { return 1; }"]
    incomplete_code_samples = ["function f() {", "const list = [1,", "if (true) {"]
    code_inspect_sample = "Math.max"


if __name__ == "__main__":
    unittest.main()
