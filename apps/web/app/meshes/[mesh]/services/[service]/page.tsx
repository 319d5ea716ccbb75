import { Breadcrumb } from '~/components/breadcrumb.tsx';
import { PageTitle } from '~/components/page-title.tsx';
import { meshHref } from '~/features/dataplanes/dataplane-href.ts';
import { ServiceDataplanes } from '~/features/metrics/components/service-dataplanes.tsx';
import { GoldenMetricsPanel } from '~/features/metrics/components/golden-metrics-panel.tsx';

export const metadata = { title: 'Service · meshcap' };

export default async function ServicePage({ params }: { params: Promise<{ mesh: string; service: string }> }) {
  const p = await params;
  const mesh = decodeURIComponent(p.mesh);
  const service = decodeURIComponent(p.service);
  return (
    <>
      <Breadcrumb items={[{ label: 'Overview', href: '/' }, { label: `mesh ${mesh}`, href: meshHref(mesh) }, { label: 'services', href: '/services' }, { label: service }]} />
      <PageTitle title={service} />
      <div className="space-y-4">
        <GoldenMetricsPanel scope={{ kind: 'service', mesh, name: service }} title="Golden metrics (requests the service received)" />
        <ServiceDataplanes mesh={mesh} service={service} />
      </div>
    </>
  );
}
