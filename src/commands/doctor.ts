import {Args, Flags} from '@oclif/core'

import {ClusterCommand} from '../base-command.js'
import {SvcgwError} from '../errors.js'
import type {DoctorReport, Hop, ServicePath} from '../gateway/doctor/index.js'
import {colour, visibleLength} from '../ui/colour.js'

const MARK: Record<Hop['state'], string> = {ok: colour.green('✓'), fail: colour.red('✗'), unknown: colour.yellow('?')}
const VERDICT: Record<DoctorReport['verdict'], (s: string) => string> = {ok: colour.green, broken: colour.red, unknown: colour.yellow}
const WORD: Record<DoctorReport['verdict'], string> = {ok: 'OK', broken: 'BROKEN', unknown: 'UNKNOWN'}
const TITLE_WIDTH = 26

const latency = (h: Hop) => (h.latencyMs === undefined || / ms\b/.test(h.detail) ? '' : colour.dim(` (${h.latencyMs < 10 ? h.latencyMs.toFixed(1) : Math.round(h.latencyMs)} ms)`))

function hopLines(h: Hop, indent: string): string[] {
  const title = h.title + ' '.repeat(Math.max(1, TITLE_WIDTH - indent.length - visibleLength(h.title)))
  const lines = [`${indent}${MARK[h.state]} ${title}${h.detail}${latency(h)}`]
  const more = `${indent}    `
  if (h.state === 'fail' && !h.symptom) {
    if (h.cause) lines.push(`${more}${colour.red('cause:')} ${h.cause}`)
    if (h.fix) lines.push(`${more}${colour.green('fix:')}   ${h.fix}`)
  } else if (h.state === 'fail' && h.cause) {
    lines.push(`${more}${colour.dim(`${h.cause} (the cause is further along)`)}`)
  }
  if (h.state === 'unknown' && h.missing) lines.push(`${more}${colour.yellow('needs:')} ${h.missing}`)
  return lines
}

function pathLines(p: ServicePath): string[] {
  const lines = [`${colour.bold(`${p.name}:${p.port}`)} → ${p.target}   ${VERDICT[p.verdict](WORD[p.verdict])}`]
  for (const h of p.hops) lines.push(...hopLines(h, '  '))
  for (const b of p.clients) {
    lines.push(`  client ${b.client}${b.context && b.context !== b.client ? ` (${b.context})` : ''}`)
    for (const h of b.hops) lines.push(...hopLines(h, '    '))
  }
  if (p.probe) lines.push(...hopLines(p.probe, '  '))
  return lines
}

/** The text report: a verdict line, then per service one line per hop walked (✓ ✗ ?), the broken one with its cause and fix. */
export function renderDoctor(r: DoctorReport): string {
  return [
    `${VERDICT[r.verdict](WORD[r.verdict])}: ${r.message}`,
    ...r.services.flatMap((p) => ['', ...pathLines(p)]),
    '',
    colour.dim(`checked in ${(r.elapsedMs / 1000).toFixed(1)} s (${r.server.context}/${r.server.namespace})`),
  ].join('\n')
}

export default class Doctor extends ClusterCommand<typeof Doctor> {
  static override summary = "Find the broken hop on each exposed service's path and say how to fix it."
  static override description = `Walks each service's path from the consumer to the provider: the consumer Service, the server pod and its config, the proxy's frontend, then per client the server's backend check, the client pod, its certificate, NetworkPolicies, the tunnel, the provider Service, its endpoints and its DNS name, and a probe through the gateway (one straight through each client's tunnel, one through the server's frontend, naming the client that served it). One line per hop (✓ / ✗ / ?); it stops at the first broken hop of each path and names the cause and the fix.
Exits 0 when every path works, 8 when one does not, 9 when a path could not be checked (a '?' names the permission it needed). Needs more than status: exec in the gateway pods, their logs and the Secrets (see docs/rbac.md, "kubectl svcgw rbac doctor").`
  static override examples = ['<%= config.bin %> doctor', '<%= config.bin %> doctor nginx', '<%= config.bin %> doctor nginx --http', '<%= config.bin %> doctor nginx --probe-pod', '<%= config.bin %> doctor -o json']
  static override strict = false
  static override args = {
    service: Args.string({description: 'Exposed service to check (repeatable; default: every one).'}),
  }
  static override flags = {
    http: Flags.boolean({description: 'Probe with an HTTP GET / instead of a bare TCP connection.'}),
    'probe-pod': Flags.boolean({
      description: 'Probe through the consumer Service (its DNS name, kube-proxy) from a short-lived pod in the gateway namespace, instead of from the server pod (needs create and delete on pods).',
    }),
  }

  async run(): Promise<DoctorReport> {
    const home = await this.home()
    const {doctor} = await import('../gateway/doctor/index.js')
    const report = await doctor(home, {services: [...new Set(this.positionals)], http: this.flags.http, probePod: this.flags['probe-pod']})
    this.emit(report, renderDoctor)
    if (report.verdict === 'broken') throw new SvcgwError('unhealthy', report.message)
    if (report.verdict === 'unknown') throw new SvcgwError('unknown', report.message)
    return report
  }
}
