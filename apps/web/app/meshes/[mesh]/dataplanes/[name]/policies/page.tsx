import { DataplanePolicies } from '~/features/policies/components/dataplane-policies.tsx';
import { dataplaneParams, type DataplaneParams } from '../params.ts';

export default async function PoliciesTabPage({ params }: { params: DataplaneParams }) {
  const { mesh, name } = await dataplaneParams(params);
  return <DataplanePolicies mesh={mesh} name={name} />;
}
