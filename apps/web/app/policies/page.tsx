import { PageTitle } from '~/components/page-title.tsx';
import { PolicyList } from '~/features/policies/components/policy-list.tsx';

export const metadata = { title: 'Policies · meshcap' };

export default function PoliciesPage() {
  return (
    <>
      <PageTitle title="Policies" />
      <PolicyList />
    </>
  );
}
