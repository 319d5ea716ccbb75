'use client';

import { useState } from 'react';
import { QueryState } from '../../../components/query-state.tsx';
import { configDumpDownloadUrl, useConfigDump } from '../api/get-config-dump.ts';
import { ConfigDumpHistory } from './config-dump-history.tsx';
import { ConfigDumpViewer } from './config-dump-viewer.tsx';

export function ConfigDumpTab({ mesh, name }: { mesh: string; name: string }) {
  // undefined: what the dataplane runs (else the newest); a version: one picked from the history.
  const [version, setVersion] = useState<string | undefined>(undefined);
  const dump = useConfigDump(mesh, name, version);
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
        {(d) => <ConfigDumpViewer dump={d} fileName={`${name}-config_dump.json`} exportHref={configDumpDownloadUrl(mesh, name, version)} />}
      </QueryState>
      <ConfigDumpHistory mesh={mesh} name={name} shown={version} onShow={setVersion} />
    </div>
  );
}
