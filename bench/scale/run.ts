// Scale benchmark: how the gateway's costs grow with N exposed services and P providers.
//   control plane: on the test clusters (real apiservers and nodes), one gateway per P with P
//     clients in namespaces of cluster b, grown to each N by `expose -f`;
//   rendering: the server's HAProxy config for N × P in process, `haproxy -c`, a real reload;
//   data plane: the server with K clients connected, on the real daemons in network namespaces.
// Figures are printed with their growth from the smallest to the largest N and P (ratios:
// machines are noisy), and the targets of docs/design.md beside them.
// Run (root, as the test suites): npx tsx bench/scale/run.ts [--quick] [--sizes 10,100,500,1000] [--providers 1,5,20]
import {buildAll} from '../../test/cluster/builds.js'
import {up} from '../../test/cluster/up.js'
import {type CommandFigures, controlPlaneFigures, type PairedFigures, pairedExpose, Plugin, type ProviderLevel, removeGateway} from './control-plane.js'
import {dataPlaneFigures} from './data-plane.js'
import {renderFigures} from './render.js'

const quick = process.argv.includes('--quick')
const listArg = (name: string): number[] | undefined => {
  const i = process.argv.indexOf(name)
  return i > 0 ? process.argv[i + 1].split(',').map(Number) : undefined
}
const SIZES = listArg('--sizes') ?? (quick ? [10, 100] : [10, 100, 500, 1000])
const PROVIDERS = listArg('--providers') ?? (quick ? [1, 5] : [1, 5, 20])
const ROUNDS = quick ? 1 : 3
const PAIRED_ROUNDS = quick ? 2 : 5
const DATAPLANE_CLIENTS = quick ? 5 : 20
const log = (line: string) => process.stderr.write(`• ${line}\n`)
const f0 = (n: number) => n.toFixed(0)
const f1 = (n: number) => n.toFixed(1)
const growth = (a: number, b: number) => `${(b / a).toFixed(2)}×`

console.log(`# kubectl-svcgw scale benchmark${quick ? ' (--quick)' : ''}\n`)

// Rendering first: it needs no cluster.
console.log('## Server config for N services × P clients (each service served by every client)\n')
console.log('| N | P | render ms | config KiB | haproxy -c ms | reload ms |')
console.log('| --- | --- | --- | --- | --- | --- |')
const renders = new Map<string, Awaited<ReturnType<typeof renderFigures>>>()
const skipped: string[] = []
for (const p of PROVIDERS) {
  for (const n of SIZES) {
    const r = await renderFigures(n, p, true)
    renders.set(`${n}/${p}`, r)
    console.log(`| ${n} | ${p} | ${f1(r.renderMs)} | ${f1(r.configBytes / 1024)} | ${f0(r.checkMs)} | ${r.reloadMs === undefined ? (r.reloadSkipped ? 'n/a¹' : '') : f0(r.reloadMs)} |`)
    if (r.reloadSkipped) skipped.push(`¹ N=${n}, P=${p}: no reload measured: ${r.reloadSkipped}.`)
  }
}
if (skipped.length > 0) console.log(`\n${skipped.join('\n')}`)
const [nMin, nMax, pMin, pMax] = [SIZES[0], SIZES.at(-1)!, PROVIDERS[0], PROVIDERS.at(-1)!]
console.log(`\nrender at N=${nMax}, P=${pMax}: ${f1(renders.get(`${nMax}/${pMax}`)!.renderMs)} ms (target ≤ 50 ms at N=1000)\n`)

const sizesFor = (p: number): number[] => SIZES.filter((n) => !renders.get(`${n}/${p}`)!.reloadSkipped)
const built = buildAll('inherit')
if ('missing' in built) throw new Error(`the test clusters cannot run here: ${built.missing}`)
const set = await up(built, {clusters: 2})
const levels = new Map<number, ProviderLevel>()
let paired: PairedFigures | undefined
try {
  const plugin = new Plugin(set.kubeconfig)
  // A gateway whose server HAProxy could not reload here (file descriptors, see the render table)
  // is not grown to that size: its exposes would wait for a reload that never comes.
  // The largest P (measured last) stays for the paired rounds.
  for (const p of PROVIDERS) levels.set(p, await controlPlaneFigures(plugin, p, sizesFor(p), ROUNDS, log, p === PROVIDERS.at(-1)))
  try {
    if (PROVIDERS.length > 1) paired = await pairedExpose(plugin, PROVIDERS[0], PROVIDERS.at(-1)!, SIZES[0], PAIRED_ROUNDS, log)
  } finally {
    removeGateway(plugin, PROVIDERS.at(-1)!)
  }
} finally {
  await set.stop()
}

console.log('## Commands on the test clusters (median ms; one expose: its writes and bytes sent)\n')
console.log('| N | P | expose | writes | KiB sent | unexpose | list | status | server install | registry KiB | server config KiB |')
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |')
for (const p of PROVIDERS) {
  for (const n of sizesFor(p)) {
    const c = levels.get(p)!.byN.get(n)!
    console.log(
      `| ${n} | ${p} | ${f0(c.exposeMs)} | ${c.exposeWrites} | ${f1(c.exposeKiB)} | ${f0(c.unexposeMs)} | ${f0(c.listMs)} | ${f0(c.statusMs)} | ${f0(c.reinstallMs)} | ${f1(c.registryBytes / 1024)} | ${f1(c.serverProxyBytes / 1024)} |`,
    )
  }
}

const figure = (p: number, n: number): CommandFigures => levels.get(p)!.byN.get(n)!
// Growth over P at the largest N that every P reached.
const nAll = Math.min(...PROVIDERS.map((p) => sizesFor(p).at(-1)!))
console.log(`\n## Growth (N ${nMin} → ${nMax} at P=${pMin}; P ${pMin} → ${pMax} at N=${nAll})\n`)
console.log('| figure | × over N | × over P |')
console.log('| --- | --- | --- |')
for (const [name, pick] of [
  ['expose', (c: CommandFigures) => c.exposeMs],
  ['expose writes', (c: CommandFigures) => c.exposeWrites],
  ['expose KiB sent', (c: CommandFigures) => c.exposeKiB],
  ['unexpose', (c: CommandFigures) => c.unexposeMs],
  ['list', (c: CommandFigures) => c.listMs],
  ['status', (c: CommandFigures) => c.statusMs],
  ['server install', (c: CommandFigures) => c.reinstallMs],
  ['registry size', (c: CommandFigures) => c.registryBytes],
  ['server config size', (c: CommandFigures) => c.serverProxyBytes],
] as const) {
  console.log(`| ${name} | ${growth(pick(figure(pMin, nMin)), pick(figure(pMin, nMax)))} | ${growth(pick(figure(pMin, nAll)), pick(figure(pMax, nAll)))} |`)
}

if (paired) {
  console.log(`\n## One expose at P=${pMin} and P=${pMax} in turns (N=${paired.services}, ${PAIRED_ROUNDS} rounds, medians; the P=${pMin} gateway's clients in cluster a)\n`)
  console.log(`| P=${pMin} ms | P=${pMax} ms | × (median of the rounds' ratios) |`)
  console.log('| --- | --- | --- |')
  console.log(`| ${f0(paired.fewMs)} | ${f0(paired.manyMs)} | ${paired.ratio.toFixed(2)}× |`)
}

console.log('\n## Batches (one registry update, one apply round per cluster)\n')
console.log('| P | expose -f of | ms | × one expose | unexpose --all ms | × one unexpose |')
console.log('| --- | --- | --- | --- | --- | --- |')
for (const p of PROVIDERS) {
  const biggest = [...levels.get(p)!.byN.values()].map((c) => c.batch).filter((b) => b !== undefined).sort((a, b) => b!.services - a!.services)[0]!
  const top = figure(p, sizesFor(p).at(-1)!)
  console.log(`| ${p} | ${biggest.services} | ${f0(biggest.ms)} | ${growth(top.exposeMs, biggest.ms)} | ${f0(levels.get(p)!.unexposeAllMs)} | ${growth(top.unexposeMs, levels.get(p)!.unexposeAllMs)} |`)
}

log(`data plane: ${DATAPLANE_CLIENTS} clients`)
const dp = await dataPlaneFigures(DATAPLANE_CLIENTS, quick ? 5 : 10)
console.log(`\n## Data plane: the server with ${dp.clients} clients connected (real openvpn and haproxy, network namespaces)\n`)
console.log('| all connected after start | server RSS at idle | server CPU at idle | all back after a server restart |')
console.log('| --- | --- | --- | --- |')
console.log(`| ${f1(dp.connectMs / 1000)} s | ${f1(dp.idleRssMiB)} MiB | ${f1(dp.idleCpuPercent)} % | ${f1(dp.reconnectMs / 1000)} s |`)

console.log('\n## Targets\n')
const target = (what: string, value: number, limit: number) => console.log(`- ${what}: ${value.toFixed(2)} (target ≤ ${limit}) ${value <= limit ? 'met' : 'NOT met'}`)
target(`expose at N=${nMax} / N=${nMin} (P=${pMin})`, figure(pMin, nMax).exposeMs / figure(pMin, nMin).exposeMs, 1.5)
target(`expose at P=${pMax} / P=${pMin} (N=${nMin}), levels measured one after the other`, figure(pMax, nMin).exposeMs / figure(pMin, nMin).exposeMs, 2)
if (paired) target(`expose at P=${pMax} / P=${pMin} (N=${paired.services}), in turns (median of ${PAIRED_ROUNDS} paired rounds)`, paired.ratio, 2)
target(`status with ${pMax} clients, seconds`, figure(pMax, nMin).statusMs / 1000, 2)
target(`render at N=${nMax}, P=${pMax}, ms`, renders.get(`${nMax}/${pMax}`)!.renderMs, 50)
for (const p of PROVIDERS) {
  const biggest = [...levels.get(p)!.byN.values()].map((c) => c.batch!).filter(Boolean).sort((a, b) => b.services - a.services)[0]
  target(`expose -f of ${biggest.services} / one expose (P=${p})`, biggest.ms / figure(p, sizesFor(p).at(-1)!).exposeMs, 3)
}
