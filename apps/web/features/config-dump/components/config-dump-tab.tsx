'use client';

import { QueryState } from '../../../components/query-state.tsx';
import { useUrlState } from '../../../lib/url-state.ts';
import { useConfigDump } from '../api/get-config-dump.ts';
import { useConfigDumpVersions } from '../api/get-config-dump-versions.ts';
import { ConfigDumpHistory } from './config-dump-history.tsx';
import { ConfigDumpViewer } from './config-dump-viewer.tsx';

export function ConfigDumpTab({ mesh, name }: { mesh: string; name: string }) {
  // No `?version=`: what the dataplane runs (else the newest); a version: one picked from the history.
  const [url, writeUrl] = useUrlState();
  const version = url.get('version') ?? undefined;
  const setVersion = (v: string | undefined) => writeUrl({ version: v }, 'push');
  const dump = useConfigDump(mesh, name, version);
  const versions = useConfigDumpVersions(mesh, name);
  const shownVersion = version ?? versions.data?.running ?? versions.data?.latest ?? undefined;
  return (
    <div className="space-y-4">
      <p className="muted text-xs" aria-live="polite">
        Showing {version ? <span className="font-mono">version {version}</span> : 'the version the dataplane runs'}
        {version && (
          <>
            {' · '}
            <button type="button" className="link" onClick={() => setVersion(undefined)}>
              back to the running version
            </button>
          </>
        )}
      </p>
      <QueryState query={dump} label="config dump">
        {(d) => <ConfigDumpViewer dump={d} dataplane={name} version={shownVersion} />}
      </QueryState>
      <ConfigDumpHistory mesh={mesh} name={name} shown={version} onShow={setVersion} />
    </div>
  );
}
