// Sums the vitest JSON reports of every package into one closing line: "N passed, N failed, N skipped",
// after the failed tests by name with the start of their message: the end of CI's log is what a
// reader is shown, and a package's own failure report may be far above it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';

const dir = new URL('../.test-results/', import.meta.url).pathname;
// Every package with tests; one whose report is missing did not run (its build or lint failed).
const expected = ['api', 'core', 'dataplane', 'e2e', 'native', 'testkit', 'web'];
let passed = 0;
let failed = 0;
let skipped = 0;
const rows = [];
const failures = [];
/** The first lines of a failure message, without terminal colours. */
const gist = (message) =>
  stripVTControlCharacters(String(message ?? ''))
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(0, 3)
    .map((l) => `      ${l.slice(0, 300)}`)
    .join('\n');
for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
  const r = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  // A suite that failed to load counts its files as failures even when no test ran.
  const failedSuites = (r.testResults ?? []).filter((t) => t.status === 'failed' && (t.assertionResults ?? []).length === 0).length;
  const f = r.numFailedTests + failedSuites;
  const s = r.numPendingTests + (r.numTodoTests ?? 0);
  passed += r.numPassedTests;
  failed += f;
  skipped += s;
  const pkg = file.replace(/\.json$/, '');
  for (const t of r.testResults ?? []) {
    const where = `${pkg}: ${t.name.replace(/^.*?\/(apps|packages|e2e)\//, '$1/')}`;
    const assertions = t.assertionResults ?? [];
    if (t.status === 'failed' && assertions.length === 0) failures.push(`  ${where} (did not load)\n${gist(t.message)}`);
    for (const a of assertions) if (a.status === 'failed') failures.push(`  ${where} > ${a.fullName}\n${gist(a.failureMessages?.[0])}`);
  }
  rows.push(`  ${pkg.padEnd(10)} ${String(r.numPassedTests).padStart(5)} passed ${String(f).padStart(4)} failed ${String(s).padStart(4)} skipped`);
}
for (const name of expected) {
  if (rows.some((r) => r.startsWith(`  ${name} `))) continue;
  failed += 1;
  rows.push(`  ${name.padEnd(10)} no report: its tests did not run`);
}
if (failures.length > 0) console.log(`\nFailed tests:\n${failures.join('\n')}`);
console.log(`\nTest results by package:\n${rows.join('\n')}`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
