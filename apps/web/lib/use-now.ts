import { useEffect, useState } from 'react';

/** The current time, refreshed every `everyMs`, so "12s ago" labels keep moving. */
export function useNow(everyMs = 5_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}
