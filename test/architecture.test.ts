import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * What the layout promises (README, "Where things are"): no import circle among the server's modules, type
 * imports included, and no hand-written file over 800 lines. Read from the sources, so a change that breaks
 * either fails here rather than in a review.
 */
const SRC = resolve(import.meta.dirname, '../src');
const GENERATED = /^console\/ui\/gql\//;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

const files = sources(SRC);
const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'(\.{1,2}\/[^']+)'|import\(\s*'(\.{1,2}\/[^']+)'\s*\)/g;

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT)].map((match) => resolve(dirname(file), (match[1] ?? match[2])!));
}

/** Strongly connected components of more than one module (Tarjan), as paths relative to src/. */
function circles(): string[][] {
  const graph = new Map(files.map((file) => [file, importsOf(file).filter((to) => to !== file)]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (from: string) => {
    index.set(from, next);
    low.set(from, next);
    next += 1;
    stack.push(from);
    onStack.add(from);
    for (const to of graph.get(from) ?? []) {
      if (!graph.has(to)) continue;
      if (!index.has(to)) {
        visit(to);
        low.set(from, Math.min(low.get(from)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(from, Math.min(low.get(from)!, index.get(to)!));
    }
    if (low.get(from) === index.get(from)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(relative(SRC, member));
      } while (member !== from);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const file of files) if (!index.has(file)) visit(file);
  return found;
}

describe('the source layout', () => {
  it('should have no import circle among the modules of src/, type imports included', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(circles()).toEqual([]);
  });

  it('should keep every hand-written file of src/ at 800 lines or fewer', () => {
    const long = files
      .map((file) => ({ file: relative(SRC, file), lines: readFileSync(file, 'utf8').split('\n').length }))
      .filter(({ file, lines }) => lines > 800 && !GENERATED.test(file));
    expect(long).toEqual([]);
  });
});
