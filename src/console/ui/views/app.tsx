import { useEffect, useRef, useState } from 'preact/hooks';
import { RequestFailed, request, subscribe, token } from '../api.ts';
import { ConsoleContext, type ConsoleState } from '../context.ts';
import { CallerQuery, DeploymentQuery, EventsSubscription } from '../documents.ts';
import { useRoute } from '../route.ts';
import { Login } from './login.tsx';
import { SearchPage } from './search.tsx';
import { SessionPage } from './session.tsx';
import { UserPage } from './user.tsx';

interface LiveNote {
  id: number;
  text: string;
}

export function App() {
  const [signedIn, setSignedIn] = useState(token.get() !== null);
  const [state, setState] = useState<Omit<ConsoleState, 'liveTick'> | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [liveTick, setLiveTick] = useState(0);
  const [live, setLive] = useState(false);
  const [notes, setNotes] = useState<LiveNote[]>([]);
  const route = useRoute();
  const noteId = useRef(0);

  const signOut = (why: string | null) => {
    token.clear();
    setState(null);
    setProblem(why);
    setSignedIn(false);
  };

  useEffect(() => {
    if (!signedIn) return;
    let cancelled = false;
    (async () => {
      try {
        const caller = (await request(CallerQuery, {})).data?.caller;
        if (caller?.kind !== 'TOKEN') {
          signOut('That token is not valid here (unknown, expired or revoked).');
          return;
        }
        const scopes = new Set(caller.scopes);
        if (!scopes.has('sessions:read')) {
          signOut(`The token "${caller.name}" lacks the sessions:read scope the console needs.`);
          return;
        }
        const answer = await request(DeploymentQuery, {});
        if (cancelled) return;
        const deployment = answer.data;
        if (!deployment) {
          setProblem(answer.errors[0]?.message ?? 'The server did not say what it serves.');
          return;
        }
        setState({
          tokenName: caller.name ?? null,
          scopes,
          stores: deployment.stores,
          fields: deployment.sessionFields.filter((field) => field.type !== 'JSON'),
        });
      } catch (error) {
        if (error instanceof RequestFailed && error.code === 'UNAUTHENTICATED') signOut(error.message);
        else setProblem((error as Error).message);
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [signedIn]);

  // One subscription for the whole console: changes re-read the page shown, at most every 3 s (a sweep or
  // a mass logout sends thousands of events, and a re-read asks for counts).
  useEffect(() => {
    if (!state) return;
    const pending: { timer: ReturnType<typeof setTimeout> | null } = { timer: null };
    return subscribe(
      EventsSubscription,
      { userId: null },
      (data) => {
        const event = data.sessionEvents;
        const id = ++noteId.current;
        const text = `${event.kind.toLowerCase()}: a session in ${event.store}${event.userId ? ` of user ${event.userId}` : ''}`;
        setNotes((previous) => [...previous.slice(-4), { id, text }]);
        setTimeout(() => setNotes((previous) => previous.filter((note) => note.id !== id)), 8000);
        pending.timer ??= setTimeout(() => {
          pending.timer = null;
          setLiveTick((tick) => tick + 1);
        }, 3000);
      },
      setLive,
    );
  }, [state]);

  if (!signedIn) {
    return (
      <Login
        problem={problem}
        onSignIn={(value) => {
          token.set(value);
          setProblem(null);
          setSignedIn(true);
        }}
      />
    );
  }
  if (!state) {
    return (
      <main id="main" class="narrow">
        <p role="status">{problem ?? 'Loading…'}</p>
        {problem && (
          <button type="button" onClick={() => signOut(null)}>
            Sign out
          </button>
        )}
      </main>
    );
  }
  return (
    <ConsoleContext.Provider value={{ ...state, liveTick }}>
      <button type="button" class="skip" onClick={() => document.getElementById('main')?.focus()}>
        Skip to content
      </button>
      <header class="top">
        <a class="brand" href="#/">
          sessiongraph console
        </a>
        <span class="who">
          token <strong>{state.tokenName}</strong> · {[...state.scopes].join(', ')}
        </span>
        <span class={live ? 'live on' : 'live'} role="status" title="Live updates through sessionEvents">
          {live ? 'Live' : 'Reconnecting…'}
        </span>
        <button type="button" onClick={() => signOut(null)}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {route.page === 'session' ? (
          <SessionPage key={route.id} id={route.id} />
        ) : route.page === 'user' ? (
          <UserPage key={route.id} id={route.id} />
        ) : (
          <SearchPage params={route.params} />
        )}
      </main>
      <div class="notes" aria-live="polite">
        {notes.map((note) => (
          <p key={note.id}>{note.text}</p>
        ))}
      </div>
    </ConsoleContext.Provider>
  );
}
