import { describe, expect, it } from 'vitest';
import { MAX_FRAME_BYTES } from '#contracts/ws-limits.ts';
import { BatchFrameSchema, type ServerFrame } from '#contracts/ws-protocol.ts';
import { distinctKeys, planPosts } from '#core/plan-fanout.ts';
import type { ItemChange } from '#core/stream-change.ts';
import { subscribers } from '../helpers/fixtures.ts';

const change = (
  key: string,
  version: number,
  channel = 'telemetry',
  data: Record<string, string | number> = { v: version },
): ItemChange => ({
  key,
  frame: { type: 'item', key, channel, version, ts: version, data },
});
const innerFrames = (frame: ServerFrame) => (frame.type === 'batch' ? frame.frames : [frame]);
const labels = (frames: readonly ServerFrame[]) =>
  frames.flatMap(innerFrames).map((f) => ('version' in f ? `${f.key}:${f.version}` : f.type));

describe('planPosts', () => {
  const byKey = new Map([
    ['3', subscribers(['conn-a', 'conn-b'])],
    ['4', subscribers(['conn-c', 'conn-a'])],
  ]);

  it('gives each connection one post carrying every change of its keys, in change order', () => {
    const changes = [change('3', 1, 'message#1'), change('4', 1, 'message#1'), change('3', 2, 'message#2')];
    const posts = planPosts(changes, byKey);
    expect(posts.map((p) => [p.connectionId, labels([p.frame]), p.carries])).toEqual([
      ['conn-a', ['3:1', '4:1', '3:2'], [0, 1, 2]],
      ['conn-b', ['3:1', '3:2'], [0, 2]],
      ['conn-c', ['4:1'], [1]],
    ]);
    expect(BatchFrameSchema.parse(posts[0]?.frame).frames).toHaveLength(3);
  });

  it('sends a lone change as its plain frame, not a batch of one', () => {
    const [post] = planPosts([change('4', 1)], new Map([['4', subscribers(['conn-c'])]]));
    expect(post?.frame).toEqual(change('4', 1).frame);
  });

  it('skips connections of other keys and keys nobody subscribes to', () => {
    expect(planPosts([change('99', 1)], byKey)).toEqual([]);
    expect(planPosts([change('4', 1)], byKey).map((p) => p.connectionId)).toEqual(['conn-c', 'conn-a']);
  });

  it('posts a change once to a connection listed twice', () => {
    expect(planPosts([change('5', 1)], new Map([['5', subscribers(['x', 'x'])]]))).toHaveLength(1);
  });

  it('keeps every batch frame within the frame limit, splitting in order', () => {
    const big = 'x'.repeat(5_000);
    const changes = Array.from({ length: 20 }, (_, i) => change('3', i + 1, `message#${i}`, { big }));
    const posts = planPosts(changes, new Map([['3', subscribers(['a'])]]));
    expect(posts.length).toBeGreaterThan(1);
    for (const post of posts) {
      expect(new TextEncoder().encode(JSON.stringify(post.frame)).length).toBeLessThanOrEqual(
        MAX_FRAME_BYTES,
      );
    }
    expect(labels(posts.map((p) => p.frame))).toEqual(changes.map((c) => `3:${c.frame.version}`));
    expect(posts.flatMap((p) => p.carries)).toEqual(changes.map((_, i) => i));
  });

  it('fills a frame up to the limit exactly and no further', () => {
    const changes = [change('3', 1, 'message#1'), change('3', 2, 'message#2'), change('3', 3, 'message#3')];
    const bytes = (frame: unknown) => new TextEncoder().encode(JSON.stringify(frame)).length;
    const twoFit = bytes({ type: 'batch', frames: [changes[0]?.frame, changes[1]?.frame] });
    const posts = planPosts(changes, new Map([['3', subscribers(['a'])]]), twoFit);
    expect(posts.map((p) => p.carries)).toEqual([[0, 1], [2]]);
  });

  it('sends a latest-value item as its newest change only, every-item channels keep every change', () => {
    const changes = [
      change('3', 1),
      change('3', 1, 'message#m1'),
      change('3', 2),
      change('3', 1, 'engine'),
      change('3', 3),
      change('3', 2, 'message#m1'),
    ];
    const [post] = planPosts(changes, new Map([['3', subscribers(['a'])]]));
    expect(post?.frame.type === 'batch' && post.frame.frames.map((f) => `${f.channel}:${f.version}`)).toEqual(
      ['message#m1:1', 'engine:1', 'telemetry:3', 'message#m1:2'],
    );
    expect(post?.conflated.sort()).toEqual([0, 2]);
  });

  it('gives a batch=false connection one post per change, every change, in order', () => {
    const changes = [change('3', 1), change('3', 2), change('3', 3)];
    const posts = planPosts(changes, new Map([['3', subscribers(['single', 'batching'], ['single'])]]));
    const single = posts.filter((p) => p.connectionId === 'single');
    expect(single.map((p) => p.frame)).toEqual(changes.map((c) => c.frame));
    expect(posts.filter((p) => p.connectionId === 'batching').map((p) => p.frame)).toEqual([
      { type: 'batch', frames: [changes[2]?.frame] },
    ]);
  });
});

describe('distinctKeys', () => {
  it('lists each key once in first-seen order, so each is looked up once per batch', () => {
    expect(distinctKeys([change('4', 1), change('3', 1), change('4', 2)])).toEqual(['4', '3']);
  });
});
