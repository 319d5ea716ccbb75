import { FlowExplorer } from '~/features/flows/components/flow-explorer.tsx';
import { dataplaneParams, type DataplaneParams } from '../params.ts';

export default async function DataplaneFlowsPage({ params }: { params: DataplaneParams }) {
  const { mesh, name } = await dataplaneParams(params);
  return <FlowExplorer scope={{ mesh, dataplane: name }} />;
}
