import { RulesTab } from '~/features/rules/components/rules-tab.tsx';
import { dataplaneParams, type DataplaneParams } from '../params.ts';

export default async function RulesPage({ params }: { params: DataplaneParams }) {
  const { mesh, name } = await dataplaneParams(params);
  return <RulesTab mesh={mesh} name={name} />;
}
