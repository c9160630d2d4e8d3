import {ClusterCommand} from '../../base-command.js'
import {dryRunFlags, yesFlag} from '../../flags/index.js'

export default class ServerUninstall extends ClusterCommand<typeof ServerUninstall> {
  static override summary = 'Remove the gateway server from the home cluster.'
  static override description =
    'Deletes every object the server install created (labelled app.kubernetes.io/managed-by=kubectl-svcgw), the namespace if it created it and nothing else lives there, and puts back the Pod Security labels of a namespace it relabelled.'
  static override examples = ['<%= config.bin %> server uninstall', '<%= config.bin %> server uninstall --yes', '<%= config.bin %> server uninstall --dry-run']
  static override flags = {...yesFlag, ...dryRunFlags}

  async run(): Promise<unknown> {
    const home = await this.home()
    await this.confirm(`Remove the gateway server from namespace ${home.namespace} of ${home.cluster.context}?`)
    const {uninstallServer} = await import('../../gateway/uninstall.js')
    return this.finish(await uninstallServer(home, this.reporter))
  }
}
