// Test agent: reads the live rules of its namespace and prints what it saw as one JSON line.
import { readLiveRuleset } from '../ruleset/index.ts';

const rs = await readLiveRuleset();
process.stdout.write(`${JSON.stringify({ tables: rs.tables.map((t) => `${t.family}/${t.name}/${t.flavour ?? ''}`), warnings: rs.warnings, unreadable: rs.sources.flatMap((s) => (s.unreadable ? [s.unreadable] : [])) })}\n`);
