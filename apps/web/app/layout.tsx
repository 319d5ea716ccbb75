import type { ReactNode } from 'react';
import { AppHeader } from '~/components/app-header.tsx';
import { themeBootScript } from '~/lib/theme.ts';
import './globals.css';
import { Providers } from './providers.tsx';

export const metadata = { title: 'meshcap', description: 'Service-mesh data plane inspector' };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en" suppressHydrationWarning>
      <head>
        <script dangerouslySetInnerHTML={{ __html: themeBootScript }} />
      </head>
      <body className="min-h-screen bg-slate-50 text-slate-900 antialiased dark:bg-slate-950 dark:text-slate-100">
        <Providers>
          <AppHeader />
          <main className="mx-auto max-w-screen-xl px-6 py-6">{children}</main>
        </Providers>
      </body>
    </html>
  );
}
