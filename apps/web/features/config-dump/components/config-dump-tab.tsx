'use client';

import { QueryState } from '../../../components/query-state.tsx';
import { configDumpDownloadUrl, useConfigDump } from '../api/get-config-dump.ts';
import { ConfigDumpHistory } from './config-dump-history.tsx';
import { ConfigDumpViewer } from './config-dump-viewer.tsx';

export function ConfigDumpTab({ mesh, name }: { mesh: string; name: string }) {
  const dump = useConfigDump(mesh, name);
  return (
    <div className="space-y-4">
      <QueryState query={dump} label="config dump">
        {(d) => <ConfigDumpViewer dump={d} fileName={`${name}-config_dump.json`} exportHref={configDumpDownloadUrl(mesh, name)} />}
      </QueryState>
      <ConfigDumpHistory mesh={mesh} name={name} />
    </div>
  );
}
