import type { Flow } from '../api/types.ts';
import { verdictBadge } from '../flow-verdict.ts';

/** The flow's verdict, coloured by its outcome (a forwarded 403 is not green), the outcome in its title. */
export function VerdictBadge({ flow }: { flow: Flow }) {
  const { className, ...rest } = verdictBadge(flow);
  return (
    <span className={`rounded px-1.5 py-0.5 text-xs font-medium ${className}`} {...rest}>
      {flow.verdict}
    </span>
  );
}
