import type { ConfigDumpChange, ConfigDumpDiff } from './api/types.ts';

/**
 * Fields every new config version changes in every resource it touches: on their own they say only
 * "a new version was made". The diff hides them by default so what changed in the config shows.
 */
export const NOISE_FIELDS = ['version_info', 'last_updated'] as const;

const isNoiseKey = (key: unknown) => (NOISE_FIELDS as readonly unknown[]).includes(key);

export function isNoiseChange(c: ConfigDumpChange): boolean {
  const last = c.segments.length > 0 ? c.segments[c.segments.length - 1] : /\.(\w+)$/.exec(c.path)?.[1];
  return isNoiseKey(last);
}

const NOISE_LINE = new RegExp(`^[+-]\\s*"(${NOISE_FIELDS.join('|')})":`);

/** The unified text without the noise lines, and without the hunks that changed nothing else. */
function quietUnified(unified: string): string {
  const out: string[] = [];
  let hunk: string[] | null = null;
  const flush = () => {
    if (hunk && hunk.slice(1).some((l) => (l.startsWith('+') || l.startsWith('-')) && !NOISE_LINE.test(l))) out.push(...hunk.filter((l) => !NOISE_LINE.test(l)));
    hunk = null;
  };
  for (const line of unified.split('\n')) {
    if (line.startsWith('@@')) {
      flush();
      hunk = [line];
    } else if (hunk) hunk.push(line);
    else out.push(line);
  }
  flush();
  return out.join('\n');
}

/** The diff as shown: without the noise unless asked for; `hidden` counts the changes left out. */
export function diffShown(diff: ConfigDumpDiff, showNoise: boolean): { changes: ConfigDumpChange[]; unified: string; hidden: number } {
  if (showNoise) return { changes: diff.changes, unified: diff.unified, hidden: 0 };
  const changes = diff.changes.filter((c) => !isNoiseChange(c));
  return { changes, unified: quietUnified(diff.unified), hidden: diff.changes.length - changes.length };
}
