import { isApiError } from '../lib/api-client.ts';

/** An error from the API (code, message, and each issue with its field path), or any other error. */
export function ErrorBox({ error, title, onRetry }: { error: unknown; title?: string; onRetry?: () => void }) {
  const api = isApiError(error) ? error : null;
  const message = error instanceof Error ? error.message : String(error);
  // The API's message of a validation error is its issues joined: said once, in the list below.
  const repeatsIssues = api !== null && api.issues.length > 0 && api.issues.every((i) => message.includes(i.message));
  return (
    <div role="alert" className="rounded-md border border-rose-300 bg-rose-50 p-3 text-sm text-rose-900 dark:border-rose-800 dark:bg-rose-950/60 dark:text-rose-100">
      <div className="flex items-start justify-between gap-3">
        <div className="min-w-0">
          <p className="font-medium">{title ?? 'Something went wrong'}</p>
          {!repeatsIssues && <p className="mt-0.5 break-words">{message}</p>}
          {api && api.code !== 'NETWORK' && <p className="mt-1 font-mono text-xs">{api.code}</p>}
          {api && api.issues.length > 0 && (
            <ul className="mt-2 list-disc space-y-0.5 pl-5 text-xs">
              {api.issues.map((issue, i) => (
                <li key={i}>
                  {issue.path && <code className="font-mono">{issue.path}</code>}
                  {issue.line !== undefined && <span> (line {issue.line}{issue.column !== undefined ? `:${issue.column}` : ''})</span>}
                  {(issue.path || issue.line !== undefined) && ': '}
                  {issue.message}
                </li>
              ))}
            </ul>
          )}
        </div>
        {onRetry && (
          <button type="button" className="btn-secondary shrink-0" onClick={onRetry}>
            Retry
          </button>
        )}
      </div>
    </div>
  );
}
