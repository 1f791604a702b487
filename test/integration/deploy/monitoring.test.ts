// deploy/components/monitoring and the chart's `monitoring` values against the real things. Server-side dry-run of
// the ServiceMonitor and the PrometheusRule against the Prometheus Operator's own CRDs is in manifests.test.ts; here:
// the ServiceMonitor finds the metrics Service; every expression of the rules and of the dashboard parses with
// Prometheus' own PromQL parser (tools/promql); and each selects only metrics and labels a running bot exports, read
// from its /metrics after a deploy that fails, a crash-looping workload's alert, a Kubernetes error and a Slack 429.
import { readFile, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { KubernetesObject } from '@kubernetes/client-node';
import { Redis } from 'ioredis';
import { createAuditLog } from '../../../src/audit/audit-log.ts';
import { auditKeys } from '../../../src/audit/audit-store.ts';
import { startTestBot, type TestBot } from '../../support/bot.ts';
import { waitUntil } from '../../support/cluster/processes.ts';
import { makeDeployment, useTestNamespace } from '../../support/kube.ts';
import {
  allShapes,
  installPrometheusCrds,
  manifestTools,
  renderShape,
  repoRoot,
  runProcess,
  type ManifestTools,
  type RenderedShape,
} from '../../support/manifest-tools.ts';
import { SlackEmulator } from '../../support/slack-emulator/index.ts';
import { waitForJob } from '../../support/slack-flow.ts';

jest.setTimeout(120_000);
const ns = useTestNamespace('monitoring');

let tools: ManifestTools;
const shapes = new Map<string, RenderedShape>();

beforeAll(async () => {
  tools = await manifestTools();
  await installPrometheusCrds(tools, ns.cluster);
  // The shapes manifests.test.ts dry-runs: deploy/ with the monitoring component, and the chart's monitoring values.
  for (const [which, name] of [
    ['kustomize', 'with monitoring'],
    ['chart', 'chart: monitoring'],
  ] as const) {
    const shape = allShapes.find((s) => s.name === name);
    if (!shape) throw new Error(`manifest-tools.ts has no shape "${name}"`);
    shapes.set(which, await renderShape(tools, shape));
  }
}, 600_000);

const rendered = (which: string): RenderedShape => {
  const shape = shapes.get(which);
  if (!shape) throw new Error(`${which} was not rendered`);
  return shape;
};
const find = <T extends KubernetesObject>(shape: RenderedShape, kind: string, name: string): T => {
  const found = shape.objects.find((o) => o.kind === kind && o.metadata?.name === name);
  if (!found) throw new Error(`no ${kind}/${name} in the rendering`);
  return found as T;
};

interface Rule {
  readonly alert?: string;
  readonly record?: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}
type PrometheusRule = KubernetesObject & { spec: { groups: { name: string; rules: Rule[] }[] } };
type ServiceMonitor = KubernetesObject & {
  spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string; path: string }[] };
};
type Service = KubernetesObject & { spec: { ports: { name: string }[] } };
interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly gridPos: { x: number; w: number };
  readonly targets?: { expr: string; datasource?: { uid: string } }[];
  readonly panels?: Panel[];
}
interface Dashboard {
  readonly uid: string;
  readonly panels: Panel[];
  readonly templating: { list: { name: string; query: string | { query: string } }[] };
}

const rulesOf = (shape: RenderedShape): Rule[] =>
  find<PrometheusRule>(shape, 'PrometheusRule', 'coxswain').spec.groups.flatMap((g) => g.rules);
const dashboardOf = (shape: RenderedShape): Dashboard => {
  const map = find<KubernetesObject & { data: Record<string, string> }>(
    shape,
    'ConfigMap',
    'coxswain-grafana-dashboard',
  );
  return JSON.parse(map.data['coxswain-dashboard.json'] ?? '') as Dashboard;
};
const panelsOf = (d: Dashboard): Panel[] => d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);

/** Every expression of the dashboard, its Grafana variables given values Prometheus accepts. */
function dashboardExpressions(d: Dashboard): string[] {
  const grafana = (expr: string): string => expr.replaceAll('$__rate_interval', '5m').replaceAll('$namespace', '.*');
  const variables = d.templating.list.flatMap((v) => {
    const query = typeof v.query === 'string' ? v.query : v.query.query;
    const metric = /^label_values\((\w+),\s*\w+\)$/u.exec(query)?.[1];
    return metric ? [metric] : [];
  });
  const targets = panelsOf(d).flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  return [...targets, ...variables].map(grafana);
}

interface Selector {
  readonly metric: string;
  readonly labels: readonly string[];
}
type Verdict = { readonly selectors: Selector[] } | { readonly error: string };

/** Prometheus' parser's verdict on each expression. */
async function parsePromql(exprs: readonly string[]): Promise<Verdict[]> {
  const result = await runProcess(tools.promqlCheck, [], JSON.stringify(exprs));
  if (result.code !== 0) throw new Error(`promql-check failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Verdict[];
}

describe.each(['kustomize', 'chart'])('the monitoring objects (%s)', (which) => {
  it("has a ServiceMonitor that selects the metrics Service by its labels and scrapes its port's /metrics", () => {
    const monitor = find<ServiceMonitor>(rendered(which), 'ServiceMonitor', 'coxswain');
    const service = find<Service>(rendered(which), 'Service', 'coxswain-metrics');
    expect(service.metadata?.labels).toMatchObject(monitor.spec.selector.matchLabels);
    expect(monitor.spec.endpoints.map((e) => [e.port, e.path])).toEqual([['metrics', '/metrics']]);
    expect(service.spec.ports.map((p) => p.name)).toContain('metrics');
    // Nothing else in the namespace carries the selector's labels: the monitor scrapes each pod once.
    const selected = rendered(which).objects.filter(
      (o) =>
        o.kind === 'Service' &&
        Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => o.metadata?.labels?.[k] === v),
    );
    expect(selected).toHaveLength(1);
  });

  it('has rules and a dashboard whose every expression parses with PromQL', async () => {
    const exprs = [
      ...rulesOf(rendered(which)).map((r) => r.expr),
      ...dashboardExpressions(dashboardOf(rendered(which))),
    ];
    const verdicts = await parsePromql(exprs);
    const errors = verdicts.flatMap((v, i) => ('error' in v ? [`${exprs[i] ?? ''}: ${v.error}`] : []));
    expect(errors).toEqual([]);
    expect(exprs.length).toBeGreaterThan(20);
  });
});

describe('the rules', () => {
  const alertNames = [
    ['queue depth growing', 'CoxswainQueueBacklogGrowing'],
    ['jobs failing', 'CoxswainJobsFailing'],
    ['Slack 429s', 'CoxswainSlackRateLimited'],
    ['Slack errors', 'CoxswainSlackErrors'],
    ['Kubernetes API errors', 'CoxswainKubernetesApiErrors'],
    ['no watcher leader', 'CoxswainNoWatcherLeader'],
    ['alerts not delivered', 'CoxswainAlertsNotDelivered'],
    ['approvals expiring unanswered', 'CoxswainApprovalsExpiring'],
    ['audit chain verify failing', 'CoxswainAuditChainBroken'],
  ] as const;
  it.each(alertNames)('cover %s (%s)', (_what, alert) => {
    expect(rulesOf(rendered('kustomize')).map((r) => r.alert)).toContain(alert);
  });

  it('each say their severity, what happened, and link their section of docs/monitoring.md', async () => {
    const docs = await readFile(join(repoRoot, 'docs', 'monitoring.md'), 'utf8');
    const anchors = new Set([...docs.matchAll(/^#{2,4} (.+)$/gmu)].map((m) => (m[1] ?? '').toLowerCase()));
    const problems: string[] = [];
    for (const rule of rulesOf(rendered('kustomize')).filter((r) => r.alert)) {
      const name = rule.alert ?? '';
      if (!['critical', 'warning', 'info'].includes(rule.labels?.['severity'] ?? ''))
        problems.push(`${name}: severity`);
      if (!rule.annotations?.['summary'] || !rule.annotations['description']) problems.push(`${name}: summary`);
      const anchor = /docs\/monitoring\.md#([\w-]+)$/u.exec(rule.annotations?.['runbook_url'] ?? '')?.[1];
      if (anchor !== name.toLowerCase() || !anchors.has(anchor)) problems.push(`${name}: runbook_url ${anchor ?? ''}`);
    }
    expect(problems).toEqual([]);
  });
});

describe('the dashboard', () => {
  it('has unique panel ids, fits Grafana’s 24 columns, and asks the chosen data source for every query', () => {
    const dashboard = dashboardOf(rendered('kustomize'));
    const panels = panelsOf(dashboard);
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    expect(panels.filter((p) => p.gridPos.x + p.gridPos.w > 24).map((p) => p.title)).toEqual([]);
    const targets = panels.flatMap((p) => p.targets ?? []);
    expect(targets.filter((t) => t.datasource?.uid !== '${datasource}')).toEqual([]);
    expect(dashboard.uid).toBe('coxswain');
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// What a running bot exports, against what the rules and the dashboard select.

/** Labels Prometheus adds to every series it scrapes through the ServiceMonitor, and `le` of histogram buckets. */
const targetLabels = new Set(['namespace', 'pod', 'job', 'instance', 'service', 'endpoint', 'container']);

/** Metric names Prometheus itself makes: `up` of every target. */
const prometheusOwn = new Set(['up']);

/** A sample name of the exposition, and the label names its samples carry. */
interface Exported {
  sampled: boolean;
  readonly labels: Set<string>;
}

/** The exposition's sample names (a histogram's _bucket, _sum and _count), whether they have samples, and labels. */
function exported(text: string): Map<string, Exported> {
  const names = new Map<string, Exported>();
  const entry = (name: string): Exported => {
    const found = names.get(name) ?? { sampled: false, labels: new Set<string>() };
    names.set(name, found);
    return found;
  };
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\w+) (\w+)$/u.exec(line);
    if (type) {
      const [, name = '', kind] = type;
      for (const s of kind === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name]) entry(s);
      continue;
    }
    const sample = /^(\w+)(?:\{(.*)\})? \S+$/u.exec(line);
    if (!sample) continue;
    const found = entry(sample[1] ?? '');
    found.sampled = true;
    for (const m of (sample[2] ?? '').matchAll(/(\w+)="/gu)) found.labels.add(m[1] ?? '');
  }
  return names;
}

describe('a running bot, after a failed deploy, an alert, a Kubernetes error and a Slack 429', () => {
  let emu: SlackEmulator;
  let bot: TestBot;
  let metrics = '';

  beforeAll(async () => {
    const policyFile = join(ns.cluster.dir, `monitoring-${randomBytes(3).toString('hex')}.yaml`);
    await writeFile(
      policyFile,
      [
        'roles:',
        '  ops: [{ verbs: ["*"] }]',
        'bindings:',
        '  - { role: ops, users: [U0ALICE] }',
        'alerts:',
        `  routes: [{ namespaces: [${ns.name}], channel: C0ALERTS }]`,
        '',
      ].join('\n'),
    );
    emu = await SlackEmulator.start({
      allowWarnings: ['channel_rate'],
      users: [{ id: 'U0ALICE', name: 'alice' }],
      channels: [
        { id: 'C0ALERTS', name: 'alerts', members: ['U0ALICE', 'U0BOT'] },
        { id: 'C0OPS', name: 'ops', members: ['U0ALICE', 'U0BOT'] },
      ],
    });
    bot = await startTestBot({ emu, cluster: ns.cluster, policyFile });
    const slack = emu.driver(bot.eventsUrl);
    const as = { user: 'U0ALICE', channel: 'C0OPS' };
    await ns.apps.createNamespacedDeployment({
      namespace: ns.name,
      body: makeDeployment('web', 'ghcr.io/acme/web:1.0'),
    });

    // A deploy whose pods crash-loop: the job fails, and the watcher raises an alert that is posted.
    let since = emu.calls.length;
    await slack.slashCommand('/k8s', `deploy web ghcr.io/acme/web:1.1-crashloop -n ${ns.name}`, as);
    await waitForJob(emu, 'deploy', { since, timeoutMs: 90_000 });
    await emu.waitFor(
      (c) => c.method === 'chat.postMessage' && c.params['channel'] === 'C0ALERTS' && c.status === 200,
      {
        timeoutMs: 60_000,
      },
    );
    // A Deployment that is not there: a Kubernetes API error (not_found). Slack answers its first post with 429.
    emu.faults.next('chat.postMessage', { status: 429, retryAfter: 1 });
    since = emu.calls.length;
    await slack.slashCommand('/k8s', `scale nosuch 2 -n ${ns.name}`, as);
    await waitForJob(emu, 'scale', { since, timeoutMs: 60_000 });
    // The watcher's leader has verified the audit chain once it leads.
    await waitUntil(async () => /coxswain_audit_chain_intact\{[^}]*\} 1/u.test(await scrape()), {
      what: 'the audit chain verified',
      timeoutMs: 30_000,
    });
    metrics = await scrape();
  }, 300_000);

  afterAll(async () => {
    await bot?.stop();
    await emu?.stop();
  });

  const scrape = async (from: TestBot = bot): Promise<string> =>
    (await fetch(`http://127.0.0.1:${from.port}/metrics`)).text();

  it('exports what happened: the failed job, the alert and its post, the errors, the leader and the audit verdict', () => {
    for (const expected of [
      /coxswain_commands_total\{verb="deploy",outcome="failed"\} [1-9]/u,
      /coxswain_alerts_total\{reason="CrashLoopBackOff",change="opened"\} [1-9]/u,
      /coxswain_alert_deliveries_total\{action="post",outcome="delivered"\} [1-9]/u,
      /coxswain_alert_delivery_seconds_count [1-9]/u,
      /coxswain_kube_api_errors_total\{code="not_found"\} [1-9]/u,
      /coxswain_slack_rate_limited_total\{method="chat.postMessage"\} [1-9]/u,
      new RegExp(`coxswain_watcher_leader\\{cluster="${bot.cluster}"\\} 1`, 'u'),
      new RegExp(`coxswain_audit_chain_verified_timestamp_seconds\\{cluster="${bot.cluster}"\\} [1-9]`, 'u'),
      /coxswain_queue_jobs\{queue="[^"]+",state="waiting"\} \d/u,
    ])
      expect(metrics).toMatch(expected);
  });

  it.each(['kustomize', 'chart'])(
    'has every rule and dashboard query (%s) select only metrics it exports, by labels they carry',
    async (which) => {
      const rules = rulesOf(rendered(which));
      const recorded = new Set(rules.flatMap((r) => (r.record ? [r.record] : [])));
      const exprs = [...rules.map((r) => r.expr), ...dashboardExpressions(dashboardOf(rendered(which)))];
      const verdicts = await parsePromql(exprs);
      const families = exported(metrics);
      const problems: string[] = [];
      verdicts.forEach((verdict, i) => {
        if ('error' in verdict) return void problems.push(`${exprs[i] ?? ''}: ${verdict.error}`);
        for (const { metric, labels } of verdict.selectors) {
          if (recorded.has(metric) || prometheusOwn.has(metric)) continue;
          const carried = families.get(metric);
          if (!carried) {
            problems.push(`${metric} is not exported`);
            continue;
          }
          // A family that has no samples yet (no approval expired here) cannot say its labels; its name is enough.
          if (!carried.sampled) continue;
          for (const label of labels)
            if (!carried.labels.has(label) && !targetLabels.has(label))
              problems.push(`${metric} has no label ${label}`);
        }
      });
      expect([...new Set(problems)]).toEqual([]);
    },
  );

  it('says a broken audit chain in /metrics and the log, as soon as a watcher leads', async () => {
    const cluster = `m-${randomBytes(4).toString('hex')}`;
    const redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
    const { stream, head, anchor } = auditKeys(cluster);
    try {
      const audit = createAuditLog({ redis, cluster, log: () => undefined });
      for (const i of [1, 2, 3])
        await audit.record({ kind: 'request.queued', user: 'U0ALICE', verb: 'scale', text: `${i}` });
      await audit.close();
      // Someone with Redis access edits the second record: streams cannot be edited in place, so rewrite it.
      const entries = await redis.xrange(stream, '-', '+');
      await redis.del(stream);
      for (const [id, fields] of entries)
        await redis.xadd(stream, id, ...fields.map((f) => f.replace('"text":"2"', '"text":"22"')));
      const tampered = await startTestBot({ emu, cluster: ns.cluster, clusterName: cluster });
      try {
        const intact = new RegExp(`coxswain_audit_chain_intact\\{cluster="${cluster}"\\} (\\d)`, 'u');
        await waitUntil(async () => intact.exec(await scrape(tampered))?.[1] === '0', {
          what: 'the broken chain in /metrics',
          timeoutMs: 30_000,
        });
        expect(tampered.logs.join('\n')).toContain('the audit chain is broken');
      } finally {
        await tampered.stop();
      }
    } finally {
      await redis.del(stream, head, anchor);
      redis.disconnect();
    }
  });
});
