import { expect, it } from 'vitest';
import { parseResourceObject, parseResources } from '../parse.ts';
import { isPolicyResource } from './index.ts';

/** A Kuma docs manifest (kumahq/kuma-website app/_src/policies/*.md): [where it comes from, its text as written]. */
export type KumaExample = [string, string];

/** Each manifest loads as written, as a policy of the default mesh, and parses again to the same thing (the store round-trips resources). */
export function itLoadsKumaExamples(examples: KumaExample[]): void {
  it.each(examples)('loads Kuma docs %s as written', (_name, text) => {
    const [policy] = parseResources(text);
    expect(policy).toBeDefined();
    expect(isPolicyResource(policy!)).toBe(true);
    expect(policy!.mesh).toBe('default');
  });

  it('parses what it produced again to the same thing (the store round-trips resources)', () => {
    for (const [, text] of examples) {
      const [once] = parseResources(text);
      expect(parseResourceObject(JSON.parse(JSON.stringify(once)))).toEqual(once);
    }
  });
}
