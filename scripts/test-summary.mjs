// Prints "N passed, N failed" from vitest's JSON report; exits 1 when anything failed or no test ran.
import { readFileSync } from 'node:fs';

const path = process.argv[2] ?? 'test-results/vitest.json';
let report;
try {
  report = JSON.parse(readFileSync(path, 'utf8'));
} catch (error) {
  console.error(`no test report at ${path}: ${error.message}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const passed = report.numPassedTests ?? 0;
// A file that failed to load counts as one failure: its tests never ran. (numFailedTestSuites is no
// use here: vitest counts every describe block in it, so one failed test would count twice.)
const failed = (report.numFailedTests ?? 0) + countFilesThatDidNotRun(report);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);

function countFilesThatDidNotRun(r) {
  return (r.testResults ?? []).filter(
    (file) => file.status === 'failed' && !(file.assertionResults ?? []).some((t) => t.status === 'failed'),
  ).length;
}
