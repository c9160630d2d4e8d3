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

export default class CertsStatusCommand extends ClusterCommand<typeof CertsStatusCommand> {
  static override summary = 'Show the expiry of the CA, the server and every client certificate.'
  static override description = 'Exits with code 8 when any certificate has fewer than --warn-days left, so a cron job can alert.'
  static override examples = ['<%= config.bin %> certs status', '<%= config.bin %> certs status --warn-days 60 -o json']
  static override flags = {
    'warn-days': Flags.integer({description: 'Warn (and exit non-zero) when a certificate has fewer days left.', default: 30, min: 0}),
  }

  async run(): Promise<CertsStatus> {
    const {certsStatus} = await import('../../gateway/certs/status.js')
    const {table} = await import('../../ui/output.js')
    const result = await certsStatus(await this.home(), this.flags['warn-days'])
    this.emit(result, (r) =>
      table(
        ['NAME', 'KIND', 'STATE', 'SERIAL', 'NOT-AFTER', 'DAYS-LEFT', 'CONTEXT'],
        r.certificates.map((c) => [c.name, c.kind, c.state, c.serial, c.notAfter.slice(0, 10), urgency(c, r.warnDays), c.context ?? '']),
        visibleLength,
      ),
    )
    if (result.superseded.length > 0) {
      this.reporter.warn(`still valid though replaced: ${result.superseded.join(', ')}; revoke with "kubectl svcgw certs revoke --client NAME --superseded" once the provider runs the new one`)
    }
    if (result.expiringSoon.length > 0) {
      throw new SvcgwError(
        'unhealthy',
        `${result.expiringSoon.length} certificate(s) expire within ${result.warnDays} days: ${result.expiringSoon.join(', ')}`,
        'rotate them with "kubectl svcgw certs rotate"',
      )
    }
    return result
  }
}
