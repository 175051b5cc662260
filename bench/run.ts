/**
 * `npm run bench`: runs every benchmark in its own process, one after another, each printing one
 * JSON line. Pass names to run some only: `npm run bench -- predict train-speed`.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BENCHMARKS = ['predict-bench', 'train-speed', 'cluster-augment-bench', 'train-f1'];

const requested = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const selected =
  requested.length > 0
    ? BENCHMARKS.filter((name) => requested.some((r) => name.startsWith(r)))
    : BENCHMARKS;
let failed = false;
for (const name of selected) {
  const script = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  const child = spawnSync(process.execPath, [script], { stdio: 'inherit' });
  if (child.status !== 0) {
    process.stderr.write(`benchmark ${name} failed with exit code ${child.status}\n`);
    failed = true;
  }
}
process.exitCode = failed ? 1 : 0;
