import { PageTitle } from '~/components/page-title.tsx';
import { FlowExplorer } from '~/features/flows/components/flow-explorer.tsx';

export const metadata = { title: 'Live flows · meshcap' };

export default function FlowsPage() {
  return (
    <>
      <PageTitle title="Live flows" />
      <FlowExplorer />
    </>
  );
}
