// `kubectl svcgw doctor` on a healthy gateway with 2 clients and 5 services, on the test clusters
// (target: ≤ 5 s, the whole command). Baseline in the same run: `kubectl svcgw status`, which reads
// the same gateway's live view (HAProxy's stats through port-forward) and walks no path.
// Run: npx tsx bench/cli/doctor.ts [--rounds 5]
import {buildAll} from '../../test/cluster/builds.js'
import {up} from '../../test/cluster/up.js'
import {installDoctorGateway, removeDoctorGateway, svcgwRun} from '../../test/e2e/doctor-setup.js'

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name)
  return i > 0 ? Number(process.argv[i + 1]) : fallback
}
const ROUNDS = arg('--rounds', 5)

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

const built = buildAll('inherit')
if ('missing' in built) throw new Error(`the test clusters cannot run here: ${built.missing}`)
const set = await up(built, {clusters: 2})
try {
  const g = await installDoctorGateway(set.kubeconfig, (line) => process.stderr.write(`• ${line}\n`))
  const time = async (args: string[]) => {
    const started = process.hrtime.bigint()
    const r = await svcgwRun(set.kubeconfig, [...args, ...g.home])
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`)
    return {ms: Number(process.hrtime.bigint() - started) / 1e6, stdout: r.stdout}
  }
  // The proxies' checks settle (every backend UP) before anything is timed.
  for (let i = 0; i < 60 && (await svcgwRun(set.kubeconfig, ['doctor', ...g.home])).status !== 0; i++) await new Promise((r) => setTimeout(r, 1000))
  const runs: Record<string, number[]> = {status: [], doctor: [], 'doctor --http': []}
  const inside: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    // Taken in turn, so both see the same load on this shared machine.
    runs.status.push((await time(['status'])).ms)
    const d = await time(['doctor', '-o', 'json'])
    runs.doctor.push(d.ms)
    inside.push((JSON.parse(d.stdout) as {elapsedMs: number}).elapsedMs)
    runs['doctor --http'].push((await time(['doctor', '--http'])).ms)
  }
  const base = median(runs.status)
  console.log(`| on the test clusters, 2 clients, 5 services (median of ${ROUNDS}) | ms | × status |`)
  console.log('| --- | --- | --- |')
  for (const [name, values] of Object.entries(runs)) console.log(`| kubectl svcgw ${name} | ${median(values).toFixed(0)} | ${(median(values) / base).toFixed(2)} |`)
  console.log(`| doctor's own walk (elapsedMs, without Node's start) | ${median(inside).toFixed(0)} | ${(median(inside) / base).toFixed(2)} |`)
  removeDoctorGateway(g)
} finally {
  await set.stop()
}
