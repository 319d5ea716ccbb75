'use client';

import { useEffect, useRef, useState, type FormEvent } from 'react';
import { LabeledField } from '../../../components/labeled-field.tsx';
import { ErrorBox } from '../../../components/error-box.tsx';
import { isApiError } from '../../../lib/api-client.ts';
import { fieldIssues } from '../../../lib/field-issues.ts';
import { useUrlState } from '../../../lib/url-state.ts';
import { TRACE_URL_KEYS as K } from '../trace-url.ts';
import type { TraceRequest, TraceResult } from '../api/types.ts';
import { stepText, verdictText } from '../trace-marks.ts';

/** The API's issue paths of a trace request → the form's fields. */
const FIELD_OF_PATH = { 'body.direction': 'direction', 'body.src': 'src', 'body.dst': 'dst', 'body.dstPort': 'port', 'body.uid': 'uid' } as const;
type Field = (typeof FIELD_OF_PATH)[keyof typeof FIELD_OF_PATH];

/**
 * Describe a packet and ask the API which rules it visits and which one decides. The source starts
 * as `defaultSource` (the dataplane's address) until the user types one; the inputs are in the URL.
 */
export function TraceForm({
  onTrace,
  pending,
  error,
  result,
  defaultSource,
}: {
  onTrace: (req: TraceRequest) => void;
  pending: boolean;
  error: unknown;
  result: TraceResult | undefined;
  defaultSource?: string | undefined;
}) {
  // The inputs live in the URL (`?tdir=&tsrc=&tdst=&tport=&tuid=`, and `trace=1` once run), so a
  // traced packet can be shared, reloaded, or opened prefilled from a flow ("Trace this flow").
  const [url, writeUrl] = useUrlState();
  const [srcTouched, setSrcTouched] = useState(false);
  const lastRun = useRef<string | null>(null);
  const form = {
    direction: url.get(K.direction) === 'inbound' ? 'inbound' : 'outbound',
    // No source in the URL: the dataplane's address, until the user edits the field.
    src: url.get(K.src) ?? (srcTouched ? '' : (defaultSource ?? '')),
    dst: url.get(K.dst) ?? '',
    port: url.get(K.port) ?? '',
    uid: url.get(K.uid) ?? '',
  };
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => {
    if (k === 'src') setSrcTouched(true);
    writeUrl({ [K[k]]: e.target.value, [K.run]: null });
  };
  const { byField, rest } = fieldIssues<Field>(error, FIELD_OF_PATH);
  const fieldErrors = Object.keys(byField).length;

  const request = (): TraceRequest => ({
    direction: form.direction === 'inbound' ? 'inbound' : 'outbound',
    src: form.src.trim(),
    dst: form.dst.trim(),
    // Numbers are sent as typed: the API validates and names the field when one is wrong.
    dstPort: Number(form.port),
    proto: 'tcp',
    ...(form.uid.trim() ? { uid: Number(form.uid) } : {}),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    writeUrl({ [K.src]: form.src, [K.run]: '1' });
    lastRun.current = window.location.search;
    onTrace(request());
  };
  // Opened with `trace=1` (a shared link, a reload, "Trace this flow"): run it once the inputs are there.
  const qs = url.toString();
  const runnable = url.get(K.run) === '1' && form.src !== '' && form.dst !== '' && form.port !== '';
  useEffect(() => {
    if (!runnable || lastRun.current === window.location.search) return;
    lastRun.current = window.location.search;
    onTrace(request());
    // Runs when the URL asks for another trace (not on every new onTrace/request identity).
  }, [runnable, qs]);

  return (
    <div className="space-y-3">
      <form aria-label="Trace a packet" onSubmit={submit} className="grid grid-cols-2 gap-3 md:grid-cols-[8rem_1fr_1fr_6rem_6rem_auto] md:items-start">
        <LabeledField label="Direction" error={byField.direction}>
          {(id, a11y) => (
            <select id={id} {...a11y} className="field w-full" value={form.direction} onChange={set('direction')}>
              <option value="outbound">outbound</option>
              <option value="inbound">inbound</option>
            </select>
          )}
        </LabeledField>
        <LabeledField label="Source address" error={byField.src}>
          {(id, a11y) => <input id={id} {...a11y} className="field w-full font-mono" placeholder="198.18.0.2" required value={form.src} onChange={set('src')} />}
        </LabeledField>
        <LabeledField label="Destination address" error={byField.dst}>
          {(id, a11y) => <input id={id} {...a11y} className="field w-full font-mono" placeholder="198.18.0.3" required value={form.dst} onChange={set('dst')} />}
        </LabeledField>
        <LabeledField label="Destination port" error={byField.port}>
          {(id, a11y) => <input id={id} {...a11y} className="field w-full font-mono" inputMode="numeric" placeholder="5000" required value={form.port} onChange={set('port')} />}
        </LabeledField>
        <LabeledField label="UID" error={byField.uid}>
          {(id, a11y) => <input id={id} {...a11y} className="field w-full font-mono" inputMode="numeric" placeholder="1000" value={form.uid} onChange={set('uid')} />}
        </LabeledField>
        <button type="submit" className="btn-primary mt-5 justify-center" disabled={pending}>
          {pending ? 'Tracing…' : 'Trace'}
        </button>
      </form>
      {error && fieldErrors > 0 && rest.length === 0 ? (
        <p role="alert" className="text-sm text-rose-700 dark:text-rose-300">
          Trace failed: {fieldErrors === 1 ? 'fix the highlighted field' : `fix the ${fieldErrors} highlighted fields`}.
          {isApiError(error) && <span className="ml-2 font-mono text-xs">{error.code}</span>}
        </p>
      ) : error ? (
        <ErrorBox title="Trace failed" error={error} />
      ) : null}
      {result && !error && (
        <div role="status" aria-label="Trace result" className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm dark:border-amber-800 dark:bg-amber-950/40">
          <p className="font-medium">Verdict: {verdictText(result.verdict)}</p>
          {result.decidedBy && (
            <p className="mt-0.5 text-xs">
              Decided by{' '}
              {result.decidedBy.kind === 'rule' ? (
                <code className="font-mono">{result.decidedBy.rule.text}</code>
              ) : (
                `the ${result.decidedBy.table}/${result.decidedBy.chain} policy ${result.decidedBy.policy}`
              )}
            </p>
          )}
          <ol aria-label="Trace steps" className="mt-2 list-decimal space-y-0.5 pl-6 font-mono text-xs">
            {result.steps.map((s, i) => (
              <li key={i} className={s.result === 'matched' ? 'font-semibold' : s.kind === 'rule' ? '' : 'muted'}>
                <span className="muted">{stepText(s)}</span>{' '}
                {s.kind === 'rule' && s.rule ? (
                  <>
                    {s.result === 'unknown' ? '⚠ cannot evaluate · ' : s.result === 'matched' ? '✓ ' : '✗ '}
                    {s.rule.text}
                    {s.action && ` → ${s.action}`}
                  </>
                ) : (
                  (s.action ?? s.note ?? '')
                )}
              </li>
            ))}
          </ol>
          {result.unknowns.length > 0 && (
            <ul className="mt-2 text-xs text-amber-900 dark:text-amber-200" aria-label="Matches the trace cannot evaluate">
              {result.unknowns.map((u, i) => (
                <li key={i}>
                  ⚠ <code className="font-mono">{u.rule.text}</code>: {u.reasons.join('; ')}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}
