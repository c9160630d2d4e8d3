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
import {type CommandFigures, controlPlaneFigures, exposeInTurns, type Gateway, growTo, levelGateway, makeGateway, type PairedFigures, Plugin, type ProviderLevel, removeGateway, removeNamespaces, settleAfter} from './control-plane.js'
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
const paired: PairedFigures[] = []
try {
  const plugin = new Plugin(set.kubeconfig)
  // The levels are measured one after the other; each target ratio is measured again in turns,
  // with both gateways running (exposeInTurns). One gateway is made for it (P=pMin, N=nMin, its
  // client in cluster a) and paired with the P=pMin level's gateway grown back to N=nMax, then,
  // once that one is gone (cluster b's node holds only the P=pMax clients), with the P=pMax
  // level's gateway at N=nMin. A gateway whose server HAProxy could not reload here (file
  // descriptors, see the render table) is not grown to that size: its exposes would wait for a
  // reload that never comes.
  const made: Gateway[] = []
  try {
    levels.set(pMin, await controlPlaneFigures(plugin, pMin, sizesFor(pMin), ROUNDS, log, true))
    const few = makeGateway(plugin, 'scale-few', pMin)
    made.push(few)
    growTo(plugin, few, nMin)
    const nTop = sizesFor(pMin).at(-1)!
    if (nTop > nMin) {
      const big = levelGateway(pMin)
      growTo(plugin, big, nTop)
      await settleAfter(nTop)
      paired.push(await exposeInTurns(plugin, `N=${nMin} / N=${nTop} at P=${pMin}`, few, big, PAIRED_ROUNDS, log))
    }
    if (pMax > pMin) {
      removeGateway(plugin, pMin)
      for (const p of PROVIDERS.slice(1, -1)) levels.set(p, await controlPlaneFigures(plugin, p, sizesFor(p), ROUNDS, log))
      levels.set(pMax, await controlPlaneFigures(plugin, pMax, sizesFor(pMax), ROUNDS, log, true))
      const many = levelGateway(pMax)
      growTo(plugin, many, nMin)
      await settleAfter(nMin)
      paired.push(await exposeInTurns(plugin, `P=${pMin} / P=${pMax} at N=${nMin}`, few, many, PAIRED_ROUNDS, log))
    }
  } finally {
    for (const p of PROVIDERS) removeGateway(plugin, p)
    for (const gateway of made) removeNamespaces(plugin, gateway)
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

if (paired.length > 0) {
  console.log(`\n## One expose on two gateways in turns (${PAIRED_ROUNDS} rounds, medians; gateways made for it have their clients in cluster a)\n`)
  console.log('| gateways | fewer ms | more ms | × (median of the rounds\' ratios) |')
  console.log('| --- | --- | --- | --- |')
  for (const p of paired) console.log(`| ${p.label} | ${f0(p.fewMs)} | ${f0(p.manyMs)} | ${p.ratio.toFixed(2)}× |`)
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
// The targets hold for the in-turns ratios (same machine state on both sides); the levels'
// ratios are printed beside them, as measured.
const inTurns = (prefix: string) => paired.find((p) => p.label.startsWith(prefix))
const levelN = figure(pMin, nMax).exposeMs / figure(pMin, nMin).exposeMs
const levelP = figure(pMax, nMin).exposeMs / figure(pMin, nMin).exposeMs
const pairedN = inTurns(`N=${nMin} /`)
const pairedP = inTurns(`P=${pMin} /`)
if (pairedN) target(`expose at N=${nMax} / N=${nMin} (P=${pMin}), in turns (levels one after the other: ${levelN.toFixed(2)})`, pairedN.ratio, 1.5)
else target(`expose at N=${nMax} / N=${nMin} (P=${pMin})`, levelN, 1.5)
if (pairedP) target(`expose at P=${pMax} / P=${pMin} (N=${nMin}), in turns (levels one after the other: ${levelP.toFixed(2)})`, pairedP.ratio, 2)
else target(`expose at P=${pMax} / P=${pMin} (N=${nMin})`, levelP, 2)
target(`status with ${pMax} clients, seconds`, figure(pMax, nMin).statusMs / 1000, 2)
target(`render at N=${nMax}, P=${pMax}, ms`, renders.get(`${nMax}/${pMax}`)!.renderMs, 50)
for (const p of PROVIDERS) {
  const biggest = [...levels.get(p)!.byN.values()].map((c) => c.batch!).filter(Boolean).sort((a, b) => b.services - a.services)[0]
  target(`expose -f of ${biggest.services} / one expose (P=${p})`, biggest.ms / figure(p, sizesFor(p).at(-1)!).exposeMs, 3)
}
