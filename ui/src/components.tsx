// Shared pieces: state and health badges, API error messages, progress, confirmation, sparklines, copy.
import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { errorText } from './api';
import type { PeeringState } from './types';

export function ErrorMessage(props: { error: unknown; title?: string }): JSX.Element | null {
  if (props.error === undefined || props.error === null) return null;
  return (
    <div class="error" role="alert">
      <strong>{props.title ?? 'The agent answered with an error'}:</strong> <span class="error-text">{errorText(props.error)}</span>
    </div>
  );
}

export function Progress(props: { label: string }): JSX.Element {
  return (
    <div class="progress" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" /> {props.label}
    </div>
  );
}

export function Notice(props: { children: ComponentChildren }): JSX.Element {
  return <p class="notice" role="note">{props.children}</p>;
}

const STATE_CLASS: Record<string, string> = {
  ACTIVE: 'ok',
  PENDING: 'wait',
  ESTABLISHING: 'wait',
  FAILING: 'bad',
  DELETING: 'gone',
  TERMINATED: 'gone',
  UNDEFINED: 'gone',
};

export function StateBadge(props: { state: PeeringState | string }): JSX.Element {
  return <span class={`badge ${STATE_CLASS[props.state] ?? 'gone'}`}>{props.state}</span>;
}

export function HealthCounts(props: { passing: number; warning: number; critical: number }): JSX.Element {
  const { passing, warning, critical } = props;
  const label = `${passing} passing, ${warning} warning, ${critical} critical`;
  return (
    <span class="health" aria-label={label} title={label}>
      <span class="badge ok">{passing} ✓</span>
      {warning > 0 && <span class="badge wait">{warning} !</span>}
      {critical > 0 && <span class="badge bad">{critical} ✗</span>}
    </span>
  );
}

export function CheckStatus(props: { status: string }): JSX.Element {
  const cls = props.status === 'passing' ? 'ok' : props.status === 'warning' ? 'wait' : 'bad';
  return <span class={`badge ${cls}`}>{props.status}</span>;
}

/** A modal confirmation (native <dialog>): focus lands on Cancel; Escape cancels. */
export function ConfirmDialog(props: { title: string; body: ComponentChildren; confirmLabel: string; onConfirm: () => void; onCancel: () => void }): JSX.Element {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  return (
    <dialog ref={ref} class="dialog" aria-labelledby="confirm-title" onCancel={(e) => { e.preventDefault(); props.onCancel(); }}>
      <h2 id="confirm-title">{props.title}</h2>
      <div>{props.body}</div>
      <div class="actions">
        <button type="button" autofocus onClick={props.onCancel}>Cancel</button>
        <button type="button" class="danger" onClick={props.onConfirm}>{props.confirmLabel}</button>
      </div>
    </dialog>
  );
}

/** A small line chart of recent values (null = no data at that time), with the latest and largest values as text. */
export function Sparkline(props: { values: (number | null)[]; label: string; unit?: string; width?: number; height?: number }): JSX.Element {
  const w = props.width ?? 160;
  const h = props.height ?? 32;
  const unit = props.unit ?? 's';
  const vals = props.values;
  const present = vals.filter((v): v is number => v !== null);
  // At least a 5-unit scale, so sub-second jitter does not fill the chart.
  const top = Math.max(5, ...present);
  const step = vals.length > 1 ? w / (vals.length - 1) : 0;
  const pt = (v: number, i: number): [number, number] => [i * step, h - 3 - (v / top) * (h - 6)];
  let d = '';
  vals.forEach((v, i) => {
    if (v === null) return;
    const [x, y] = pt(v, i);
    d += `${d === '' || vals[i - 1] === null ? 'M' : 'L'}${x.toFixed(1)},${y.toFixed(1)} `;
  });
  const lastIndex = vals.length - 1;
  const last = vals[lastIndex];
  const max = present.length ? Math.max(...present) : 0;
  const summary = present.length === 0 ? `${props.label}: no data yet` : `${props.label}: now ${last === null || last === undefined ? 'unknown' : `${last.toFixed(1)} ${unit}`}, max ${max.toFixed(1)} ${unit} over ${vals.length} samples`;
  const dot = last !== null && last !== undefined ? pt(last, lastIndex) : undefined;
  return (
    <span class="spark">
      <svg class="sparkline" width={w} height={h} viewBox={`0 0 ${w} ${h}`} role="img" aria-label={summary}>
        <title>{summary}</title>
        <rect x="0" y="0" width={w} height={h} class="spark-bg" />
        {d && <path d={d} class="spark-line" fill="none" />}
        {dot && <circle cx={dot[0]} cy={dot[1]} r="2.5" class="spark-dot" />}
      </svg>
      <span class="spark-text" aria-hidden="true">
        {present.length === 0 ? 'no data' : `${last === null || last === undefined ? '—' : last.toFixed(1)} ${unit} · max ${max.toFixed(1)}`}
      </span>
    </span>
  );
}

export function CopyButton(props: { text: string; label: string }): JSX.Element {
  const [done, setDone] = useState<string>('');
  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(props.text);
      setDone('Copied to the clipboard');
    } catch {
      // Clipboard API refused (permissions): fall back to selecting the text for Ctrl-C.
      const ta = document.createElement('textarea');
      ta.value = props.text;
      document.body.appendChild(ta);
      ta.select();
      const ok = document.execCommand('copy');
      ta.remove();
      setDone(ok ? 'Copied to the clipboard' : 'Copy failed: select the token and press Ctrl-C');
    }
  };
  return (
    <span>
      <button type="button" onClick={() => void copy()}>{props.label}</button>
      <span role="status" class="copied">{done}</span>
    </span>
  );
}

export function DefinitionList(props: { items: [string, ComponentChildren][] }): JSX.Element {
  return (
    <dl class="facts">
      {props.items.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
