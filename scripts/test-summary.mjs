// Sums the vitest JSON reports of every package into one closing line: "N passed, N failed, N skipped".
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = new URL('../.test-results/', import.meta.url).pathname;
// Every package with tests; one whose report is missing did not run (its build or lint failed).
const expected = ['api', 'core', 'dataplane', 'e2e', 'native', 'testkit', 'web'];
let passed = 0;
let failed = 0;
let skipped = 0;
const rows = [];
for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
  const r = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  // A suite that failed to load counts its files as failures even when no test ran.
  const failedSuites = (r.testResults ?? []).filter((t) => t.status === 'failed' && (t.assertionResults ?? []).length === 0).length;
  const f = r.numFailedTests + failedSuites;
  const s = r.numPendingTests + (r.numTodoTests ?? 0);
  passed += r.numPassedTests;
  failed += f;
  skipped += s;
  rows.push(`  ${file.replace(/\.json$/, '').padEnd(10)} ${String(r.numPassedTests).padStart(5)} passed ${String(f).padStart(4)} failed ${String(s).padStart(4)} skipped`);
}
for (const name of expected) {
  if (rows.some((r) => r.startsWith(`  ${name} `))) continue;
  failed += 1;
  rows.push(`  ${name.padEnd(10)} no report: its tests did not run`);
}
console.log(`\nTest results by package:\n${rows.join('\n')}`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
