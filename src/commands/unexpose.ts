import {Args} from '@oclif/core'

import {ClusterCommand} from '../base-command.js'

export default class Unexpose extends ClusterCommand<typeof Unexpose> {
  static override summary = 'Stop exposing a service: removes its local Service and its routes on every client.'
  static override examples = ['<%= config.bin %> unexpose nginx', '<%= config.bin %> unexpose nginx api']
  static override strict = false
  static override args = {
    name: Args.string({description: 'Name of the exposed service (as "kubectl svcgw list" shows it).', required: true}),
  }

  async run(): Promise<unknown> {
    const home = await this.home()
    const {unexposeServices} = await import('../gateway/expose.js')
    const result = await unexposeServices(home, [...new Set(this.positionals)], this.flags.kubeconfig, this.reporter)
    return this.emit(result, (r) => r.summary)
  }
}
