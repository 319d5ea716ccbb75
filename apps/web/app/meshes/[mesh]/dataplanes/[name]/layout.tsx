import type { ReactNode } from 'react';
import { DataplaneHeader } from './_components/dataplane-header.tsx';
import { DataplaneTabs } from './_components/dataplane-tabs.tsx';
import { dataplaneParams, type DataplaneParams } from './params.ts';

export default async function DataplaneLayout({ params, children }: { params: DataplaneParams; children: ReactNode }) {
  const { mesh, name } = await dataplaneParams(params);
  return (
    <>
      <DataplaneHeader mesh={mesh} name={name} />
      <DataplaneTabs mesh={mesh} name={name}>
        {children}
      </DataplaneTabs>
    </>
  );
}
