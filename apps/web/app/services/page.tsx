import { PageTitle } from '~/components/page-title.tsx';
import { ServiceMapView } from '~/features/service-map/components/service-map-view.tsx';

export const metadata = { title: 'Service map · meshcap' };

export default function ServicesPage() {
  return (
    <>
      <PageTitle title="Service map" />
      <ServiceMapView />
    </>
  );
}
