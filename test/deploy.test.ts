import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test, { type ExecutionContext } from 'ava';
import { parseAllDocuments } from 'yaml';
import { saveColourModel } from './helpers/colour-model.js';
import { solidImage } from './helpers/images.js';
import { startTestServer } from './helpers/test-server.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEPLOY = path.join(ROOT, 'deploy');
const PROMETHEUS_CONFIG = path.join(DEPLOY, 'prometheus', 'prometheus.yml');
const ALERTS = path.join(DEPLOY, 'prometheus', 'alerts.yml');
const DASHBOARD = path.join(DEPLOY, 'grafana', 'labelwise-dashboard.json');
const PROMETHEUS_START_TIMEOUT_MS = 30_000;
const SCRAPE_TIMEOUT_MS = 45_000;

function hasCommand(name: string): boolean {
  return spawnSync(name, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Skips (with a log line) where the tool is missing, but fails in CI, which installs it. */
function requireCommand(t: ExecutionContext, name: string): boolean {
  if (hasCommand(name)) return true;
  if (process.env.CI) {
    t.fail(`${name} is missing; .ci/run installs Debian's prometheus package`);
  } else {
    t.log(`${name} is not installed (apt-get install prometheus); skipped`);
    t.pass();
  }
  return false;
}

function run(command: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) =>
    execFile(command, args, { cwd: ROOT }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr }),
    ),
  );
}

async function yamlFiles(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => path.join(e.parentPath, e.name));
}

/** Metric names the deploy files query, as written (histograms with their suffixes). */
async function metricNamesUsed(): Promise<Map<string, string>> {
  const used = new Map<string, string>();
  for (const file of [DASHBOARD, ALERTS, PROMETHEUS_CONFIG]) {
    const text = await readFile(file, 'utf8');
    for (const [name] of text.matchAll(/\blabelwise_[a-z0-9_]+/g)) {
      used.set(name, path.relative(ROOT, file));
    }
  }
  return used;
}

/** Every series name a server's /metrics can show, histogram suffixes included. */
function exportedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name!);
    if (type === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
  }
  return names;
}

/** Dashboard expressions with Grafana's variables replaced so that Prometheus can run them. */
async function dashboardExpressions(): Promise<string[]> {
  const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8'));
  const expressions: string[] = [];
  for (const panel of dashboard.panels as { targets?: { expr: string }[] }[]) {
    for (const target of panel.targets ?? []) {
      expressions.push(
        target.expr
          .replaceAll('$__rate_interval', '1m')
          .replaceAll('$job', '.*')
          .replaceAll('$instance', '.*'),
      );
    }
  }
  return expressions;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function poll<T>(what: string, timeoutMs: number, attempt: () => Promise<T | undefined>) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await attempt().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

test('promtool accepts the scrape config and the alerting rules', async (t) => {
  if (!requireCommand(t, 'promtool')) return;
  const config = await run('promtool', ['check', 'config', PROMETHEUS_CONFIG]);
  t.is(config.code, 0, config.output);
  const rules = await run('promtool', ['check', 'rules', ALERTS]);
  t.is(rules.code, 0, rules.output);
  t.regex(rules.output, /SUCCESS: \d+ rules found/);
});

test('the alerting rules fire on the series of their unit tests', async (t) => {
  if (!requireCommand(t, 'promtool')) return;
  const result = await run('promtool', [
    'test',
    'rules',
    path.join(DEPLOY, 'prometheus', 'alerts.test.yml'),
  ]);
  t.is(result.code, 0, result.output);
});

test(
  'every YAML file under deploy parses ' + 'and the kustomization lists existing files',
  async (t) => {
    const files = await yamlFiles(DEPLOY);
    t.true(files.length >= 8);
    for (const file of files) {
      for (const document of parseAllDocuments(await readFile(file, 'utf8'))) {
        t.deepEqual(document.errors, [], path.relative(ROOT, file));
      }
    }
    const kustomization = parseAllDocuments(
      await readFile(path.join(DEPLOY, 'kubernetes', 'kustomization.yaml'), 'utf8'),
    )[0]!.toJS() as { resources: string[] };
    const present = await readdir(path.join(DEPLOY, 'kubernetes'));
    for (const resource of kustomization.resources) t.true(present.includes(resource), resource);
  },
);

test('the serving probes use gRPC, readiness on the Classifier', async (t) => {
  const [deployment] = parseAllDocuments(
    await readFile(path.join(DEPLOY, 'kubernetes', 'serving-deployment.yaml'), 'utf8'),
  ).map((d) => d.toJS());
  const container = deployment.spec.template.spec.containers[0];
  t.deepEqual(container.readinessProbe.grpc, { port: 50051, service: 'labelwise.v1.Classifier' });
  t.deepEqual(container.livenessProbe.grpc, { port: 50051 });
});

test(
  'every labelwise metric the dashboard and the rules use ' + 'is exported by a live server',
  async (t) => {
    const server = await startTestServer(t);
    const exposition = await (
      await fetch(`http://127.0.0.1:${server.server.metricsPort}/metrics`)
    ).text();
    const exported = exportedNames(exposition);
    const used = await metricNamesUsed();
    t.true(used.size >= 15);
    for (const [name, file] of used)
      t.true(exported.has(name), `${name} (used in ${file}) is not exported`);
  },
);

test('a real Prometheus scrapes a running server and runs every dashboard query', async (t) => {
  if (!requireCommand(t, 'prometheus')) return;
  const server = await startTestServer(t, {
    prepare: async (store) => store.setActiveVersion(await saveColourModel(store)),
  });
  await server.classifier.Predict({
    images: [{ id: 'red', data: await solidImage([230, 20, 20]) }],
  });

  const directory = await mkdtemp(path.join(os.tmpdir(), 'labelwise-prometheus-'));
  t.teardown(() => rm(directory, { recursive: true, force: true }));
  const config = path.join(directory, 'prometheus.yml');
  await writeFile(
    config,
    [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      `rule_files: [${JSON.stringify(ALERTS)}]`,
      'scrape_configs:',
      '  - job_name: labelwise',
      `    static_configs: [{ targets: ['127.0.0.1:${server.server.metricsPort}'] }]`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const prometheus = spawn(
    'prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(directory, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  prometheus.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((resolve) => prometheus.once('exit', () => resolve()));
  t.teardown(async () => {
    if (prometheus.exitCode !== null || prometheus.signalCode !== null) return;
    prometheus.kill('SIGTERM');
    const timer = setTimeout(() => prometheus.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  });

  const api = `http://127.0.0.1:${port}`;
  await poll('Prometheus to be ready', PROMETHEUS_START_TIMEOUT_MS, async () =>
    (await fetch(`${api}/-/ready`)).ok ? true : undefined,
  ).catch((caught) => {
    throw new Error(`${(caught as Error).message}; Prometheus log:\n${log.slice(-2000)}`);
  });
  const query = async (expr: string) =>
    (await (await fetch(`${api}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as {
      status: string;
      error?: string;
      data: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
  const series = await poll('the first scrape', SCRAPE_TIMEOUT_MS, async () => {
    const answer = await query('labelwise_rpc_requests_total{method="Predict"}');
    return answer.data.result.length > 0 ? answer.data.result : undefined;
  });
  t.is(series[0]?.metric.code, 'OK');
  t.is(series[0]?.value[1], '1');

  for (const expr of await dashboardExpressions()) {
    const answer = await query(expr);
    t.is(answer.status, 'success', `${expr}: ${answer.error ?? ''}`);
  }
  const rules = (await (await fetch(`${api}/api/v1/rules`)).json()) as {
    data: { groups: { rules: { health: string; name: string }[] }[] };
  };
  const loaded = rules.data.groups.flatMap((g) => g.rules);
  t.true(loaded.length >= 5);
  for (const rule of loaded) t.not(rule.health, 'err', rule.name);
});
