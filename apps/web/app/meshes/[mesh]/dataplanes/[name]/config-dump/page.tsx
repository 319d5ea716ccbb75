import { ConfigDumpTab } from '~/features/config-dump/components/config-dump-tab.tsx';
import { dataplaneParams, type DataplaneParams } from '../params.ts';

export default async function ConfigDumpPage({ params }: { params: DataplaneParams }) {
  const { mesh, name } = await dataplaneParams(params);
  return <ConfigDumpTab mesh={mesh} name={name} />;
}
