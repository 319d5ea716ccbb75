import { useId, type ReactElement } from 'react';

/** What the control needs to be announced as invalid and to point at its error text. */
export interface FieldA11y {
  'aria-invalid'?: true;
  'aria-describedby'?: string;
}

/**
 * A small label above one control; the control receives the id the label points at. With an
 * `error`, the text shows under the control and the control is marked invalid and described by it.
 */
export function LabeledField({
  label,
  error,
  className = '',
  children,
}: {
  label: string;
  error?: string | undefined;
  className?: string;
  children: (id: string, a11y: FieldA11y) => ReactElement;
}) {
  const id = useId();
  const errorId = `${id}-error`;
  return (
    <div className={`flex min-w-0 flex-col gap-1 ${className}`}>
      <label htmlFor={id} className="muted text-xs font-medium">
        {label}
      </label>
      {children(id, error ? { 'aria-invalid': true, 'aria-describedby': errorId } : {})}
      {error && (
        <p id={errorId} className="text-xs text-rose-700 dark:text-rose-300">
          {label} {error}
        </p>
      )}
    </div>
  );
}
