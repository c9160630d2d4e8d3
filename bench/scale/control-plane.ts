import {spawnSync} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {median} from '../cli/startup.js'

const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

export interface Stats {
  reads: number
  writes: number
  bytesSent: number
  written: string[]
}

export interface CommandFigures {
  exposeMs: number
  exposeWrites: number
  exposeKiB: number
  unexposeMs: number
  listMs: number
  statusMs: number
  reinstallMs: number
  /** The batch that grew the registry to N, if any: its size and time. */
  batch?: {services: number; ms: number}
  registryBytes: number
  serverProxyBytes: number
}

export class Plugin {
  constructor(private readonly kubeconfig: string) {}

  /** Runs the built plugin; returns its wall time and the request stats it printed (SVCGW_STATS=json). */
  run(args: string[], allowed = [0]): {ms: number; stats?: Stats; stdout: string} {
    const started = process.hrtime.bigint()
    const r = spawnSync(process.execPath, [BIN, ...args], {env: {...process.env, KUBECONFIG: this.kubeconfig, NO_COLOR: '1', SVCGW_STATS: 'json'}, encoding: 'utf8', maxBuffer: 64 << 20})
    const ms = Number(process.hrtime.bigint() - started) / 1e6
    if (!allowed.includes(r.status ?? -1)) throw new Error(`kubectl svcgw ${args.join(' ')} exited ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`)
    const line = r.stderr.split('\n').find((l) => l.startsWith('SVCGW_STATS '))
    return {ms, stdout: r.stdout, ...(line ? {stats: JSON.parse(line.slice('SVCGW_STATS '.length)) as Stats} : {})}
  }

  kubectl(args: string[]): string {
    const r = spawnSync('kubectl', ['--kubeconfig', this.kubeconfig, ...args], {encoding: 'utf8', maxBuffer: 64 << 20})
    if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`)
    return r.stdout
  }
}

const valuesFile = (from: number, to: number, namespace: string): string => {
  const path = join(mkdtempSync(join(tmpdir(), 'svcgw-scale-values-')), 'values.yaml')
  const lines = ['services:']
  for (let i = from; i < to; i++) lines.push(`  - {name: svc-${i}, port: 80, clientService: {name: web, namespace: ${namespace}, port: 80}}`)
  writeFileSync(path, `${lines.join('\n')}\n`)
  return path
}

const dataBytes = (plugin: Plugin, ns: string, name: string): number => {
  const cm = JSON.parse(plugin.kubectl(['--context', 'ctx-a', '-n', ns, 'get', 'configmap', name, '-o', 'json'])) as {data?: Record<string, string>}
  return Object.values(cm.data ?? {}).reduce((sum, v) => sum + Buffer.byteLength(v), 0)
}

/**
 * One gateway with P clients (namespaces of cluster b serving one
 * Service), grown to each N in turn by `expose -f`; at each N the cost of
 * the everyday commands, medians of `rounds` runs.
 */
export interface ProviderLevel {
  byN: Map<number, CommandFigures>
  /** `unexpose --all` of the largest N: one registry update and one apply round. */
  unexposeAllMs: number
}

/** The namespaces of the gateway with P clients, for the paired rounds and the cleanup. */
const gatewayOf = (providers: number) => ({gw: `scale-p${providers}`, app: `scale-app-p${providers}`})

/** Deletes the gateway with P clients and its provider namespaces (not waiting). */
export function removeGateway(plugin: Plugin, providers: number): void {
  const {gw, app} = gatewayOf(providers)
  for (const [ctx, ns] of [['ctx-a', gw], ['ctx-b', app], ...Array.from({length: providers}, (_, i) => ['ctx-b', `${gw}-c${i}`])]) {
    try {
      plugin.kubectl(['--context', ctx, 'delete', 'namespace', ns, '--wait=false'])
    } catch {}
  }
}

/**
 * With `keep`, the gateway stays (emptied by the last `unexpose --all`) for
 * pairedExpose; the caller removes it.
 */
export async function controlPlaneFigures(plugin: Plugin, providers: number, sizes: number[], rounds: number, log: (line: string) => void, keep = false): Promise<ProviderLevel> {
  const {gw, app} = gatewayOf(providers)
  const home = ['--context', 'ctx-a', '-n', gw]
  let failed = true
  plugin.kubectl(['--context', 'ctx-b', 'create', 'namespace', app])
  plugin.kubectl(['--context', 'ctx-b', '-n', app, 'create', 'service', 'clusterip', 'web', '--tcp=80:8080'])
  plugin.run(['server', 'install', ...home, '--service-type', 'NodePort'])
  for (let i = 0; i < providers; i++) plugin.run(['client', 'install', ...home, '--to', 'ctx-b', '--name', `c${i}`, '--client-namespace', `${gw}-c${i}`])
  log(`P=${providers}: server and ${providers} client(s) installed`)
  const figures = new Map<number, CommandFigures>()
  let current = 0
  try {
    for (const n of sizes) {
      let batch: CommandFigures['batch']
      if (n > current) {
        const r = plugin.run(['expose', '-f', valuesFile(current, n, app), ...home])
        batch = {services: n - current, ms: r.ms}
        current = n
        // The batch's aftermath (kube-proxy programming hundreds of Services, the proxies' first
        // checks of them) is not counted against the commands measured next: 40 ms a service, 20 s at most.
        await new Promise((resolve) => setTimeout(resolve, Math.min(20_000, batch!.services * 40)))
      }
      const exposes: Array<{ms: number; stats?: Stats}> = []
      const unexposes: number[] = []
      for (let i = 0; i < rounds; i++) {
        exposes.push(plugin.run(['expose', 'web', '--port', '80', '--service-namespace', app, '--as', 'probe', ...home]))
        unexposes.push(plugin.run(['unexpose', 'probe', ...home]).ms)
      }
      const timed = (args: string[], allowed?: number[]) => median(Array.from({length: rounds}, () => plugin.run([...args, ...home], allowed).ms))
      const stats = exposes.at(-1)!.stats
      figures.set(n, {
        exposeMs: median(exposes.map((e) => e.ms)),
        exposeWrites: stats?.writes ?? NaN,
        exposeKiB: (stats?.bytesSent ?? NaN) / 1024,
        unexposeMs: median(unexposes),
        listMs: timed(['list']),
        // The Service has no pods: backends are down and status exits 8; its cost is what is measured.
        statusMs: timed(['status'], [0, 8]),
        reinstallMs: timed(['server', 'install', '--service-type', 'NodePort']),
        ...(batch ? {batch} : {}),
        registryBytes: dataBytes(plugin, gw, 'svcgw-registry'),
        serverProxyBytes: dataBytes(plugin, gw, 'svcgw-server-haproxy'),
      })
      log(`P=${providers} N=${n}: expose ${figures.get(n)!.exposeMs.toFixed(0)} ms`)
    }
    const all = plugin.run(['unexpose', '--all', ...home])
    log(`P=${providers}: unexpose --all of ${current} services ${all.ms.toFixed(0)} ms`)
    failed = false
    return {byN: figures, unexposeAllMs: all.ms}
  } finally {
    if (failed || !keep) removeGateway(plugin, providers)
  }
}

export interface PairedFigures {
  services: number
  /** Median ms of one expose on each gateway. */
  fewMs: number
  manyMs: number
  /** Median of each round's many / few. */
  ratio: number
}

/**
 * One expose on a gateway with few providers and one on the gateway with
 * many (kept from its level), in turns, both holding the same N services.
 * The levels run one after the other, so a change in the machine's load
 * between them (other work, the test clusters settling) lands on one side of
 * the P ratio only; here every round times both within seconds. The few
 * providers' gateway is made here with its clients in cluster a: cluster
 * b's one node is full with the many (20 client pods at 100m CPU each are its
 * 2 CPUs), and a 21st pod would never be scheduled.
 */
export async function pairedExpose(plugin: Plugin, few: number, many: number, services: number, rounds: number, log: (line: string) => void): Promise<PairedFigures> {
  const gw = 'scale-paired'
  const app = 'scale-paired-app'
  plugin.kubectl(['--context', 'ctx-a', 'create', 'namespace', app])
  plugin.kubectl(['--context', 'ctx-a', '-n', app, 'create', 'service', 'clusterip', 'web', '--tcp=80:8080'])
  try {
    const fewHome = ['--context', 'ctx-a', '-n', gw]
    plugin.run(['server', 'install', ...fewHome, '--service-type', 'NodePort'])
    for (let i = 0; i < few; i++) plugin.run(['client', 'install', ...fewHome, '--to', 'ctx-a', '--name', `c${i}`, '--client-namespace', `${gw}-c${i}`])
    const sides = [
      {home: fewHome, app, context: 'ctx-a'},
      {home: ['--context', 'ctx-a', '-n', gatewayOf(many).gw], app: gatewayOf(many).app, context: 'ctx-b'},
    ]
    for (const side of sides) plugin.run(['expose', '-f', valuesFile(0, services, side.app), ...side.home])
    await new Promise((resolve) => setTimeout(resolve, Math.min(20_000, services * 40)))
    const times: number[][] = [[], []]
    for (let i = 0; i < rounds; i++) {
      sides.forEach((side, k) => times[k].push(plugin.run(['expose', 'web', '--port', '80', '--service-namespace', side.app, '--as', 'paired', ...side.home]).ms))
      for (const side of sides) plugin.run(['unexpose', 'paired', ...side.home])
    }
    const figures = {services, fewMs: median(times[0]), manyMs: median(times[1]), ratio: median(times[1].map((ms, i) => ms / times[0][i]))}
    log(`paired P=${few}/P=${many} at N=${services}: ${figures.fewMs.toFixed(0)} / ${figures.manyMs.toFixed(0)} ms, ${figures.ratio.toFixed(2)}×`)
    return figures
  } finally {
    for (const ns of [gw, app, ...Array.from({length: few}, (_, i) => `${gw}-c${i}`)]) {
      try {
        plugin.kubectl(['--context', 'ctx-a', 'delete', 'namespace', ns, '--wait=false'])
      } catch {}
    }
  }
}
