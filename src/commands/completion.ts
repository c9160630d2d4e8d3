import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {Args} from '@oclif/core'

import {SvcgwCommand} from '../base-command.js'
import {completionScript, type Shell, SHELLS} from '../completion/scripts.js'

export default class Completion extends SvcgwCommand<typeof Completion> {
  static override summary = 'Print a shell completion script (bash, zsh, fish or powershell).'
  static override description = `kubectl 1.26 and later completes "kubectl svcgw …" on TAB by itself (with kubectl's own completion loaded) when kubectl_complete-svcgw is on PATH: npm installs it beside kubectl-svcgw, and the release archives carry it. The script puts the plugin's own one on PATH when none is found (krew links only kubectl-svcgw), and completes kubectl-svcgw typed directly.
Completion offers subcommands and flags, contexts for --context and --to, registered clients, exposed services, and the Services of a provider for expose (read with kubectl, 2 s at most, nothing on failure).`
  static override examples = [
    'source <(<%= config.bin %> completion bash)',
    'source <(<%= config.bin %> completion zsh)',
    '<%= config.bin %> completion fish | source',
    '<%= config.bin %> completion powershell | Out-String | Invoke-Expression',
  ]
  static override args = {
    shell: Args.string({description: 'The shell.', required: true, options: [...SHELLS]}),
  }

  async run(): Promise<string> {
    // The archives ship kubectl_complete-svcgw at the package root; npm links bin/complete.js onto PATH itself.
    const dir = existsSync(join(this.config.root, 'kubectl_complete-svcgw')) || existsSync(join(this.config.root, 'kubectl_complete-svcgw.cmd')) ? this.config.root : undefined
    const script = completionScript(this.args.shell as Shell, dir)
    process.stdout.write(script)
    return script
  }
}
