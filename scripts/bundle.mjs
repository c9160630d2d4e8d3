// Bundles the CLI into dist/ with esbuild: one file per command (oclif finds them through
// oclif.manifest.json as before), the entry bin/run.js imports (dist/run.js), and shared
// chunks in dist/chunks/. Dependencies are bundled too: a Node runtime and dist/ are all a
// release archive needs, and start-up reads a few files instead of hundreds of modules.
// What `await import()` loads (the Kubernetes client, node-forge, js-yaml) lands in chunks of
// its own, read only when a command needs it.
// Also writes dist/THIRD-PARTY-NOTICES (the licences of what was bundled).
import {build} from 'esbuild'
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {dirname, join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const src = join(root, 'src')

const files = (dir) =>
  readdirSync(dir, {withFileTypes: true}).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []))

const entryPoints = [...files(join(src, 'commands')), join(src, 'run.ts'), join(src, 'fastpath', 'list.ts'), ...(existsSync(join(src, 'completion')) ? [join(src, 'completion', 'main.ts')] : [])]

const result = await build({
  absWorkingDir: root,
  entryPoints,
  outbase: src,
  outdir: join(root, 'dist'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  chunkNames: 'chunks/[name]-[hash]',
  // CommonJS dependencies (oclif and its helpers) call require() for Node's built-ins and read
  // __dirname; an ES module has neither, so every output file defines them first.
  banner: {
    js: [
      "import {createRequire as __svcgwRequire} from 'node:module'",
      "import {fileURLToPath as __svcgwPath} from 'node:url'",
      "import {dirname as __svcgwDirname} from 'node:path'",
      'const require = __svcgwRequire(import.meta.url)',
      'const __filename = __svcgwPath(import.meta.url)',
      'const __dirname = __svcgwDirname(__filename)',
    ].join(';'),
  },
  // One copy of js-yaml: its ESM build for import and require alike.
  mainFields: ['module', 'main'],
  // oclif requires typescript only to read tsconfig.json in development (bin/dev.js); never bundled.
  external: ['typescript'],
  // tr46 and whatwg-url (under node-fetch, under the Kubernetes client) require Node's built-in
  // punycode, deprecated since Node 21 with a warning on every run that loads them; the
  // userland package is the same code.
  alias: {punycode: 'punycode/punycode.js'},
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
})

// src/render/objects.ts and src/dataplane/index.ts find manifests/ at ../../manifests from
// their own file: true only for files two levels below the package root.
for (const [out, meta] of Object.entries(result.metafile.outputs)) {
  const readsManifests = Object.keys(meta.inputs).some((i) => /src\/(render\/objects|dataplane\/index)\.ts$/.test(i))
  if (readsManifests && out.split('/').length !== 3) throw new Error(`bundle: ${out} reads manifests/ relative to itself but is not two levels deep`)
}

if (process.env.BUNDLE_META) writeFileSync(process.env.BUNDLE_META, JSON.stringify(result.metafile))

// Licences of bundled packages, as their licences require when they are redistributed.
const packages = new Map()
for (const input of Object.keys(result.metafile.inputs)) {
  const m = input.match(/^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//)
  if (m && !packages.has(m[1])) packages.set(m[1], JSON.parse(readFileSync(join(root, m[1], 'package.json'), 'utf8')))
}
const notices = [...packages].sort(([a], [b]) => a.localeCompare(b)).map(([dir, pkg]) => {
  const licence = readdirSync(join(root, dir)).find((f) => /^(licen[cs]e|copying)/i.test(f))
  const text = licence ? readFileSync(join(root, dir, licence), 'utf8').trim() : `License: ${pkg.license ?? 'see package'}`
  return `${pkg.name}@${pkg.version} (${pkg.license ?? 'unknown'})\n\n${text}\n`
})
writeFileSync(join(root, 'dist', 'THIRD-PARTY-NOTICES'), `Packages bundled into kubectl-svcgw\n\n${notices.join('\n' + '-'.repeat(72) + '\n\n')}`)
console.error(`bundle: ${Object.keys(result.metafile.outputs).length} files, ${packages.size} packages bundled (${relative(root, dirname(join(root, 'dist', 'x')))}/)`)
