import {Flags} from '@oclif/core'

import {ClusterCommand} from '../../base-command.js'
import {dryRunFlags, waitFlags, yesFlag} from '../../flags/index.js'

export default class ClientUninstall extends ClusterCommand<typeof ClientUninstall> {
  static override summary = 'Remove a gateway client from a provider cluster and revoke its certificate.'
  static override description = 'Deletes the client\'s objects (and its namespace if the install created it and nothing else lives there, or puts back its Pod Security labels), then forgets the client: every certificate it held is revoked.'
  static override examples = ['<%= config.bin %> client uninstall --to ctx-b', '<%= config.bin %> client uninstall --to ctx-b --yes', '<%= config.bin %> client uninstall --to ctx-b --dry-run']
  static override flags = {
    to: Flags.string({description: 'Kubeconfig context of the provider cluster (repeatable).', multiple: true}),
    name: Flags.string({description: 'Client name, when it differs from the one derived from the context.'}),
    ...yesFlag,
    ...waitFlags,
    ...dryRunFlags,
  }

  async run(): Promise<unknown> {
    const home = await this.home()
    const contexts = await this.providerContexts()
    await this.confirm(`Remove the gateway client from ${contexts.join(', ')} and revoke its certificate?`)
    const {uninstallClients} = await import('../../gateway/uninstall.js')
    return this.finish(await uninstallClients(home, contexts, {name: this.flags.name, ...this.live()}, this.reporter))
  }
}
