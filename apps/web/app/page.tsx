import { StatusBadge } from '../components/status-badge.tsx';

export default function OverviewPage() {
  return (
    <main className="mx-auto max-w-6xl p-6">
      <h1 className="text-2xl font-semibold">meshcap</h1>
      <p className="mt-2 text-slate-600 dark:text-slate-400">
        Dashboard of the control plane. <StatusBadge connected={false} />
      </p>
    </main>
  );
}
