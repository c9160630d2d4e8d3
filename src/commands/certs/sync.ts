import {Flags} from '@oclif/core'

import {ClusterCommand} from '../../base-command.js'
import {dryRunFlags, waitFlags} from '../../flags/index.js'
import {validityFlags} from '../../flags/gateway.js'

export default class CertsSync extends ClusterCommand<typeof CertsSync> {
  static override summary = 'Give providers the certificate their issuer holds now (cert-manager renewals), and renew those near expiry.'
  static override description = `cert-manager renews certificates on its own; a provider keeps the copy it was given until this command writes the renewed one there, waits until the client is connected with it and revokes the old serial (as a rotation does). In self mode it renews certificates that expire within 30 days. "certs status" shows which providers are behind (exit code 8).
A provider that cannot be reached keeps working with the certificate it holds; the command names it and exits 5.`
  static override examples = ['<%= config.bin %> certs sync --all', '<%= config.bin %> certs sync --to ctx-b --to ctx-c', '<%= config.bin %> certs sync --all --dry-run']
  static override flags = {
    to: Flags.string({description: 'Context of a provider to bring up to date (repeatable).', multiple: true, exclusive: ['all']}),
    all: Flags.boolean({description: 'Every provider this kubeconfig reaches (clients with a context).'}),
    ...validityFlags,
    ...waitFlags,
    ...dryRunFlags,
  }

  async run(): Promise<unknown> {
    const home = await this.home()
    const {syncCerts} = await import('../../gateway/certs/sync.js')
    const contexts = this.flags.all ? [] : await this.providerContexts()
    return this.finish(await syncCerts(home, {contexts, all: this.flags.all}, {certDays: this.flags['cert-days'], ...this.live()}, this.reporter))
  }
}
