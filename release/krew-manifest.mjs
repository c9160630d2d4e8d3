// Writes the krew plugin manifest (plugins/svcgw.yaml, as the krew index holds it) for archives
// built by release/build.sh: one platform entry each, with its sha256.
//   node release/krew-manifest.mjs --version V --base-url URL --out FILE PLATFORM=ARCHIVE…
import {createHash} from 'node:crypto'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {basename, dirname} from 'node:path'
import yaml from 'js-yaml'

const args = process.argv.slice(2)
const option = (name) => {
  const i = args.indexOf(name)
  if (i < 0) throw new Error(`krew-manifest: missing ${name}`)
  return args.splice(i, 2)[1]
}
const version = option('--version')
const baseUrl = option('--base-url').replace(/\/$/, '')
const out = option('--out')

const platforms = args.map((pair) => {
  const [platform, archive] = pair.split('=')
  const [os, arch] = platform.split('-')
  const windows = os === 'windows'
  return {
    selector: {matchLabels: {os, arch}},
    uri: `${baseUrl}/${basename(archive)}`,
    sha256: createHash('sha256').update(readFileSync(archive)).digest('hex'),
    bin: windows ? 'kubectl-svcgw.exe' : 'kubectl-svcgw',
    // The whole archive: the launcher finds the runtime, the CLI and manifests/ beside itself.
    files: [{from: '*', to: '.'}],
  }
})

const plugin = {
  apiVersion: 'krew.googlecontainertools.github.com/v1alpha2',
  kind: 'Plugin',
  metadata: {name: 'svcgw'},
  spec: {
    version: `v${version}`,
    homepage: 'https://github.com/kubectl-svcgw/kubectl-svcgw',
    shortDescription: 'Reach Services of other clusters over OpenVPN',
    description: `Makes a Service of one cluster (a provider) reachable as a local Service of another
(the consumer) through an OpenVPN tunnel with mutual TLS. Installs a gateway server in the
consumer cluster and a client in each provider, issues, rotates and distributes the certificates
between kubeconfig contexts, and tells whether the tunnels are healthy. Only the server needs a
reachable address; nothing routes cluster addresses, so pod and service ranges may overlap.
`,
    caveats: `The plugin runs the Node.js runtime shipped in this archive: no Node install needed.

TAB completion (kubectl 1.26 or later, with kubectl's own completion loaded):
  source <(kubectl svcgw completion bash)     # or zsh; fish and powershell too
This puts kubectl_complete-svcgw, shipped with the plugin, on PATH (krew links only kubectl-svcgw).

Get started: kubectl svcgw server install; kubectl svcgw client install --to CONTEXT
`,
    platforms,
  },
}

mkdirSync(dirname(out), {recursive: true})
writeFileSync(out, yaml.dump(plugin, {lineWidth: -1, noRefs: true}))
