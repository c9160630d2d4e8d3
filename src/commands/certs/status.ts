import {Flags} from '@oclif/core'

import {ClusterCommand} from '../../base-command.js'
import {SvcgwError} from '../../errors.js'
import type {CertificateRow, CertsStatus} from '../../gateway/certs/status.js'
import {colour, visibleLength} from '../../ui/colour.js'

function urgency(row: CertificateRow, warnDays: number): string {
  const days = String(row.daysLeft)
  if (row.daysLeft < Math.min(7, warnDays)) return colour.red(days)
  if (row.daysLeft < warnDays) return colour.yellow(days)
  return colour.green(days)
}

function providerCell(row: CertificateRow): string {
  if (!row.provider) return ''
  if (row.provider === 'behind') return colour.yellow(`behind${row.issuerSerial ? ` (issuer holds ${row.issuerSerial})` : ''}`)
  if (row.provider === 'unreachable') return colour.yellow('unreachable')
  return row.provider
}

export default class CertsStatusCommand extends ClusterCommand<typeof CertsStatusCommand> {
  static override summary = 'Show every certificate: expiry, which CA issued it, and whether each provider holds the current one.'
  static override description = `Per provider, compares the certificate it holds (read from its cluster) with the one its issuer holds now: cert-manager renews on its own, so a provider is "behind" until "certs sync". During a CA rotation, shows which clients are still on the previous CA.
Exits with code 8 when a provider is behind or a certificate has fewer than --warn-days left, so a cron job can alert.`
  static override examples = ['<%= config.bin %> certs status', '<%= config.bin %> certs status --warn-days 60 -o json']
  static override flags = {
    'warn-days': Flags.integer({description: 'Warn (and exit non-zero) when a certificate has fewer days left.', default: 30, min: 0}),
  }

  async run(): Promise<CertsStatus> {
    const {certsStatus} = await import('../../gateway/certs/status.js')
    const {table} = await import('../../ui/output.js')
    const result = await certsStatus(await this.home(), this.flags['warn-days'])
    this.emit(result, (r) =>
      [
        `certificates ${r.mode === 'self' ? 'issued by the plugin' : 'issued by cert-manager'}`,
        ...(r.caRotation ? [`CA rotation to ${r.caRotation.current} in progress, next step: ${r.caRotation.next}${r.caRotation.waiting.length > 0 ? `; waiting for ${r.caRotation.waiting.join(', ')}` : ''}`] : []),
        table(
          ['NAME', 'KIND', 'STATE', 'SERIAL', 'NOT-AFTER', 'DAYS-LEFT', 'CONTEXT', ...(r.caRotation ? ['CA'] : []), 'PROVIDER'],
          r.certificates.map((c) => [
            c.name,
            c.kind,
            c.state,
            c.serial,
            c.notAfter.slice(0, 10),
            urgency(c, r.warnDays),
            c.context ?? '',
            ...(r.caRotation ? [c.ca === 'previous' ? colour.yellow('previous') : (c.ca ?? '')] : []),
            providerCell(c),
          ]),
          visibleLength,
        ),
      ].join('\n'),
    )
    if (result.superseded.length > 0) {
      this.reporter.warn(`still valid though replaced: ${result.superseded.join(', ')}; revoke with "kubectl svcgw certs revoke --client NAME --superseded" once the provider runs the new one`)
    }
    for (const row of result.certificates.filter((c) => c.provider === 'unreachable' && c.problem)) this.reporter.warn(`could not ask the provider of ${row.name}: ${row.problem}`)
    const problems = [
      ...(result.behind.length > 0 ? [`${result.behind.length} provider(s) hold an older certificate than their issuer: ${result.behind.join(', ')}`] : []),
      ...(result.expiringSoon.length > 0 ? [`${result.expiringSoon.length} certificate(s) expire within ${result.warnDays} days: ${result.expiringSoon.join(', ')}`] : []),
    ]
    if (problems.length > 0) {
      throw new SvcgwError('unhealthy', problems.join('; '), result.behind.length > 0 ? 'distribute them with "kubectl svcgw certs sync --all"' : 'rotate them with "kubectl svcgw certs rotate" (or "certs sync --all")')
    }
    return result
  }
}
