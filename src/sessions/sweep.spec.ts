import { describe, expect, it } from 'vitest';
import { BatchSizer } from './sweep.ts';

describe('BatchSizer', () => {
  it('should start small, grow at most twofold while batches stay quick, and never pass the largest batch', () => {
    const sizer = new BatchSizer(1000, 60);
    expect(sizer.size).toBe(100);
    sizer.committed(100, 1);
    expect(sizer.size).toBe(200);
    for (let round = 0; round < 10; round += 1) sizer.committed(sizer.size, 1);
    expect(sizer.size).toBe(1000);
  });

  it('should aim at a third of the lock time, shrinking at most fourfold after a slow batch', () => {
    const sizer = new BatchSizer(1000, 60);
    sizer.committed(100, 40);
    expect(sizer.size).toBe(50);
    sizer.committed(50, 1000);
    expect(sizer.size).toBe(12);
  });

  it('should not shrink its growth limit after a short last chunk', () => {
    const sizer = new BatchSizer(1000, 60);
    sizer.committed(100, 1);
    sizer.committed(3, 1);
    expect(sizer.size).toBe(200);
  });

  it('should quarter after a cancel, then rest longer each time at one row, then give up', () => {
    const sizer = new BatchSizer(1000, 50);
    expect(sizer.cancelled(100)).toBe(0);
    expect(sizer.size).toBe(25);
    expect(sizer.cancelled(4)).toBe(0);
    expect(sizer.size).toBe(1);
    expect([1, 2, 3, 4, 5].map(() => sizer.cancelled(1))).toEqual([100, 200, 400, 800, 1600]);
    expect(sizer.cancelled(1)).toBeNull();
  });

  it('should forget cancels at one row once a batch commits', () => {
    const sizer = new BatchSizer(1000, 50);
    for (let index = 0; index < 5; index += 1) sizer.cancelled(1);
    sizer.committed(1, 5);
    expect(sizer.cancelled(1)).toBe(100);
  });
});
