import { useState } from 'preact/hooks';
import { Notices } from './notices.tsx';

export function Login(props: { problem: string | null; onSignIn: (token: string) => void }) {
  const [value, setValue] = useState('');
  return (
    <main id="main" class="narrow">
      <h1>sessiongraph console</h1>
      <p>
        Sign in with an API token (<code>sessiongraph token create</code>). It needs{' '}
        <code>sessions:read</code>; <code>sessions:write</code> lets you end sessions, <code>users:read</code>{' '}
        shows users, <code>audit:read</code> shows each session's history. The token stays in this tab only.
      </p>
      <Notices problem={props.problem} />
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (value.trim()) props.onSignIn(value.trim());
        }}
      >
        <label for="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="off"
          spellcheck={false}
          required
          value={value}
          onInput={(event) => setValue((event.target as HTMLInputElement).value)}
        />
        <button type="submit">Sign in</button>
      </form>
    </main>
  );
}
