// Mocha's spec reporter, plus the plain "N passed, N failed, N skipped" line CI reads.
// A test that never ran because a hook failed counts as failed: mocha reports
// the hook once and the tests under it silently vanish from its totals, so a
// suite whose start-up fails would otherwise look like a shorter green run.
const Mocha = require('mocha')
const {EVENT_RUN_END, EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING} = Mocha.Runner.constants

function testsUnder(suite) {
  return [...suite.tests, ...suite.suites.flatMap(testsUnder)]
}

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options)
    const settled = new Set()
    const failedHooks = []
    runner.on(EVENT_TEST_PASS, (test) => settled.add(test))
    runner.on(EVENT_TEST_PENDING, (test) => settled.add(test))
    runner.on(EVENT_TEST_FAIL, (runnable) => (runnable.type === 'hook' ? failedHooks.push(runnable) : settled.add(runnable)))
    runner.once(EVENT_RUN_END, () => {
      // Only the tests this run selected (--grep, --fgrep) were due to run.
      const selected = (test) => !runner._grep || runner._grep.test(test.fullTitle()) !== Boolean(runner._invert)
      const due = testsUnder(runner.suite).filter(selected)
      const unrun = due.filter((t) => !settled.has(t))
      const failedTests = due.filter((t) => settled.has(t) && t.state === 'failed').length
      // A failed hook that left no test unrun (an after hook) still counts once.
      const hooksAlone = failedHooks.filter((h) => !testsUnder(h.parent).some((t) => unrun.includes(t))).length
      if (unrun.length > 0) process.stdout.write(`\n${unrun.length} test(s) did not run because a hook failed:\n${unrun.map((t) => `  - ${t.fullTitle()}`).join('\n')}\n`)
      const s = runner.stats
      process.stdout.write(`\ntests: ${s.passes} passed, ${failedTests + unrun.length + hooksAlone} failed, ${s.pending} skipped\n`)
    })
  }
}

module.exports = SummaryReporter
