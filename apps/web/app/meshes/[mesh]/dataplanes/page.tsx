import { Breadcrumb } from '~/components/breadcrumb.tsx';
import { PageTitle } from '~/components/page-title.tsx';
import { MeshDataplanes } from '~/features/dataplanes/components/mesh-dataplanes.tsx';
import { meshHref } from '~/features/dataplanes/dataplane-href.ts';
import { meshParams, type MeshParams } from '../params.ts';

export default async function MeshDataplanesPage({ params }: { params: MeshParams }) {
  const { mesh } = await meshParams(params);
  return (
    <>
      <Breadcrumb items={[{ label: 'Overview', href: '/' }, { label: `mesh ${mesh}`, href: meshHref(mesh) }, { label: 'dataplanes' }]} />
      <PageTitle title={`Dataplanes of ${mesh}`} />
      <MeshDataplanes mesh={mesh} />
    </>
  );
}
