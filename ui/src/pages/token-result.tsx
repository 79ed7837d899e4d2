// A generated peering token, shown once with a copy button.
import type { JSX } from 'preact';
import { CopyButton } from '../components';

export function TokenResult(props: { name: string; token: string }): JSX.Element {
  return (
    <div class="token-result">
      <label>
        Peering token for {props.name}
        <textarea readOnly rows={5} value={props.token} onFocus={(e) => (e.target as HTMLTextAreaElement).select()} />
      </label>
      <CopyButton text={props.token} label="Copy token" />
      <p class="muted">Paste it into the other cluster's “Establish peering” form. It can be used once.</p>
    </div>
  );
}
