import { Overview } from './_components/overview.tsx';

export default function OverviewPage() {
  return <Overview />;
}
