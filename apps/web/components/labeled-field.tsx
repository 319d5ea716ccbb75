import { useId, type ReactElement } from 'react';

/** A small label above one control; the control receives the id the label points at. */
export function LabeledField({ label, className = '', children }: { label: string; className?: string; children: (id: string) => ReactElement }) {
  const id = useId();
  return (
    <div className={`flex min-w-0 flex-col gap-1 ${className}`}>
      <label htmlFor={id} className="muted text-xs font-medium">
        {label}
      </label>
      {children(id)}
    </div>
  );
}
