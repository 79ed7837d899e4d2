// The Isthmus web UI: layout, navigation, login state and the page table.
import { render, type JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { get } from './api';
import { LOADING, loadPermissions, PermissionsContext, type Permissions } from './permissions';
import { Link, match, navigate, useLocation } from './router';
import { getToken, setToken } from './session';
import { IntentionForm } from './pages/intention-form';
import { IntentionsPage } from './pages/intentions';
import { LoginPage } from './pages/login';
import { AddPeerPage } from './pages/add-peer';
import { PeerDetailPage } from './pages/peer-detail';
import { PeersPage } from './pages/peers';
import { ServiceDetailPage } from './pages/service-detail';
import { ServicesPage } from './pages/services';
import { TopologyPage } from './pages/topology';
import './styles.css';

interface PageProps {
  params: Record<string, string>;
  query: URLSearchParams;
  datacenter: string;
  onLogin: (token: string) => void;
}

const PAGES: [string, (p: PageProps) => JSX.Element][] = [
  ['/services', () => <ServicesPage />],
  ['/services/:name', (p) => <ServiceDetailPage name={p.params.name ?? ''} peer={p.query.get('peer') ?? ''} />],
  ['/peers', () => <PeersPage />],
  ['/peers/add', (p) => <AddPeerPage initialName={p.query.get('name') ?? ''} />],
  ['/peers/:name', (p) => <PeerDetailPage name={p.params.name ?? ''} />],
  ['/intentions', () => <IntentionsPage />],
  ['/intentions/new', (p) => <IntentionForm query={p.query} editing={false} />],
  ['/intentions/edit', (p) => <IntentionForm query={p.query} editing={true} />],
  ['/topology', (p) => <TopologyPage datacenter={p.datacenter} />],
  ['/login', (p) => <LoginPage onLogin={p.onLogin} />],
];

const SECTIONS = new Set(['services', 'peers', 'intentions', 'topology', 'login']);

const NAV: [string, string][] = [
  ['/services', 'Services'],
  ['/peers', 'Peers'],
  ['/intentions', 'Intentions'],
  ['/topology', 'Topology'],
];

function App(): JSX.Element {
  const loc = useLocation();
  const [perms, setPerms] = useState<Permissions>(LOADING);
  const [token, setTok] = useState(getToken());
  const [datacenter, setDatacenter] = useState('');

  useEffect(() => {
    let live = true;
    setPerms(LOADING);
    void loadPermissions().then((p) => live && setPerms(p));
    return () => {
      live = false;
    };
  }, [token]);
  useEffect(() => {
    void get<string[]>('/v1/catalog/datacenters').then((r) => setDatacenter(r.data[0] ?? '')).catch(() => undefined);
  }, []);
  useEffect(() => {
    if (loc.path === '/' || loc.path === '') {
      navigate('/services', true);
      return;
    }
    // Consul's UI puts the datacenter first (/ui/dc1/services): accept those URLs too.
    const parts = loc.path.split('/').filter(Boolean);
    if (parts.length >= 2 && !SECTIONS.has(parts[0] as string) && SECTIONS.has(parts[1] as string)) {
      const q = loc.query.toString();
      navigate(`/${parts.slice(1).join('/')}${q ? `?${q}` : ''}`, true);
    }
  }, [loc.path]);

  const onLogin = (t: string): void => {
    setToken(t);
    setTok(t);
  };
  const logout = (): void => {
    setToken('');
    setTok('');
    navigate('/login');
  };

  let page: JSX.Element | null = null;
  for (const [pattern, make] of PAGES) {
    const params = match(pattern, loc.path);
    if (params) {
      page = make({ params, query: loc.query, datacenter, onLogin });
      break;
    }
  }
  const section = `/${loc.path.split('/')[1] ?? ''}`;

  return (
    <PermissionsContext.Provider value={perms}>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <span class="brand">Isthmus{datacenter && <span class="dc"> · {datacenter}</span>}</span>
        <nav aria-label="Main">
          {NAV.map(([href, label]) => (
            <Link key={href} href={href} aria-current={section === href ? 'page' : undefined}>{label}</Link>
          ))}
        </nav>
        <span class="who">
          {perms.aclEnabled && (token ? (
            <button type="button" onClick={logout}>Log out</button>
          ) : (
            <Link href="/login">Log in</Link>
          ))}
          {perms.loaded && !perms.aclEnabled && <span class="muted">ACLs disabled</span>}
        </span>
      </header>
      {perms.error && (
        <div class="error" role="alert">
          <strong>Your token was not accepted:</strong> <span class="error-text">{perms.error}</span> — <Link href="/login">log in again</Link>
        </div>
      )}
      <main id="main" tabIndex={-1}>
        {page ?? (
          <section>
            <h1>Page not found</h1>
            <p>
              Nothing lives at <code>/ui{loc.path}</code>. Go to <Link href="/services">Services</Link>.
            </p>
          </section>
        )}
      </main>
    </PermissionsContext.Provider>
  );
}

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}
