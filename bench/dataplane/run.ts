// Data-plane benchmark: throughput (iperf3) and request latency through the
// gateway, against the raw OpenVPN tunnel and a direct veth path measured in
// the same run, over TCP and UDP tunnels, with one and two clients.
// Each figure is the median of --rounds rounds, the paths measured in turn within a round so
// that drift of the machine hits them alike.
// Run as root: npx tsx bench/dataplane/run.ts [--seconds 4] [--rounds 3] [--requests 300] [--proto tcp,udp]
import {execFile, spawn} from 'node:child_process'
import {fileURLToPath} from 'node:url'

import {missingPrerequisite, removeLeftovers} from '../../test/dataplane/netns.js'
import {Rig, sleep} from '../../test/dataplane/rig.js'
import type {Host} from '../../test/dataplane/netns.js'

const HERE = fileURLToPath(new URL('.', import.meta.url))
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name)
  return i > 0 ? process.argv[i + 1] : fallback
}
const SECONDS = Number(arg('--seconds', '4'))
const ROUNDS = Number(arg('--rounds', '3'))
const PROTOS = arg('--proto', 'tcp,udp').split(',') as Array<'tcp' | 'udp'>
const LATENCY_REQUESTS = Number(arg('--requests', '300'))

function inNs(host: Host, args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('ip', ['netns', 'exec', host.ns, ...args], {encoding: 'utf8', maxBuffer: 1 << 24}, (error, stdout, stderr) =>
      error ? reject(new Error(`${args.join(' ')}: ${stderr || stdout.slice(0, 400) || error.message}`)) : resolve(stdout),
    ),
  )
}

/** Gbit/s received by an iperf3 server, from the client's JSON report. */
async function iperf(from: Host, to: string, port: number): Promise<number> {
  const out = await inNs(from, ['iperf3', '-c', to, '-p', String(port), '-t', String(SECONDS), '-J', '-O', '1'])
  return (JSON.parse(out) as {end: {sum_received: {bits_per_second: number}}}).end.sum_received.bits_per_second / 1e9
}

async function latency(from: Host, url: string): Promise<{p50: number; p99: number}> {
  return JSON.parse(await inNs(from, [process.execPath, `${HERE}latency.mjs`, url, String(LATENCY_REQUESTS)])) as {p50: number; p99: number}
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

interface Row {
  proto: string
  clients: number
  path: string
  gbps: number
  p50: number
  p99: number
}

async function measure(proto: 'tcp' | 'udp'): Promise<Row[]> {
  removeLeftovers()
  const rig = new Rig({
    proto,
    clients: ['c1', 'c2'],
    services: [
      {name: 'http1', port: 80, internalPort: 20_000, clientService: {name: 'http', namespace: 'default', port: 8080}, clients: ['c1']},
      {name: 'perf1', port: 5201, internalPort: 20_001, clientService: {name: 'perf', namespace: 'default', port: 5201}, clients: ['c1']},
      {name: 'perf2', port: 5201, internalPort: 20_002, clientService: {name: 'perf', namespace: 'default', port: 5201}, clients: ['c2']},
    ],
  })
  const daemons: Array<ReturnType<typeof spawn>> = []
  const daemon = (host: Host, args: string[]) => daemons.push(spawn('ip', ['netns', 'exec', host.ns, ...args], {stdio: 'ignore', detached: true}))
  try {
    rig.startBackends()
    rig.startServer()
    rig.startClient('c1')
    rig.startClient('c2')
    await rig.waitConnected(['c1', 'c2'])
    const [c1, c2] = [rig.clients.get('c1')!, rig.clients.get('c2')!]
    // Targets: iperf3 and HTTP behind each client (gateway), on each client itself (raw tunnel), on the server (direct veth).
    for (const host of [c1.backend, c2.backend, c1.host, c2.host, rig.server]) daemon(host, ['iperf3', '-s', '-p', '5201'])
    daemon(c1.host, [process.execPath, `${HERE}../../test/dataplane/backend.mjs`, 'raw'])
    daemon(rig.server, [process.execPath, `${HERE}../../test/dataplane/backend.mjs`, 'direct'])
    await rig.waitFor('the gateway answers', async () => (await rig.request(20_000)) !== undefined, 15_000)
    await sleep(1000)
    const tunnelIP = (name: string) => rig.registry.clients.find((c) => c.name === name)!.tunnelIP
    const paths: Array<[clients: number, path: string, run: () => Promise<{gbps: number; p50: number; p99: number}>]> = [
      [1, 'direct veth', async () => ({gbps: await iperf(rig.consumer, rig.server.address, 5201), ...(await latency(rig.consumer, `http://${rig.server.address}:8080/`))})],
      [1, 'raw tunnel', async () => ({gbps: await iperf(rig.server, tunnelIP('c1'), 5201), ...(await latency(rig.server, `http://${tunnelIP('c1')}:8080/`))})],
      [1, 'gateway', async () => ({gbps: await iperf(rig.consumer, rig.server.address, 20_001), ...(await latency(rig.consumer, `http://${rig.server.address}:20000/`))})],
      [2, 'raw tunnel', async () => ({gbps: sum(await Promise.all([iperf(rig.server, tunnelIP('c1'), 5201), iperf(rig.server, tunnelIP('c2'), 5201)])), p50: Number.NaN, p99: Number.NaN})],
      [2, 'gateway', async () => ({gbps: sum(await Promise.all([iperf(rig.consumer, rig.server.address, 20_001), iperf(rig.consumer, rig.server.address, 20_002)])), p50: Number.NaN, p99: Number.NaN})],
    ]
    const samples = paths.map(() => [] as Array<{gbps: number; p50: number; p99: number}>)
    for (let round = 0; round < ROUNDS; round++) for (const [i, [, , run]] of paths.entries()) samples[i].push(await run())
    const rows: Row[] = paths.map(([clients, path], i) => ({
      proto,
      clients,
      path,
      gbps: median(samples[i].map((s) => s.gbps)),
      p50: median(samples[i].map((s) => s.p50)),
      p99: median(samples[i].map((s) => s.p99)),
    }))
    return rows
  } finally {
    for (const d of daemons) {
      try {
        process.kill(-d.pid!, 'SIGKILL')
      } catch {}
    }
    await rig.teardown()
  }
}

const why = missingPrerequisite()
if (why || !(await new Promise((r) => execFile('sh', ['-c', 'command -v iperf3'], (e) => r(!e))))) {
  console.error(`bench/dataplane: ${why ?? 'needs iperf3'}`)
  process.exit(2)
}
const rows: Row[] = []
for (const proto of PROTOS) rows.push(...(await measure(proto)))
const fmt = (n: number, digits = 2) => (Number.isNaN(n) ? '' : n.toFixed(digits))
console.log('| tunnel | clients | path | Gbit/s | × raw tunnel | p50 ms | p99 ms | p50 added over raw (ms) |')
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |')
for (const row of rows) {
  const raw = rows.find((r) => r.proto === row.proto && r.clients === row.clients && r.path === 'raw tunnel')!
  console.log(
    `| ${row.proto} | ${row.clients} | ${row.path} | ${fmt(row.gbps)} | ${fmt(row.gbps / raw.gbps)} | ${fmt(row.p50, 3)} | ${fmt(row.p99, 3)} | ${row.path === 'gateway' && row.clients === 1 ? fmt(row.p50 - raw.p50, 3) : ''} |`,
  )
}
