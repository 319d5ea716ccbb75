import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { cleanup, render, type RenderResult } from '@testing-library/react';
import type { ReactNode } from 'react';
import { TokenProvider } from '../features/auth/components/token-provider.tsx';

const clients = new Set<QueryClient>();

/** Renders inside the providers the app has (react-query, token), with a fresh cache per test. */
export function renderApp(ui: ReactNode): RenderResult & { client: QueryClient } {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false, refetchInterval: false }, mutations: { retry: false } } });
  clients.add(client);
  const result = render(
    <QueryClientProvider client={client}>
      <TokenProvider>{ui}</TokenProvider>
    </QueryClientProvider>,
  );
  return { ...result, client };
}

/** Unmounts and aborts the requests still in flight, so closing the test server cuts nothing off. */
export async function cleanupApp(): Promise<void> {
  cleanup();
  for (const c of clients) {
    await c.cancelQueries();
    c.clear();
  }
  clients.clear();
}
