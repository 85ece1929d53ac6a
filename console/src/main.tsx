import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, type QueueOverview, services, setToken, whenUnauthorized } from './api';
import { BusPage } from './pages/bus';
import { OverviewPage, useSaleHistory } from './pages/overview';
import { RoomsPage } from './pages/rooms';
import { SalesPage } from './pages/sales';
import { Problem } from './problem';
import './styles.css';

interface Session {
  name: string;
  email: string;
  /** The split topology's services (from the gateway), or null on the monolith. */
  services: { name: string; module: string }[] | null;
}

const PAGES = [
  { id: 'overview', title: 'Sale overview' },
  { id: 'rooms', title: 'Room controls' },
  { id: 'sales', title: 'Sales' },
  { id: 'bus', title: 'Event bus' },
] as const;
type PageId = (typeof PAGES)[number]['id'];

const pageFromHash = (): PageId => {
  const id = location.hash.replace(/^#\/?/, '');
  return PAGES.some((p) => p.id === id) ? (id as PageId) : 'overview';
};

function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [page, setPage] = useState<PageId>(pageFromHash());
  const [notice, setNotice] = useState<string | null>(null);
  useEffect(() => {
    const onHash = () => setPage(pageFromHash());
    addEventListener('hashchange', onHash);
    whenUnauthorized(() => {
      setToken(null);
      setSession(null);
      setNotice('Your session ended (401 from the API): log in again.');
    });
    return () => removeEventListener('hashchange', onHash);
  }, []);
  const logout = () => {
    setToken(null);
    setSession(null);
  };
  if (!session)
    return (
      <Login
        notice={notice}
        onLoggedIn={(s) => {
          setNotice(null);
          setSession(s);
        }}
      />
    );
  return <Console session={session} page={page} onLogout={logout} />;
}

function Console({ session, page, onLogout }: { session: Session; page: PageId; onLogout: () => void }) {
  const queueMetrics = session.services ? session.services.filter((s) => s.module === 'queue').map((s) => `/metrics/${s.name}`) : ['/metrics'];
  const sale = useSaleHistory(queueMetrics);
  return (
    <div class="layout">
      <header>
        <h1>Operator console</h1>
        <nav>
          {PAGES.map((p) => (
            <a key={p.id} href={`#/${p.id}`} class={p.id === page ? 'current' : ''} data-testid={`nav-${p.id}`}>
              {p.title}
            </a>
          ))}
        </nav>
        <div class="who">
          <span data-testid="topology">{session.services ? `split topology · ${session.services.length} services` : 'monolith'}</span>
          <span>{session.email}</span>
          <button type="button" onClick={onLogout} data-testid="logout">
            Log out
          </button>
        </div>
      </header>
      <main>
        {page === 'overview' && <OverviewPage samples={sale.samples} error={sale.error} />}
        {page === 'rooms' && <RoomsPage />}
        {page === 'sales' && <SalesPage />}
        {page === 'bus' && <BusPage split={session.services !== null} />}
      </main>
    </div>
  );
}

function Login({ onLoggedIn, notice }: { onLoggedIn: (s: Session) => void; notice: string | null }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const login = await api<{ accessToken: string }>('POST', '/auth/login', { email, password });
      setToken(login.accessToken);
      const me = await api<{ name: string; email: string; role: string }>('GET', '/auth/me');
      // The API decides: an account that is not an admin gets 403 here, and that is what is shown.
      await api<QueueOverview>('GET', '/admin/queue');
      const list = await services();
      onLoggedIn({ name: me.name, email: me.email, services: list });
    } catch (err) {
      setToken(null);
      setError(
        err instanceof ApiError && err.status === 403
          ? new ApiError(403, err.code, `${err.detail} The console is for ADMIN accounts; the API refuses this one.`)
          : (err as Error),
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="login card" onSubmit={submit} data-testid="login-form">
      <h1>Operator console</h1>
      {notice && <p class="muted">{notice}</p>}
      <label>
        E-mail
        <input type="email" autoComplete="username" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} data-testid="email" />
      </label>
      <label>
        Password
        <input
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
          data-testid="password"
        />
      </label>
      <button type="submit" disabled={busy} data-testid="login">
        Log in
      </button>
      <Problem error={error} />
    </form>
  );
}

render(<App />, document.getElementById('app')!);
