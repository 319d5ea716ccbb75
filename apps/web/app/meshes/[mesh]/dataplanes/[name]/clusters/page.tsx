import { ClusterTable } from '~/features/dataplanes/components/cluster-table.tsx';
import { dataplaneParams, type DataplaneParams } from '../params.ts';

export default async function ClustersPage({ params }: { params: DataplaneParams }) {
  const { mesh, name } = await dataplaneParams(params);
  return <ClusterTable mesh={mesh} name={name} />;
}
