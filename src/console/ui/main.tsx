import { render } from 'preact';
import './style.css';
import { App } from './views/app.tsx';

const root = document.getElementById('app')!;
// The page's "Loading…" line is plain HTML, not Preact's to diff: it goes before the first render.
root.replaceChildren();
render(<App />, root);
