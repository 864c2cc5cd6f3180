import { describe, expect, it } from 'vitest';
import { progressWriter } from './progress.ts';

/** A stream that keeps what is written to it. */
const stream = (tty: boolean) => {
  const chunks: string[] = [];
  return {
    chunks,
    target: { isTTY: tty, write: (chunk: string) => chunks.push(chunk) > 0 } as unknown as NodeJS.WriteStream,
  };
};

describe('progressWriter', () => {
  it('should redraw one line in place on a terminal, ending it once', () => {
    const { chunks, target } = stream(true);
    const progress = progressWriter(target);
    progress.update('a 1/3');
    progress.update('a 2/3');
    progress.update('a 3/3');
    progress.done();
    expect(chunks[0]).toBe('\ra 1/3');
    expect(chunks.at(-2)).toBe('\ra 3/3');
    expect(chunks.at(-1)).toBe('\n');
  });

  it('should write plain lines, never a carriage return, and always the last state, to a file', () => {
    const { chunks, target } = stream(false);
    const progress = progressWriter(target, 60_000);
    for (let i = 1; i <= 100; i += 1) progress.update(`a ${i}/100`);
    progress.done();
    expect(chunks).toEqual(['a 1/100\n', 'a 100/100\n']);
    expect(chunks.join('')).not.toContain('\r');
  });
});
