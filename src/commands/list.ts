import {ClusterCommand} from '../base-command.js'

export default class List extends ClusterCommand<typeof List> {
  static override summary = 'List the exposed services and the clients that serve them.'
  static override examples = ['<%= config.bin %> list', '<%= config.bin %> list -o yaml']

  // bin/run.js answers the common cases of `list` without oclif or the Kubernetes client
  // (src/fastpath/list.ts); this is the path for everything else, and the same output.
  async run(): Promise<unknown> {
    const home = await this.home()
    const {registry} = await home.store.load()
    const {listText, listView} = await import('../ui/list-view.js')
    return this.emit(listView(registry), listText)
  }
}
