import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
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
/** Files the sources import that are not modules (the console's stylesheet). */
const ASSET = /\.(css|svg|png|woff2?)$/;

/** Where each relative import of `file` leads, as TypeScript reads them (type, side-effect and dynamic too). */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return importedFiles
    .map(({ fileName }) => fileName)
    .filter((name) => (name.startsWith('./') || name.startsWith('../')) && !ASSET.test(name))
    .map((name) => {
      const path = resolve(dirname(file), name);
      const candidates = [
        path,
        path.replace(/\.js$/, '.ts'),
        path.replace(/\.js$/, '.tsx'),
        `${path}.ts`,
        `${path}.tsx`,
      ];
      const found = candidates.find((candidate) => /\.tsx?$/.test(candidate) && existsSync(candidate));
      if (!found) throw new Error(`${relative(SRC, file)} imports ${name}, which is no module of src/`);
      return found;
    });
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
      .map((file) => ({
        file: relative(SRC, file),
        lines: readFileSync(file, 'utf8').trimEnd().split('\n').length,
      }))
      .filter(({ file, lines }) => lines > 800 && !GENERATED.test(file));
    expect(long).toEqual([]);
  });
});
