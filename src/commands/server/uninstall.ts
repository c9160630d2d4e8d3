import {ClusterCommand} from '../../base-command.js'
import {uninstallServer} from '../../gateway/uninstall.js'

export default class ServerUninstall extends ClusterCommand<typeof ServerUninstall> {
  static override summary = 'Remove the gateway server from the home cluster.'
  static override description =
    'Deletes every object the server install created (labelled app.kubernetes.io/managed-by=kubectl-svcgw) and the namespace if it created it; nothing else.'
  static override examples = ['<%= config.bin %> server uninstall', '<%= config.bin %> server uninstall --yes', '<%= config.bin %> server uninstall --dry-run']

  async run(): Promise<unknown> {
    const home = await this.home()
    if (!this.flags['dry-run']) await this.confirm(`Remove the gateway server from namespace ${home.namespace} of ${home.cluster.context}?`)
    const result = await uninstallServer(home, this.flags['dry-run'], this.reporter)
    return this.emit(result, (r) => r.summary)
  }
}
