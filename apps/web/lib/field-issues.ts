/**
 * The issues of an API validation error that name a field of a form, mapped to that field in words
 * a user reads (zod's `Invalid input: expected number, received null` becomes `must be a number`),
 * and the issues no field of the form owns, left for the form's error box.
 */
import { isApiError, type ApiIssue } from './api-client.ts';

export interface FieldIssues<F extends string> {
  byField: Partial<Record<F, string>>;
  /** Issues that name no field of the form (or the error was not a validation error). */
  rest: ApiIssue[];
}

/** `fields` maps the API's issue path (`body.dstPort`) to the form's field key. */
export function fieldIssues<F extends string>(error: unknown, fields: Record<string, F>): FieldIssues<F> {
  const byField: Partial<Record<F, string>> = {};
  const rest: ApiIssue[] = [];
  if (!isApiError(error)) return { byField, rest };
  for (const issue of error.issues) {
    const field = issue.path !== undefined ? fields[issue.path] : undefined;
    if (field === undefined) rest.push(issue);
    // The first issue of a field says what to fix first; a second one would repeat it in other words.
    else byField[field] ??= humanIssue(issue.message);
  }
  return { byField, rest };
}

/** zod's messages, as a field's label would be followed by them: `Destination port` `must be a number`. */
export function humanIssue(message: string): string {
  const text = message.replace(/^Invalid input:\s*/, '').replace(/^"[^"]*":\s*/, '');
  if (/^expected (number|int), received (null|NaN|string|undefined)/.test(text)) return 'must be a number';
  if (/^expected int, received number/.test(text)) return 'must be a whole number';
  const small = /^Too small: expected \w+ to be >=?\s*(-?[\d.]+)/.exec(text);
  if (small) return `must be at least ${small[1]}`;
  const big = /^Too big: expected \w+ to be <=?\s*(-?[\d.]+)/.exec(text);
  if (big) return `must be at most ${big[1]}`;
  if (/^expected string, received (undefined|null)/.test(text)) return 'is required';
  return text;
}
