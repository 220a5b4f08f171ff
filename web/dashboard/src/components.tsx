import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';

import { ApiError } from './api';
import { shortTime } from './format';
import { navigate, withParam } from './router';

const TONE: Readonly<Record<string, string>> = {
  succeeded: 'ok',
  published: 'ok',
  started: 'ok',
  accepted: 'ok',
  approved: 'ok',
  Succeeded: 'ok',
  running: 'busy',
  queued: 'busy',
  pending: 'busy',
  received: 'busy',
  coalesced: 'busy',
  awaitingApproval: 'wait',
  Updating: 'busy',
  Creating: 'busy',
  failed: 'bad',
  rejected: 'bad',
  rolledBack: 'bad',
  Failed: 'bad',
  canceled: 'muted',
  superseded: 'muted',
  duplicate: 'muted',
  ignored: 'muted',
  skipped: 'muted',
};

export function Status(props: { value: string | undefined }) {
  const value = props.value ?? 'unknown';
  return (
    <span class={`status status-${TONE[value] ?? 'muted'}`} data-status={value}>
      {value}
    </span>
  );
}

export function ErrorBox(props: { error: ApiError | Error | undefined }) {
  const e = props.error;
  if (!e) return null;
  const fields = e instanceof ApiError ? e.fields : [];
  return (
    <div class="error" role="alert">
      <strong>{e instanceof ApiError ? e.title : 'Error'}</strong> {e instanceof ApiError ? e.detail : e.message}
      {fields.length > 0 && (
        <ul>
          {fields.map((f) => (
            <li key={`${f.field}:${f.message}`}>
              {f.field && <code>{f.field}</code>} {f.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Shows the data once it is there; the first load and errors in between. */
export function Loaded<T>(props: {
  live: { data: T | undefined; error: ApiError | undefined };
  children: (data: T) => ComponentChildren;
}) {
  const { data, error } = props.live;
  return (
    <>
      <ErrorBox error={error} />
      {data === undefined ? !error && <p class="muted">Loading…</p> : props.children(data)}
    </>
  );
}

export function Page(props: { title: ComponentChildren; actions?: ComponentChildren; children: ComponentChildren }) {
  return (
    <section class="page">
      <header class="page-head">
        <h1>{props.title}</h1>
        <div class="actions">{props.actions}</div>
      </header>
      {props.children}
    </section>
  );
}

export function Facts(props: { items: readonly [string, ComponentChildren][] }) {
  return (
    <dl class="facts">
      {props.items
        .filter(([, v]) => v !== undefined && v !== null && v !== '' && v !== false)
        .map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
    </dl>
  );
}

export function Time(props: { iso: string | undefined }) {
  return <time dateTime={props.iso}>{shortTime(props.iso)}</time>;
}

/**
 * A button that runs one operation: asks for confirmation (and an optional note) first, shows the outcome, and
 * cannot be pressed twice while the request is in flight.
 */
export function ActionButton(props: {
  label: string;
  confirm: string;
  /** A note field (comment or reason) sent with the action. */
  note?: string;
  tone?: 'primary' | 'danger';
  testId?: string;
  run: (note: string) => Promise<string>;
}) {
  const [open, setOpen] = useState(false);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | undefined>();
  const [error, setError] = useState<ApiError | Error | undefined>();

  const go = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      const text = await props.run(note.trim());
      setOutcome({ ok: true, text });
      setOpen(false);
      setNote('');
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <span class="action">
      <button
        type="button"
        class={props.tone ?? ''}
        data-testid={props.testId}
        onClick={() => {
          setOpen(!open);
          setOutcome(undefined);
        }}
      >
        {props.label}
      </button>
      {open && (
        <div class="confirm" role="dialog" aria-label={props.label}>
          <p>{props.confirm}</p>
          {props.note && (
            <label>
              {props.note}
              <input
                type="text"
                value={note}
                maxLength={500}
                onInput={(e) => setNote((e.target as HTMLInputElement).value)}
              />
            </label>
          )}
          <div class="confirm-buttons">
            <button
              type="button"
              class={props.tone ?? 'primary'}
              disabled={busy}
              data-testid={props.testId ? `${props.testId}-confirm` : undefined}
              onClick={() => void go()}
            >
              {busy ? 'Sending…' : `Confirm ${props.label.toLowerCase()}`}
            </button>
            <button type="button" onClick={() => setOpen(false)}>
              Cancel
            </button>
          </div>
          <ErrorBox error={error} />
        </div>
      )}
      {outcome && (
        <span class="outcome" role="status">
          {outcome.text}
        </span>
      )}
    </span>
  );
}

/** A small form control row for list filters. */
export function Filter(props: { label: string; children: ComponentChildren }) {
  return (
    <label class="filter">
      <span>{props.label}</span>
      {props.children}
    </label>
  );
}

/** A filter menu whose value lives in the page's address (so a filtered view can be bookmarked and shared). */
export function SelectFilter(props: {
  label: string;
  name: string;
  segments: readonly string[];
  query: URLSearchParams;
  options: readonly (string | readonly [string, string])[];
  allLabel?: string;
}) {
  return (
    <Filter label={props.label}>
      <select
        name={props.name}
        value={props.query.get(props.name) ?? ''}
        onChange={(e) =>
          navigate(withParam(props.segments, props.query, props.name, (e.target as HTMLSelectElement).value))
        }
      >
        <option value="">{props.allLabel ?? 'all'}</option>
        {[...props.options, ...extra(props.options, props.query.get(props.name))].map((o) => {
          const [value, label] = typeof o === 'string' ? [o, o] : o;
          return (
            <option key={value} value={value}>
              {label}
            </option>
          );
        })}
      </select>
    </Filter>
  );
}

/** A value in the address that the menu does not list (e.g. models not loaded yet) still shows as selected. */
function extra(options: readonly (string | readonly [string, string])[], value: string | null): string[] {
  if (!value) return [];
  return options.some((o) => (typeof o === 'string' ? o : o[0]) === value) ? [] : [value];
}

const SINCE: readonly (readonly [string, string])[] = [
  ['1h', '1 hour'],
  ['24h', '24 hours'],
  ['7d', '7 days'],
  ['30d', '30 days'],
];

/** "Since" menu of the list pages (`since` in the address; the page turns it into the API's `from`). */
export function SinceFilter(props: { segments: readonly string[]; query: URLSearchParams }) {
  return (
    <SelectFilter
      label="Since"
      name="since"
      segments={props.segments}
      query={props.query}
      allLabel="any time"
      options={SINCE}
    />
  );
}
