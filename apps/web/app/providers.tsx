'use client';

import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { isApiError } from '~/lib/api-client.ts';
import { TokenProvider } from '~/features/auth/components/token-provider.tsx';

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 2_000,
        refetchOnWindowFocus: false,
        // Asking again helps only when nothing answered (network, a proxy's 502); an answer from
        // the API (4xx, or 503/504: the dataplane is away) says what is wrong at once.
        retry: (count, err) => count < 2 && isApiError(err) && (err.status === 0 || err.status === 502),
      },
    },
  });
}

export function Providers({ children }: { children: ReactNode }) {
  const [client] = useState(makeQueryClient);
  return (
    <QueryClientProvider client={client}>
      <TokenProvider>{children}</TokenProvider>
    </QueryClientProvider>
  );
}
