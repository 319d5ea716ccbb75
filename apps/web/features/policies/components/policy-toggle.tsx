'use client';

import { useState } from 'react';
import { isApiError } from '../../../lib/api-client.ts';
import { useMutationToken } from '../../auth/components/token-provider.tsx';
import { useTogglePolicy } from '../api/toggle-policy.ts';
import type { MatchedPolicy } from '../api/types.ts';

type Message = { kind: 'ok' | 'error'; text: string };

/**
 * The on/off switch of one policy for one dataplane. It flips at once; if the API refuses, it flips
 * back and says why. On success it names the config version the change produced.
 */
export function PolicyToggle({ mesh, dataplane, policy }: { mesh: string; dataplane: string; policy: MatchedPolicy }) {
  const toggle = useTogglePolicy(mesh, dataplane);
  const { ensureToken, forget } = useMutationToken();
  const [message, setMessage] = useState<Message | null>(null);
  const label = `${policy.type} ${policy.name}`;

  const onClick = async () => {
    const enabled = !policy.enabled;
    const verb = enabled ? 'on' : 'off';
    setMessage(null);
    if (!(await ensureToken(`Turning ${label} ${verb} for ${dataplane} needs the control plane token.`))) return;
    toggle.mutate(
      { type: policy.type, name: policy.name, enabled },
      {
        onSuccess: (r) => setMessage({ kind: 'ok', text: `${label} is ${r.enabled ? 'on' : 'off'} for ${dataplane} — config version ${r.configVersion}.` }),
        onError: (err) => {
          const refused = isApiError(err) && err.status === 401;
          if (refused) forget();
          const why = refused ? 'the token was refused, enter it again' : err.message;
          setMessage({ kind: 'error', text: `Could not turn ${label} ${verb}: ${why}. It is ${enabled ? 'off' : 'on'} again.` });
        },
      },
    );
  };

  return (
    <div className="flex flex-col items-end gap-1">
      <div className="flex items-center gap-2">
        <span className={`text-xs font-medium ${policy.enabled ? 'text-emerald-700 dark:text-emerald-400' : 'muted'}`} aria-hidden>
          {toggle.isPending ? 'Saving…' : policy.enabled ? 'On' : 'Off'}
        </span>
        <button
          type="button"
          role="switch"
          aria-checked={policy.enabled}
          aria-label={label}
          aria-busy={toggle.isPending}
          disabled={toggle.isPending}
          onClick={() => void onClick()}
          className={`relative inline-flex h-6 w-11 shrink-0 items-center rounded-full transition-colors focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-sky-500 disabled:opacity-60 ${
            policy.enabled ? 'bg-emerald-500' : 'bg-slate-300 dark:bg-slate-700'
          }`}
        >
          <span aria-hidden className={`inline-block size-5 rounded-full bg-white shadow transition-transform ${policy.enabled ? 'translate-x-5.5' : 'translate-x-0.5'}`} />
        </button>
      </div>
      {message && (
        <p
          role={message.kind === 'error' ? 'alert' : 'status'}
          className={`max-w-md text-right text-xs ${message.kind === 'error' ? 'text-rose-700 dark:text-rose-300' : 'text-emerald-700 dark:text-emerald-400'}`}
        >
          {message.text}
        </p>
      )}
    </div>
  );
}
