import {Flags} from '@oclif/core'

import {ClusterCommand} from '../base-command.js'
import {SvcgwError} from '../errors.js'
import type {BackendStatus, StatusReport, Verdict} from '../gateway/status.js'
import {colour, visibleLength} from '../ui/colour.js'
import type {table as Table} from '../ui/output.js'

const PAINT: Record<Verdict, (text: string) => string> = {healthy: colour.green, degraded: colour.yellow, down: colour.red, unknown: colour.dim}
const paint = (verdict: Verdict, text: string) => PAINT[verdict](text)
const upDown = (b: BackendStatus) => (b.state === 'up' ? colour.green('up') : b.state === 'unknown' ? colour.dim('unknown') : colour.red(b.detail ? `down(${b.detail})` : 'down'))
const yesNo = (value: boolean | null) => (value === null ? colour.dim('?') : value ? colour.green('yes') : colour.red('no'))
const bytes = (n?: number) => (n === undefined ? '' : n < 1024 ? `${n}B` : n < 1_048_576 ? `${(n / 1024).toFixed(1)}KiB` : `${(n / 1_048_576).toFixed(1)}MiB`)

export function renderStatus(r: StatusReport, table: typeof Table): string {
  const lines = [
    `${paint(r.verdict, r.verdict.toUpperCase())}: ${r.message}`,
    '',
    `server   ${r.server.context}/${r.server.namespace}   ready ${r.server.replicas}   endpoint ${r.server.endpoint ?? '<pending>'}` +
      (r.server.liveData ? `   (${r.server.liveData})` : ''),
    `certs    ca ${r.certificates.caDaysLeft ?? '?'} days left, server ${r.certificates.serverDaysLeft ?? '?'} days left`,
  ]
  if (r.clients.length > 0) {
    lines.push(
      '',
      table(
        ['CLIENT', 'CONTEXT', 'TUNNEL-IP', 'READY', 'CONNECTED', 'SINCE', 'CHECK', 'SENT', 'RECEIVED', 'CERT-DAYS'],
        r.clients.map((c) => [
          c.name,
          c.context ?? '',
          c.tunnelIP,
          yesNo(c.ready),
          yesNo(c.connected),
          c.since ? c.since.slice(0, 19).replace('T', ' ') : '',
          c.tunnelCheckMs === undefined ? '' : `${c.tunnelCheckMs}ms`,
          bytes(c.bytesSent),
          bytes(c.bytesReceived),
          String(c.certDaysLeft),
        ]),
        visibleLength,
      ),
    )
  }
  if (r.services.length > 0) {
    lines.push(
      '',
      table(
        ['SERVICE', 'PORT', 'TARGET', 'BACKENDS'],
        r.services.map((s) => [s.name, String(s.port), s.target, s.backends.map((b) => `${b.client}=${upDown(b)}`).join(' ') || '<no client>']),
        visibleLength,
      ),
    )
  }
  return lines.join('\n')
}

export default class Status extends ClusterCommand<typeof Status> {
  static override summary = 'Show whether the tunnels are healthy: server, clients, backends and certificates.'
  static override description = `Prints a one-line verdict and the details; exits 0 when healthy, 8 when degraded or down, and 9 when health cannot be told (live data could not be read, or the server's proxy has not yet checked a client it just added), so scripts can tell an outage from a blind spot.
Live data (which tunnels answer, backend health, bytes per client) is HAProxy's stats in the server pod, read through port-forward: no exec, no Secret (see docs/rbac.md).`
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status -o json', '<%= config.bin %> status --watch']
  static override flags = {
    watch: Flags.boolean({char: 'w', description: 'Refresh until interrupted.'}),
    interval: Flags.integer({description: 'Seconds between refreshes with --watch.', default: 5, min: 1}),
  }

  async run(): Promise<StatusReport> {
    const home = await this.home()
    const {gatewayStatus} = await import('../gateway/status.js')
    const {table} = await import('../ui/output.js')
    for (;;) {
      const report = await gatewayStatus(home)
      if (this.flags.watch && this.format === 'text' && process.stdout.isTTY) process.stdout.write('\u001B[2J\u001B[H')
      this.emit(report, (r) => renderStatus(r, table))
      if (!this.flags.watch) {
        if (report.verdict === 'unknown') throw new SvcgwError('unknown', `gateway health is unknown`, report.message)
        if (report.verdict !== 'healthy') throw new SvcgwError('unhealthy', `gateway is ${report.verdict}`, report.message)
        return report
      }
      await new Promise((resolve) => setTimeout(resolve, this.flags.interval * 1000))
    }
  }
}
