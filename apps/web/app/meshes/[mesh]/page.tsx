import { Breadcrumb } from '~/components/breadcrumb.tsx';
import { PageTitle, Panel } from '~/components/page-title.tsx';
import { MeshDataplanes } from '~/features/dataplanes/components/mesh-dataplanes.tsx';
import { MeshMtlsPanel } from '~/features/mtls/components/mesh-mtls.tsx';
import { meshParams, type MeshParams } from './params.ts';

export default async function MeshPage({ params }: { params: MeshParams }) {
  const { mesh } = await meshParams(params);
  return (
    <>
      <Breadcrumb items={[{ label: 'Overview', href: '/' }, { label: `mesh ${mesh}` }]} />
      <PageTitle title={`Mesh ${mesh}`} />
      <Panel title="Dataplanes">
        <MeshDataplanes mesh={mesh} />
      </Panel>
      <MeshMtlsPanel mesh={mesh} />
    </>
  );
}
