/** Connection status of a dataplane, as a colored pill with an accessible label. */
export function StatusBadge({ connected }: { connected: boolean }) {
  return (
    <span
      role="status"
      aria-label={connected ? 'connected' : 'disconnected'}
      className={`inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium ${
        connected ? 'bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300' : 'bg-rose-100 text-rose-800 dark:bg-rose-950 dark:text-rose-300'
      }`}
    >
      {connected ? 'Online' : 'Offline'}
    </span>
  );
}
