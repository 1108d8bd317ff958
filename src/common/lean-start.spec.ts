import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';

/** V8's flags belong to the whole process: each case runs in a node of its own, which prints one JSON line. */
function runInNode(body: string, nodeFlags: string[] = []): Record<string, unknown> {
  const script = `
    const { beginLeanStart, endLeanStart, youngGenerationMb } = require(${JSON.stringify(join(__dirname, 'lean-start'))});
    /** Objects that survive every collection, as the modules and metadata of a start do. */
    const kept = [];
    const survive = (count) => { for (let i = 0; i < count; i++) kept.push({ i, text: 'x' + i }); };
    /** Requests: short-lived objects with a few survivors, in turns of the event loop. */
    const serve = async (turns) => {
      let live = [];
      for (let turn = 0; turn < turns; turn++) {
        for (let i = 0; i < 2000; i++) live.push({ i, list: [i, i], text: 'y' + i });
        if (live.length > 20000) live = live.slice(10000);
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    (async () => { ${body} })().then((result) => process.stdout.write(JSON.stringify(result)));
  `;
  const child = spawnSync(process.execPath, [...nodeFlags, '-e', script], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout) as Record<string, unknown>;
}

/** V8's %GetOptimizationStatus bit for "optimized". */
const OPTIMIZED = 1 << 4;

describe('lean start', () => {
  it('holds the young generation during the start, then lets it grow to the cap and no further', () => {
    const result = runInNode(`
      const initial = youngGenerationMb();
      beginLeanStart();
      survive(1_000_000);
      const afterStart = youngGenerationMb();
      endLeanStart(8, 10);
      await serve(1500);
      return { initial, afterStart, serving: youngGenerationMb() };
    `);
    // V8 starts with one 1 MB semi-space and commits the second at the first collection; unheld, 32 MB.
    assert.ok((result.initial as number) <= 2 && (result.afterStart as number) <= 2, JSON.stringify(result));
    assert.equal(result.serving, 8);
  });

  it('optimizes no function during the start, and hot ones once the server serves', () => {
    const result = runInNode(
      `
      const hot = new Function('n', 'let s = 0; for (let i = 0; i < n; i++) s += i; return s');
      const status = new Function('f', 'return %GetOptimizationStatus(f)');
      beginLeanStart();
      for (let i = 0; i < 20_000; i++) hot(1000);
      const duringStart = status(hot);
      endLeanStart();
      for (let i = 0; i < 200_000; i++) hot(1000);
      return { duringStart, serving: status(hot) };
    `,
      ['--allow-natives-syntax'],
    );
    assert.equal((result.duringStart as number) & OPTIMIZED, 0);
    assert.equal((result.serving as number) & OPTIMIZED, OPTIMIZED);
  });

  for (const flag of ['--max-semi-space-size=4', '--semi-space-growth-factor=2', '--no-opt', '--jitless']) {
    it(`leaves V8 as the operator set it on the command line: ${flag}`, () => {
      const result = runInNode(
        `
        beginLeanStart();
        survive(1_000_000);
        return { afterStart: youngGenerationMb() };
      `,
        [flag],
      );
      // Held, it would have stayed at 2 MB.
      assert.ok((result.afterStart as number) > 2, JSON.stringify(result));
    });
  }
});
