import {Flags} from '@oclif/core'

import {ClusterCommand} from '../../base-command.js'
import {uninstallClients} from '../../gateway/uninstall.js'

export default class ClientUninstall extends ClusterCommand<typeof ClientUninstall> {
  static override summary = 'Remove a gateway client from a provider cluster and revoke its certificate.'
  static override examples = ['<%= config.bin %> client uninstall --to ctx-b', '<%= config.bin %> client uninstall --to ctx-b --yes']
  static override flags = {
    to: Flags.string({description: 'Kubeconfig context of the provider cluster (repeatable).', multiple: true}),
    name: Flags.string({description: 'Client name, when it differs from the one derived from the context.'}),
  }

  async run(): Promise<unknown> {
    const home = await this.home()
    const contexts = await this.providerContexts()
    if (!this.flags['dry-run']) await this.confirm(`Remove the gateway client from ${contexts.join(', ')} and revoke its certificate?`)
    const result = await uninstallClients(
      home,
      contexts,
      {kubeconfig: this.flags.kubeconfig, name: this.flags.name, dryRun: this.flags['dry-run']},
      this.reporter,
    )
    return this.emit(result, (r) => r.summary)
  }
}
