import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, type RenderResult } from '@testing-library/react';
import type { ReactNode } from 'react';
import { TokenProvider } from '../features/auth/components/token-provider.tsx';

/** Renders inside the providers the app has (react-query, token), with a fresh cache per test. */
export function renderApp(ui: ReactNode): RenderResult & { client: QueryClient } {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false, refetchInterval: false }, mutations: { retry: false } } });
  const result = render(
    <QueryClientProvider client={client}>
      <TokenProvider>{ui}</TokenProvider>
    </QueryClientProvider>,
  );
  return { ...result, client };
}
