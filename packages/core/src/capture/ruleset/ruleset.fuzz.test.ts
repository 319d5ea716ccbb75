import { fuzzSettings, mutateJson, withinTime, type Json } from '@meshcap/testkit';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MeshcapError } from '../../errors.ts';
import { parseIptablesSave, parseNftHandles, parseNftJson, type Ruleset } from './index.ts';

// Properties of the iptables-save and nft JSON readers over damaged tool output: a rule set whose
// every rule sits in a chain of a table, or MESHCAP_ERR_RULESET_SYNTAX (400) naming the line;
// never another throw, never slow. Starting points are the real tool output in __fixtures__.

const params = fuzzSettings(7002);
const fixture = (name: string): string => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');

const SAVES = ['nft-v4-mixed.save', 'legacy-v4-mixed.save', 'nft-v6-kuma.save', 'legacy-v6-kuma.save'].map(fixture);
const SAVE_LINES = SAVES.flatMap((t) => t.split('\n'));
const TOKENS = [...new Set(SAVE_LINES.flatMap((l) => l.split(' ')))];
const NFT = JSON.parse(fixture('nft-meshcap-table.json')) as Json;
const NFT_TEXT = fixture('nft-meshcap-table.txt');

function checkRuleset(rs: Ruleset): void {
  for (const t of rs.tables) for (const c of t.chains) for (const r of c.rules) expect(r.chain).toBe(c.name);
  JSON.stringify(rs); // what the API sends: no cycles, nothing unserialisable
}

function checkError(err: unknown): void {
  if (!(err instanceof MeshcapError)) throw err;
  expect(err.code).toBe('MESHCAP_ERR_RULESET_SYNTAX');
  expect(err.status).toBe(400);
  expect(err.message.length).toBeGreaterThan(0);
}

const token = fc.oneof(fc.constantFrom(...TOKENS), fc.constantFrom('"', '"a b', '\\', '!', '-m', '--comment', '[1:2]', '[x:y]', '[-1:0]', '0xffffffffff', '65536', '1:0', '::', '1.2.3.4/33', ''), fc.string({ maxLength: 8 }));
const lineEdit = fc.oneof(
  fc.tuple(fc.constant('delete' as const), fc.nat()),
  fc.tuple(fc.constant('duplicate' as const), fc.nat()),
  fc.tuple(fc.constant('swap' as const), fc.nat(), fc.nat()),
  fc.tuple(fc.constant('token' as const), fc.nat(), fc.nat(), token),
  fc.tuple(fc.constant('insert' as const), fc.nat(), fc.constantFrom(...SAVE_LINES)),
  fc.tuple(fc.constant('truncate' as const), fc.nat(), fc.nat()),
);
type LineEdit = typeof lineEdit extends fc.Arbitrary<infer T> ? T : never;

function editLines(lines: string[], edit: LineEdit): string[] {
  const out = [...lines];
  const at = (n: number) => (out.length ? n % out.length : 0);
  switch (edit[0]) {
    case 'delete':
      out.splice(at(edit[1]), 1);
      break;
    case 'duplicate':
      out.splice(at(edit[1]), 0, out[at(edit[1])] ?? '');
      break;
    case 'swap': {
      const [a, b] = [at(edit[1]), at(edit[2])];
      [out[a], out[b]] = [out[b] ?? '', out[a] ?? ''];
      break;
    }
    case 'token': {
      const words = (out[at(edit[1])] ?? '').split(' ');
      words[edit[2] % Math.max(1, words.length)] = edit[3];
      out[at(edit[1])] = words.join(' ');
      break;
    }
    case 'insert':
      out.splice(at(edit[1]), 0, edit[2]);
      break;
    case 'truncate': {
      const l = out[at(edit[1])] ?? '';
      out[at(edit[1])] = l.slice(0, edit[2] % (l.length + 1));
      break;
    }
  }
  return out;
}

const damagedSave = fc.tuple(fc.constantFrom(...SAVES), fc.array(lineEdit, { minLength: 1, maxLength: 6 })).map(([text, edits]) => edits.reduce(editLines, text.split('\n')).join('\n'));

const nftValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, '', 'inet', 'ip6', 'nat', 'prerouting', 'accept', 'drop', 'redirect', '==', '!=', 'tcp', 'dport', -1, 0, 65536, 1e300, [], {}, { meta: { key: 'l4proto' } }, { jump: { target: 'nowhere' } }, { goto: { target: 'prerouting' } }, { set: [1, 2] }, { range: [2, 1] }, { prefix: { addr: '::', len: 200 } }),
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
);
const damagedNft = fc
  .tuple(fc.array(fc.tuple(fc.nat(), fc.constantFrom('replace' as const, 'delete' as const, 'add' as const), nftValue, fc.constantFrom('family', 'table', 'chain', 'expr', 'handle', 'hook', 'prio', 'policy', 'x')), { minLength: 1, maxLength: 5 }))
  .map(([edits]) => mutateJson(NFT, edits));

describe(`rule set reader properties (${params.numRuns} inputs each, seed ${params.seed})`, () => {
  it('iptables-save -c text, damaged line by line: a rule set or a coded 400; never another throw, never slow', () => {
    let parsed = 0;
    fc.assert(
      fc.property(fc.oneof({ arbitrary: damagedSave, weight: 6 }, { arbitrary: fc.string({ maxLength: 300 }), weight: 1 }), (text) => {
        withinTime(() => {
          try {
            checkRuleset(parseIptablesSave(text, { origin: 'fuzz' }));
            parsed++;
          } catch (err) {
            checkError(err);
          }
        });
      }),
      params,
    );
    expect(parsed).toBeGreaterThan(0);
  });

  it('nft -j list ruleset, damaged anywhere in its JSON (as text and as a value): a rule set or a coded 400', () => {
    let parsed = 0;
    const handles = parseNftHandles(NFT_TEXT);
    fc.assert(
      fc.property(fc.oneof({ arbitrary: damagedNft, weight: 6 }, { arbitrary: fc.jsonValue() as fc.Arbitrary<Json>, weight: 1 }), fc.boolean(), (value, asText) => {
        withinTime(() => {
          try {
            checkRuleset(parseNftJson(asText ? JSON.stringify(value) : (value as never), { origin: 'fuzz', texts: handles }));
            parsed++;
          } catch (err) {
            checkError(err);
          }
        });
      }),
      params,
    );
    expect(parsed).toBeGreaterThan(0);
  });

  it('nft JSON text cut or with a byte changed, and the `nft -a list` handles text damaged: never another throw', () => {
    const text = fixture('nft-meshcap-table.json');
    fc.assert(
      fc.property(fc.nat(), fc.nat({ max: 255 }), fc.string({ maxLength: 200 }), (at, byte, handlesText) => {
        const i = at % text.length;
        const cut = text.slice(0, i);
        const flipped = `${text.slice(0, i)}${String.fromCharCode(byte)}${text.slice(i + 1)}`;
        withinTime(() => {
          for (const t of [cut, flipped]) {
            try {
              checkRuleset(parseNftJson(t, { origin: 'fuzz' }));
            } catch (err) {
              checkError(err);
            }
          }
          const handles = parseNftHandles(`${NFT_TEXT.slice(0, i % NFT_TEXT.length)}${handlesText}`);
          expect(handles).toBeInstanceOf(Map);
        });
      }),
      params,
    );
  });
});
