// Login with an ACL token: checked with /v1/acl/token/self, then kept in this browser.
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api';
import { ErrorMessage, Progress } from '../components';
import { usePermissions } from '../permissions';
import { navigate } from '../router';
import { getToken } from '../session';

interface TokenSelf {
  AccessorID: string;
  Description: string;
  Policies?: { Name: string }[];
}

async function tokenSelf(secret: string): Promise<TokenSelf> {
  const res = await fetch('/v1/acl/token/self', { headers: { 'X-Consul-Token': secret }, cache: 'no-store' });
  const text = await res.text();
  if (!res.ok) throw new ApiError(res.status, text.trim() || `${res.status} ${res.statusText}`);
  return JSON.parse(text) as TokenSelf;
}

export function LoginPage(props: { onLogin: (token: string) => void }): JSX.Element {
  const perms = usePermissions();
  const [secret, setSecret] = useState('');
  const [status, setStatus] = useState<{ busy: boolean; error?: unknown }>({ busy: false });
  const [me, setMe] = useState<TokenSelf | undefined>(undefined);
  useEffect(() => {
    document.title = 'Log in · Isthmus';
    const t = getToken();
    if (t) void tokenSelf(t).then(setMe).catch(() => undefined);
  }, []);
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setStatus({ busy: true });
    try {
      const self = await tokenSelf(secret.trim());
      props.onLogin(secret.trim());
      setMe(self);
      setStatus({ busy: false });
      navigate('/services');
    } catch (err) {
      setStatus({ busy: false, error: err });
    }
  };
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Log in</h1>
      {perms.loaded && !perms.aclEnabled && <p role="note">ACLs are disabled on this agent: every action is allowed without a token.</p>}
      {me && (
        <p>
          Logged in with token <code>{me.AccessorID}</code>
          {me.Description && <> ({me.Description})</>}
          {me.Policies && me.Policies.length > 0 && <>; policies: {me.Policies.map((p) => p.Name).join(', ')}</>}.
        </p>
      )}
      <form class="stack" aria-labelledby="page-title" onSubmit={(e) => void submit(e)}>
        <label>
          ACL token (SecretID)
          <input type="password" required autoComplete="off" value={secret} onInput={(e) => setSecret((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit" disabled={status.busy}>Log in</button>
        {status.busy && <Progress label="Checking the token…" />}
        <ErrorMessage error={status.error} title="Login failed" />
      </form>
      <p class="muted">The token is kept in this browser's local storage and sent as X-Consul-Token. The UI asks the agent (POST /v1/internal/acl/authorize) what it may do and hides or disables the rest.</p>
    </section>
  );
}
