import {SvcgwCommand} from '../base-command.js'

export interface VersionResult {
  version: string
  node: string
  platform: string
}

export default class Version extends SvcgwCommand<typeof Version> {
  static override summary = 'Print the plugin version.'
  static override examples = ['<%= config.bin %> version', '<%= config.bin %> version -o json']

  async run(): Promise<VersionResult> {
    const result = {version: this.config.version, node: process.version, platform: `${process.platform}/${process.arch}`}
    return this.emit(result, (r) => `kubectl-svcgw ${r.version}`)
  }
}
