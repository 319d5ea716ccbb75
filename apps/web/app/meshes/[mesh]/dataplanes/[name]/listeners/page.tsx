import { ListenerTable } from '~/features/dataplanes/components/listener-table.tsx';
import { dataplaneParams, type DataplaneParams } from '../params.ts';

export default async function ListenersPage({ params }: { params: DataplaneParams }) {
  const { mesh, name } = await dataplaneParams(params);
  return <ListenerTable mesh={mesh} name={name} />;
}
